package io.dtm4j.server;

import io.dtm4j.core.testing.ItEnvironment;
import io.dtm4j.server.DtmChild.Timed;
import io.dtm4j.server.DtmHttp.Query;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A hung store (spec ops-reliability-security C2 #4): the standalone server runs in a child JVM on PostgreSQL,
 * MariaDB or Redis under a light load of sagas, and the store's server is frozen with {@code kill -STOP} for
 * {@link #FREEZE} (longer than {@code Store.ConnectTimeout}, 3 s by default), then resumed with {@code kill -CONT}.
 * A frozen store is harder than a dead one: connects still complete (the kernel accepts them) and open connections
 * stay open, but nothing ever answers, so only the client's own timeouts end a call.
 *
 * <p>While frozen: every submit answers 503 within {@link #FAIL_FAST} (about 3 s for Redis, 6 s for SQL), with a
 * message naming the store; {@code /api/ping} answers 200 within {@link #PING_BOUND}, also during a burst of
 * submits; {@code /api/ready} answers 503; at the end of the freeze no request thread is still inside a request
 * (thread dump).
 *
 * <p>After {@code kill -CONT}, without any manual retry, within {@link #DRAIN_BOUND}: every saga acknowledged (200)
 * before or during the freeze is {@code succeed}, among them one whose TransIn answered while the store was frozen
 * (its outcome is written when the store resumes if the write was still waiting, else TransIn is called again; the
 * busi applies its effect once either way) and one that was in retry back-off. A submit that was not acknowledged
 * left nothing or a whole transaction that also finishes (a write the client gave up on may still be applied once
 * the store resumes: Redis runs the commands already sent). No request thread is inside a request afterwards, and
 * nothing was compensated.
 *
 * <p>The stores are an instance of their own ({@code /tmp/dtm-services-freeze}, ports 6393, 5443, 3313), apart
 * from {@link StoreOutageIT}'s, which kills its stores: the two may run at the same time. The store is always
 * resumed in a {@code finally}; the instances this class started are stopped after it. {@code
 * -Ddtm.freeze.seconds} sets the freeze length (default 10), {@code -Ddtm.freeze.stores=MARIADB,REDIS} limits the
 * stores.
 */
@Timeout(240)
class StoreFreezeIT {
    private static final int RETRY_INTERVAL = 2;
    private static final Duration FREEZE = Duration.ofSeconds(Integer.getInteger("dtm.freeze.seconds", 10));
    /**
     * A submit to a frozen store must be refused within this. With the default ConnectTimeout of 3 s, Redis answers
     * 503 after about 3 s (its command timeout); a SQL store after about 6 s: the pool's wait for a connection, then
     * one direct connect attempt, each bounded by ConnectTimeout; a write already in flight when the store froze
     * gives up after twice ConnectTimeout. The rest is margin for a loaded machine.
     */
    private static final Duration FAIL_FAST = Duration.ofSeconds(8);
    /** How long the test's HTTP client waits for a submit: long enough to see how late a slow answer is. */
    private static final Duration CLIENT_WAIT = Duration.ofSeconds(20);
    private static final Duration PING_BOUND = Duration.ofSeconds(1);
    private static final Duration DRAIN_BOUND = Duration.ofSeconds(30);
    private static final Duration READY_LAG = Duration.ofSeconds(2);
    private static final Duration LOAD_EVERY = Duration.ofMillis(300);
    private static final Duration PROBE_EVERY = Duration.ofSeconds(1);
    private static final int BURST = 8;
    private static final String PLACE = "it_freeze";
    private static final List<String> ALL_SUCCEED = List.of("prepared", "succeed", "prepared", "succeed");

    private static final StoreServices SERVICES = StoreServices.ownInstance("freeze", 6393, 5443, 3313);
    private static final Set<ItStore> STARTED = EnumSet.noneOf(ItStore.class);

    @TempDir
    Path dir;

    private OutageBusi busi;
    private DtmChild server;
    private Load load;

    /** One submit and its answer; {@code status} -1 = no answer within {@link #CLIENT_WAIT}. */
    record Submit(String gid, long startNanos, Timed reply) {
        long answeredNanos() {
            return startNanos + TimeUnit.MILLISECONDS.toNanos(reply.millis());
        }
    }

    @AfterEach
    void tearDown() {
        if (load != null) {
            load.stop();
        }
        if (server != null) {
            server.close();
        }
        if (busi != null) {
            busi.close();
        }
    }

    @AfterAll
    static void stopOwnStores() throws Exception {
        for (ItStore s : STARTED) {
            SERVICES.stop(s);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(ItStore.class)
    void frozenStoreFailsFastAndEverythingAcknowledgedFinishesAfterItResumes(ItStore store)
            throws Exception {
        String only = System.getProperty("dtm.freeze.stores", "");
        Assumptions.assumeTrue(only.isEmpty() || only.toUpperCase(Locale.ROOT).contains(store.name()),
                "-Ddtm.freeze.stores=" + only);
        String prefix = "freeze-" + store.name().toLowerCase(Locale.ROOT) + "-"
                + Long.toString(System.currentTimeMillis(), 36) + "-";
        startServer(store);
        load = new Load(server, busi, prefix + "load-");
        String backoff = prefix + "backoff";
        String midway = prefix + "midway";
        Timed r = server.rawPost("/api/dtmsvr/submit", saga(backoff, "{\"errors\":1}", "{}"), FAIL_FAST);
        assertThat(r.status()).as("submit %s: %s", backoff, r).isEqualTo(200);
        r = server.rawPost("/api/dtmsvr/submit", saga(midway, "{}", "{\"hold\":\"midway\"}"), FAIL_FAST);
        assertThat(r.status()).as("submit %s: %s", midway, r).isEqualTo(200);
        assertThat(busi.awaitHeld("midway", Duration.ofSeconds(20))).as("TransIn of %s arrived", midway).isTrue();
        awaitCall(backoff, "TransOut", Duration.ofSeconds(20)); // its first TransOut failed: it waits for a retry
        Thread.sleep(1500); // some load sagas acknowledged before the freeze

        Freeze f = new Freeze(prefix);
        f.run(store);
        long readyAfter = awaitReady(f.resumed);
        Thread.sleep(1000); // a few load submits after the store resumed
        load.stop();

        Outcome out = outcome(f, List.of(backoff, midway));
        List<String> threadsAfter = server.threadsInside(dir, "dtm-http-", "ApiHandler.handle");
        long midwayTransIn = busi.calls(midway).stream().filter(c -> c.route().equals("TransIn")).count();
        report(store, f, out, readyAfter, midwayTransIn, threadsAfter);

        SoftAssertions soft = new SoftAssertions();
        verifyWhileFrozen(soft, store, f, out);
        soft.assertThat(out.drain().pending()).as("acknowledged sagas not succeed within %s of the resume "
                + "(stranded); server log:%n%s", DRAIN_BOUND, server.logTail()).isEmpty();
        soft.assertThat(out.drain().wrongBranches()).as("branch statuses of succeed sagas").isEmpty();
        soft.assertThat(out.leftoverDrain().pending()).as("unacknowledged submits that left an unfinished "
                + "transaction").isEmpty();
        soft.assertThat(busi.calls().stream().filter(c -> c.route().endsWith("Revert")).toList())
                .as("compensations (nothing failed for good)").isEmpty();
        soft.assertThat(threadsAfter).as("request threads inside a request after the drain").isEmpty();
        soft.assertAll();
    }

    private void startServer(ItStore store) throws Exception {
        ItStore.Endpoint endpoint = startStore(store);
        busi = new OutageBusi();
        List<String> config = new ArrayList<>(List.of("HTTPServer:", "  Address: 127.0.0.1",
                "RetryInterval: " + RETRY_INTERVAL, "TimeoutToFail: 60", "RequestTimeout: 3"));
        config.addAll(store.configLines(endpoint, PLACE)); // the Store section comes last
        server = DtmChild.start(dir, "dtm-freeze-" + store.name().toLowerCase(Locale.ROOT), config);
        assertThat(server.rawGet("/api/ready", FAIL_FAST).status()).as("ready before the freeze").isEqualTo(200);
    }

    /** The submits' fate: acknowledged ones must all finish; the others may have left nothing. */
    record Outcome(List<String> acknowledged, List<String> unacknowledged, List<Submit> loadWhileFrozen, Drain drain,
                   List<String> leftovers, Drain leftoverDrain) {
    }

    /** The end of a drain: what is still not succeed (gid -> last seen), wrong branch statuses, how long it took. */
    record Drain(Map<String, String> pending, List<String> wrongBranches, long millis) {
    }

    private Outcome outcome(Freeze f, List<String> special) throws InterruptedException {
        List<String> acknowledged = new ArrayList<>(special);
        List<String> unacknowledged = new ArrayList<>();
        List<Submit> loadWhileFrozen = new ArrayList<>();
        for (Submit s : load.submits) {
            (s.reply().status() == 200 ? acknowledged : unacknowledged).add(s.gid());
            // started after the freeze and answered before the resume: the store could not have answered
            if (s.startNanos() > f.frozen + TimeUnit.MILLISECONDS.toNanos(200) && s.answeredNanos() < f.resuming) {
                loadWhileFrozen.add(s);
            }
        }
        f.submits.forEach(s -> (s.reply().status() == 200 ? acknowledged : unacknowledged).add(s.gid()));
        Drain drain = awaitSucceed(acknowledged, f.resumed);
        List<String> leftovers = unacknowledged.stream().filter(g -> server.dtm.query(g).exists()).toList();
        return new Outcome(acknowledged, unacknowledged, loadWhileFrozen, drain, leftovers,
                awaitSucceed(leftovers, f.resumed));
    }

    private void report(ItStore store, Freeze f, Outcome out, long readyAfter, long midwayTransIn,
                        List<String> threadsAfter) {
        List<Timed> probes = f.submits.stream().map(Submit::reply).toList();
        List<Timed> loadReplies = out.loadWhileFrozen().stream().map(Submit::reply).toList();
        System.out.printf("StoreFreezeIT %s frozen %d s (pids %s): submits while frozen answered in %d..%d ms "
                        + "(statuses %s); load submits while frozen %d (statuses %s, max %d ms); ping max %d ms; "
                        + "ready statuses %s (max %d ms); ready again %d ms after the resume; %d acknowledged sagas "
                        + "%s %d ms after the resume; unacknowledged submits %d (%d left a transaction, %s); "
                        + "TransIn calls of the mid-way saga %d; duplicate deliveries absorbed %d; request threads "
                        + "inside a request at the end of the freeze %d, after the drain %d; first 503: %s%n",
                store, FREEZE.toSeconds(), f.pids, min(probes), max(probes), statuses(probes), loadReplies.size(),
                statuses(loadReplies), max(loadReplies), max(f.pings), statuses(f.readies), max(f.readies),
                readyAfter, out.acknowledged().size(), out.drain().pending().isEmpty() ? "all succeed"
                        : "NOT all succeed", out.drain().millis(), out.unacknowledged().size(), out.leftovers().size(),
                out.leftoverDrain().pending().isEmpty() ? "all finished" : "NOT all finished", midwayTransIn,
                busi.duplicates(), f.threadsAtEnd.size(), threadsAfter.size(),
                probes.isEmpty() ? "none" : probes.get(0).body());
    }

    private static void verifyWhileFrozen(SoftAssertions soft, ItStore store, Freeze f, Outcome out) {
        for (Submit s : f.submits) {
            soft.assertThat(s.reply().status()).as("submit while frozen: %s", s.reply()).isEqualTo(503);
            soft.assertThat(s.reply().millis()).as("submit while frozen answered within %s: %s", FAIL_FAST,
                    s.reply()).isLessThan(FAIL_FAST.toMillis());
            soft.assertThat(s.reply().body()).as("503 names the store").containsPattern(store.nameInMessages);
        }
        for (Submit s : out.loadWhileFrozen()) {
            soft.assertThat(s.reply().status()).as("load submit while frozen: %s", s.reply()).isEqualTo(503);
            soft.assertThat(s.reply().millis()).as("load submit while frozen answered within %s: %s", FAIL_FAST,
                    s.reply()).isLessThan(FAIL_FAST.toMillis());
        }
        for (Timed ping : f.pings) {
            soft.assertThat(ping.status()).as("ping while frozen: %s", ping).isEqualTo(200);
            soft.assertThat(ping.millis()).as("ping while frozen: %s", ping).isLessThan(PING_BOUND.toMillis());
        }
        soft.assertThat(f.readies).as("readiness probes while frozen").isNotEmpty();
        f.readies.forEach(t -> soft.assertThat(t.status()).as("ready while frozen: %s", t).isEqualTo(503));
        soft.assertThat(f.threadsAtEnd).as("request threads still inside a request at the end of the freeze; "
                + "the threads in store code:%n%s", String.join("\n\n", f.storeThreadsAtEnd)).isEmpty();
    }

    /** Polls until every gid is succeed, at most {@link #DRAIN_BOUND} after {@code from}. */
    private Drain awaitSucceed(List<String> gids, long from) throws InterruptedException {
        Map<String, String> pending = new LinkedHashMap<>();
        List<String> wrongBranches = new ArrayList<>();
        gids.forEach(g -> pending.put(g, "unknown"));
        long deadline = from + DRAIN_BOUND.toNanos();
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            for (String gid : List.copyOf(pending.keySet())) {
                Query q = server.dtm.query(gid);
                if (q.exists() && q.status().equals("succeed")) {
                    if (!q.branchStatuses().equals(ALL_SUCCEED)) {
                        wrongBranches.add(gid + " " + q.branchStatuses());
                    }
                    pending.remove(gid);
                } else {
                    pending.put(gid, q.exists() ? q.status() + " " + q.branchStatuses() + " next_cron_time "
                            + q.transaction().path("next_cron_time").asText() : "not found");
                }
            }
            if (!pending.isEmpty()) {
                Thread.sleep(200);
            }
        }
        return new Drain(pending, wrongBranches, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - from));
    }

    private static long min(List<Timed> replies) {
        return replies.stream().mapToLong(Timed::millis).min().orElse(0);
    }

    private static long max(List<Timed> replies) {
        return replies.stream().mapToLong(Timed::millis).max().orElse(0);
    }

    private static Map<Integer, Long> statuses(List<Timed> replies) {
        Map<Integer, Long> m = new TreeMap<>();
        replies.forEach(t -> m.merge(t.status(), 1L, Long::sum));
        return m;
    }

    /** What was seen while the store was frozen. */
    private final class Freeze {
        final String prefix;
        final List<Submit> submits = new ArrayList<>();
        final List<Timed> readies = new ArrayList<>();
        final List<Timed> pings = new ArrayList<>();
        List<Long> pids = List.of();
        List<String> threadsAtEnd = List.of();
        List<String> storeThreadsAtEnd = List.of();
        long frozen;
        /** When the resume began. */
        long resuming;
        long resumed;

        Freeze(String prefix) {
            this.prefix = prefix;
        }

        /**
         * Freezes the store, lets the held TransIn answer, probes the server until the end of the freeze, takes a
         * thread dump, and resumes the store (in any case).
         */
        void run(ItStore store) throws Exception {
            try {
                pids = SERVICES.freeze(store);
                frozen = System.nanoTime();
                busi.release("midway"); // TransIn answers now: the node cannot store the outcome
                probe();
                load.pause(); // no request of ours is running now: a request thread still busy is stuck
                threadsAtEnd = server.threadsInside(dir, "dtm-http-", "ApiHandler.handle");
                if (!threadsAtEnd.isEmpty()) {
                    // where the store calls they wait for are stuck
                    storeThreadsAtEnd = server.threadsInside(dir, "dtm-", "io.dtm4j.store.", 60);
                }
                load.resume();
            } finally {
                // also after a failure or a test timeout: an interrupted thread could not wait for kill
                boolean interrupted = Thread.interrupted();
                resuming = System.nanoTime();
                try {
                    SERVICES.thaw(store);
                } finally {
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                }
                resumed = System.nanoTime();
            }
        }

        /** A burst of submits with a ping meanwhile, then one submit, ready and ping a second until the end. */
        private void probe() throws Exception {
            ExecutorService pool = Executors.newFixedThreadPool(BURST);
            try {
                List<Future<Submit>> burst = new ArrayList<>();
                for (int i = 0; i < BURST; i++) {
                    String gid = prefix + "burst-" + i;
                    burst.add(pool.submit(() -> submit(server, busi, gid)));
                }
                Thread.sleep(300); // the burst is waiting for the store now
                pings.add(server.rawGet("/api/ping", PING_BOUND.multipliedBy(3)));
                for (Future<Submit> f : burst) {
                    submits.add(f.get(CLIENT_WAIT.toSeconds() + 10, TimeUnit.SECONDS));
                }
            } finally {
                pool.shutdownNow();
            }
            long end = frozen + FREEZE.toNanos();
            for (int i = 0; System.nanoTime() < end; i++) {
                submits.add(submit(server, busi, prefix + "probe-" + i));
                if (System.nanoTime() - frozen > READY_LAG.toNanos()) {
                    readies.add(server.rawGet("/api/ready", FAIL_FAST.multipliedBy(2)));
                }
                pings.add(server.rawGet("/api/ping", PING_BOUND.multipliedBy(3)));
                Thread.sleep(PROBE_EVERY.toMillis());
            }
        }
    }

    private static Submit submit(DtmChild server, OutageBusi busi, String gid) {
        String body = GoTrans.saga(gid).add(busi.url("TransOut"), busi.url("TransOutRevert"), "{}")
                .add(busi.url("TransIn"), busi.url("TransInRevert"), "{}").json();
        long t0 = System.nanoTime();
        Timed r;
        try {
            r = server.rawPost("/api/dtmsvr/submit", body, CLIENT_WAIT);
        } catch (UncheckedIOException e) {
            r = new Timed(-2, e.getMessage(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        }
        return new Submit(gid, t0, r);
    }

    /**
     * Starts the store's own instance; when that is impossible (no server package and not root), fails under
     * {@code -Ddtm.it.required=true} and skips otherwise, like {@link ItEnvironment}.
     */
    private ItStore.Endpoint startStore(ItStore store) throws Exception {
        synchronized (STARTED) {
            try {
                SERVICES.up(store);
            } catch (AssertionError e) {
                if (ItEnvironment.required()) {
                    throw e;
                }
                Assumptions.abort("cannot start " + store.service + " for the freeze tests: " + e.getMessage());
            }
            STARTED.add(store);
        }
        ItStore.Endpoint e = SERVICES.endpoint(store);
        store.reset(e, PLACE);
        return e;
    }

    private String saga(String gid, String outPayload, String inPayload) {
        return GoTrans.saga(gid).add(busi.url("TransOut"), busi.url("TransOutRevert"), outPayload)
                .add(busi.url("TransIn"), busi.url("TransInRevert"), inPayload).requestTimeout(60).json();
    }

    private void awaitCall(String gid, String route, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (busi.calls(gid).stream().noneMatch(c -> c.route().equals(route))) {
            assertThat(System.nanoTime()).as("gid=%s: no %s call within %s", gid, route, max).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** Polls {@code /api/ready} until 200; returns ms after {@code from}. */
    private long awaitReady(long from) throws InterruptedException {
        long deadline = from + DRAIN_BOUND.toNanos();
        Timed last = null;
        while (System.nanoTime() < deadline) {
            last = server.rawGet("/api/ready", FAIL_FAST);
            if (last.status() == 200) {
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - from);
            }
            Thread.sleep(200);
        }
        throw new AssertionError("/api/ready not 200 within " + DRAIN_BOUND + " of the resume; last: " + last
                + "\nserver log:\n" + server.logTail());
    }

    /** A light load: one saga submitted every {@link #LOAD_EVERY} on a thread of its own, until stopped. */
    private static final class Load {
        final List<Submit> submits = new CopyOnWriteArrayList<>();
        private final Thread thread;
        /** Held while a submit is in flight. */
        private final Semaphore inFlight = new Semaphore(1);
        private volatile boolean stopped;
        private volatile boolean paused;

        Load(DtmChild server, OutageBusi busi, String prefix) {
            thread = new Thread(() -> {
                try {
                    for (int i = 0; i < 1000 && !stopped; i++) {
                        inFlight.acquire();
                        try {
                            if (!paused) {
                                submits.add(submit(server, busi, prefix + i));
                            }
                        } finally {
                            inFlight.release();
                        }
                        Thread.sleep(LOAD_EVERY.toMillis());
                    }
                } catch (InterruptedException e) {
                    // stopped
                }
            }, "freeze-load");
            thread.setDaemon(true);
            thread.start();
        }

        /** Stops submitting and waits (bounded) until the submit in flight, if any, has its answer. */
        void pause() throws InterruptedException {
            paused = true;
            if (inFlight.tryAcquire(CLIENT_WAIT.toMillis() + 5000, TimeUnit.MILLISECONDS)) {
                inFlight.release();
            }
        }

        void resume() {
            paused = false;
        }

        void stop() {
            stopped = true;
            thread.interrupt();
            try {
                thread.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
