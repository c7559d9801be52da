package io.dtm4j.server;

import io.dtm4j.core.testing.ItEnvironment;
import io.dtm4j.server.DtmChild.Timed;
import io.dtm4j.server.DtmHttp.Query;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
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
 * Store outages (spec ops-reliability-security C2 #3 and #5; Seata #3558; DTM #143): the standalone server runs
 * in a child JVM on PostgreSQL, MariaDB or Redis under a light load of sagas; the store is killed
 * ({@code services-down.sh --kill}), kept down, and restarted on the same data ({@code services-up.sh}).
 *
 * <p>During the outage: every submit answers 503 within {@link #FAIL_FAST}, with a message naming the store;
 * {@code /api/ready} answers 503; {@code /api/ping} keeps answering 200 at once, also while a burst of submits
 * is running; at the end no request thread of the server is still inside a request (thread dump).
 *
 * <p>After the restart, without any manual retry, within {@link #DRAIN_BOUND}: {@code /api/ready} is 200 again
 * and every saga that was acknowledged (200) before or during the outage is {@code succeed}, among them one
 * whose TransIn was answered while the store was down (so its outcome could not be written: the branch is
 * called again and its effect is applied once) and one that was in retry back-off when the store died. A
 * submit that was not acknowledged left either nothing or a whole transaction that also finishes.
 *
 * <p>Two outages per store: a short one and one much longer than the retry back-off (10 x RetryInterval),
 * after which the drain must be just as bounded: nothing may be stranded behind a grown back-off.
 *
 * <p>The stores are an instance of their own ({@link StoreServices#ownInstance()}:
 * {@code /tmp/dtm-services-outage}, ports 6392, 5442, 3312), so that killing them never breaks other suites using
 * the shared instance. The instances this class started are stopped (cleanly) after it; a killed store is always
 * restarted in a {@code finally}. The server runs with its default {@code Store.ConnectTimeout} unless
 * {@code -Ddtm.outage.connectTimeout=S} sets one; {@code -Ddtm.outage.shortSeconds} and
 * {@code -Ddtm.outage.longSeconds} set the outage lengths (default 6 and 20).
 */
@Timeout(240)
class StoreOutageIT {
    private static final int RETRY_INTERVAL = 2;
    private static final Duration FAIL_FAST = Duration.ofSeconds(5);
    private static final Duration PING_BOUND = Duration.ofSeconds(1);
    private static final Duration SHORT_OUTAGE = Duration.ofSeconds(Integer.getInteger("dtm.outage.shortSeconds", 6));
    private static final Duration LONG_OUTAGE = Duration.ofSeconds(Integer.getInteger("dtm.outage.longSeconds", 20));
    private static final Duration DRAIN_BOUND = Duration.ofSeconds(30);
    private static final Duration LOAD_EVERY = Duration.ofMillis(300);
    private static final Duration PROBE_EVERY = Duration.ofSeconds(1);
    private static final int BURST = 12;
    /** Readiness may be computed a little behind; it must be 503 from this long after the kill on. */
    private static final Duration READY_LAG = Duration.ofSeconds(2);
    private static final String PLACE = "it_outage";

    private static final StoreServices SERVICES = StoreServices.ownInstance();
    private static final Set<ItStore> STARTED = EnumSet.noneOf(ItStore.class);

    @TempDir
    Path dir;

    private OutageBusi busi;
    private DtmChild server;
    private Load load;

    /** One submit and its answer; {@code status} -1 = no answer within the client's bound. */
    record Submit(String gid, long startNanos, Timed reply) {
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
    static void stopOwnStores() throws IOException, InterruptedException {
        for (ItStore s : STARTED) {
            SERVICES.stop(s);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(ItStore.class)
    void shortOutageFailsFastAndEverythingAcknowledgedFinishesAfterRestart(ItStore store, TestInfo info)
            throws Exception {
        outage(store, SHORT_OUTAGE, info);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(ItStore.class)
    void outageLongerThanTheBackOffStrandsNothing(ItStore store, TestInfo info) throws Exception {
        outage(store, LONG_OUTAGE, info);
    }

    private void outage(ItStore store, Duration length, TestInfo info) throws Exception {
        String prefix = info.getTestMethod().orElseThrow().getName().substring(0, 12) + "-"
                + store.name().toLowerCase(Locale.ROOT) + "-" + Long.toString(System.currentTimeMillis(), 36) + "-";
        startServer(store);
        load = new Load(server, busi, prefix + "load-");
        String backoff = prefix + "backoff";
        String midway = prefix + "midway";
        Timed r = server.rawPost("/api/dtmsvr/submit", saga(backoff, "{\"errors\":1}", "{}", 0), FAIL_FAST);
        assertThat(r.status()).as("submit %s: %s", backoff, r).isEqualTo(200);
        r = server.rawPost("/api/dtmsvr/submit", saga(midway, "{}", "{\"hold\":\"midway\"}", 60), FAIL_FAST);
        assertThat(r.status()).as("submit %s: %s", midway, r).isEqualTo(200);
        assertThat(busi.awaitHeld("midway", Duration.ofSeconds(20))).as("TransIn of %s arrived", midway).isTrue();
        awaitCall(backoff, "TransOut", Duration.ofSeconds(20)); // its first TransOut failed: it waits for a retry
        Thread.sleep(1000); // some load sagas acknowledged before the outage

        Outage o = new Outage(prefix, length);
        o.run(store);
        long readyAfter = awaitReady(o.up);
        Thread.sleep(1000); // a few load submits after the restart
        load.stop();

        Outcome out = outcome(o, List.of(backoff, midway));
        List<BusiCallCount> midwayCalls = counts(midway);
        report(store, o, out, readyAfter, midwayCalls);
        SoftAssertions soft = new SoftAssertions();
        verifyDuringOutage(soft, store, o, out);
        soft.assertThat(out.drain().pending()).as("acknowledged sagas not succeed within %s of the store restart "
                + "(stranded); server log:%n%s", DRAIN_BOUND, server.logTail()).isEmpty();
        soft.assertThat(out.drain().wrongBranches()).as("branch statuses of succeed sagas").isEmpty();
        soft.assertThat(out.leftoverDrain().pending()).as("unacknowledged submits that left an unfinished "
                + "transaction").isEmpty();
        soft.assertThat(midwayCalls).as("the mid-way saga's TransIn was called again after its answer was lost")
                .contains(new BusiCallCount("TransIn", 2));
        soft.assertAll();
    }

    private void startServer(ItStore store) throws Exception {
        ItStore.Endpoint endpoint = startStore(store);
        busi = new OutageBusi();
        List<String> config = new ArrayList<>(List.of("HTTPServer:", "  Address: 127.0.0.1",
                "RetryInterval: " + RETRY_INTERVAL, "TimeoutToFail: 60", "RequestTimeout: 3"));
        config.addAll(store.configLines(endpoint, PLACE)); // the Store section comes last
        String connectTimeout = System.getProperty("dtm.outage.connectTimeout", "");
        if (!connectTimeout.isEmpty()) {
            config.add("  ConnectTimeout: " + connectTimeout);
        }
        server = DtmChild.start(dir, "dtm-" + store.name().toLowerCase(Locale.ROOT), config);
        assertThat(server.rawGet("/api/ready", FAIL_FAST).status()).as("ready before the outage").isEqualTo(200);
    }

    /** What became of the submits: acknowledged ones must all finish; the others may have left nothing. */
    record Outcome(List<String> acknowledged, List<String> unacknowledged, List<Submit> loadDuringOutage,
                   Drain drain, List<String> leftovers, Drain leftoverDrain) {
    }

    private Outcome outcome(Outage o, List<String> special) throws InterruptedException {
        List<String> acknowledged = new ArrayList<>(special);
        List<String> unacknowledged = new ArrayList<>();
        List<Submit> loadDuringOutage = new ArrayList<>();
        for (Submit s : load.submits) {
            (s.reply().status() == 200 ? acknowledged : unacknowledged).add(s.gid());
            long answered = s.startNanos() + TimeUnit.MILLISECONDS.toNanos(s.reply().millis());
            if (s.startNanos() > o.down + TimeUnit.MILLISECONDS.toNanos(500) && answered < o.restarting) {
                loadDuringOutage.add(s);
            }
        }
        o.submits.forEach(s -> unacknowledged.add(s.gid()));
        Drain drain = awaitSucceed(acknowledged, o.up);
        List<String> leftovers = unacknowledged.stream().filter(g -> server.dtm.query(g).exists()).toList();
        return new Outcome(acknowledged, unacknowledged, loadDuringOutage, drain, leftovers,
                awaitSucceed(leftovers, o.up));
    }

    private void report(ItStore store, Outage o, Outcome out, long readyAfter, List<BusiCallCount> midwayCalls) {
        List<Timed> probes = o.submits.stream().map(Submit::reply).toList();
        List<Timed> loadReplies = out.loadDuringOutage().stream().map(Submit::reply).toList();
        System.out.printf("StoreOutageIT %s outage %d s: submits during the outage answered in %d..%d ms (%s); "
                        + "load submits during the outage %d (statuses %s, max %d ms); ping max %d ms; ready "
                        + "statuses %s; ready again %d ms after the restart; %d acknowledged sagas %s %d ms "
                        + "after the restart; unacknowledged submits %d (%d left a transaction); calls of the mid-way "
                        + "saga %s; duplicate deliveries absorbed %d; request threads inside a request at the end of "
                        + "the outage %d%n",
                store, o.length.toSeconds(), min(probes), max(probes), statuses(probes), loadReplies.size(),
                statuses(loadReplies), max(loadReplies), max(o.pings), statuses(o.readies), readyAfter,
                out.acknowledged().size(), out.drain().pending().isEmpty() ? "all succeed" : "NOT all succeed",
                out.drain().millis(), out.unacknowledged().size(), out.leftovers().size(), midwayCalls,
                busi.duplicates(), o.requestThreadsAtEnd.size());
    }

    private static void verifyDuringOutage(SoftAssertions soft, ItStore store, Outage o, Outcome out) {
        for (Submit s : o.submits) {
            soft.assertThat(s.reply().status()).as("submit during the outage: %s", s.reply()).isEqualTo(503);
            soft.assertThat(s.reply().millis()).as("submit during the outage answered within %s: %s", FAIL_FAST,
                    s.reply()).isLessThan(FAIL_FAST.toMillis());
            soft.assertThat(s.reply().body()).as("503 names the store").containsPattern(store.nameInMessages);
        }
        for (Submit s : out.loadDuringOutage()) {
            soft.assertThat(s.reply().status()).as("load submit during the outage: %s", s.reply()).isNotEqualTo(200);
            soft.assertThat(s.reply().millis()).as("load submit during the outage answered within %s: %s",
                    FAIL_FAST, s.reply()).isLessThan(FAIL_FAST.toMillis());
        }
        for (Timed ping : o.pings) {
            soft.assertThat(ping.status()).as("ping during the outage: %s", ping).isEqualTo(200);
            soft.assertThat(ping.millis()).as("ping during the outage: %s", ping).isLessThan(PING_BOUND.toMillis());
        }
        soft.assertThat(o.readies).as("readiness probes during the outage").isNotEmpty();
        o.readies.forEach(t -> soft.assertThat(t.status()).as("ready during the outage: %s", t).isEqualTo(503));
        soft.assertThat(o.requestThreadsAtEnd).as("request threads still inside a request at the end of the outage")
                .isEmpty();
    }

    /** How often one route of a transaction was called (2 = twice or more). */
    record BusiCallCount(String route, int calls) {
    }

    /** The end of a drain: what is still not succeed (gid -> last seen), how long it took. */
    record Drain(Map<String, String> pending, List<String> wrongBranches, long millis) {
    }

    private List<BusiCallCount> counts(String gid) {
        Map<String, Integer> m = new LinkedHashMap<>();
        busi.calls(gid).forEach(c -> m.merge(c.route(), 1, Integer::sum));
        List<BusiCallCount> out = new ArrayList<>();
        m.forEach((k, v) -> out.add(new BusiCallCount(k, Math.min(v, 2))));
        return out;
    }

    /** Polls until every gid is succeed, at most {@link #DRAIN_BOUND} after {@code up}. */
    private Drain awaitSucceed(List<String> gids, long up) throws InterruptedException {
        Map<String, String> pending = new LinkedHashMap<>();
        List<String> wrongBranches = new ArrayList<>();
        gids.forEach(g -> pending.put(g, "unknown"));
        long deadline = up + DRAIN_BOUND.toNanos();
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            for (String gid : List.copyOf(pending.keySet())) {
                Query q = server.dtm.query(gid);
                if (q.exists() && q.status().equals("succeed")) {
                    if (!q.branchStatuses().equals(List.of("prepared", "succeed", "prepared", "succeed"))) {
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
        return new Drain(pending, wrongBranches, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - up));
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

    /** What was seen while the store was down. */
    private final class Outage {
        final String prefix;
        final Duration length;
        final List<Submit> submits = new ArrayList<>();
        final List<Timed> readies = new ArrayList<>();
        final List<Timed> pings = new ArrayList<>();
        List<String> requestThreadsAtEnd = List.of();
        long down;
        /** When the restart began: from here on the store may already accept before {@link #up}. */
        long restarting;
        long up;

        Outage(String prefix, Duration length) {
            this.prefix = prefix;
            this.length = length;
        }

        /**
         * Kills the store, lets the held TransIn answer, probes the server until the end of the outage, takes a
         * thread dump, and restarts the store (in any case).
         */
        void run(ItStore store) throws Exception {
            try {
                SERVICES.kill(store);
                down = System.nanoTime();
                busi.release("midway"); // TransIn answers now: the node cannot write the outcome
                probe();
                load.pause(); // no request of ours is running now: a request thread still busy is stuck
                requestThreadsAtEnd = requestThreadsInsideRequests();
                load.resume();
            } finally {
                // also after a test timeout: an interrupted thread could not wait for the script
                boolean interrupted = Thread.interrupted();
                restarting = System.nanoTime();
                try {
                    SERVICES.up(store);
                } finally {
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                }
                up = System.nanoTime();
            }
        }

        /** A burst of submits with pings meanwhile, then one submit, ready and ping a second until the end. */
        private void probe() throws Exception {
            ExecutorService pool = Executors.newFixedThreadPool(BURST);
            try {
                List<Future<Submit>> burst = new ArrayList<>();
                for (int i = 0; i < BURST; i++) {
                    String gid = prefix + "burst-" + i;
                    burst.add(pool.submit(() -> submit(gid)));
                }
                pings.add(server.rawGet("/api/ping", PING_BOUND.multipliedBy(3)));
                for (Future<Submit> f : burst) {
                    submits.add(f.get(30, TimeUnit.SECONDS));
                }
            } finally {
                pool.shutdownNow();
            }
            long end = down + length.toNanos();
            for (int i = 0; System.nanoTime() < end; i++) {
                submits.add(submit(prefix + "probe-" + i));
                if (System.nanoTime() - down > READY_LAG.toNanos()) {
                    readies.add(server.rawGet("/api/ready", FAIL_FAST.multipliedBy(2)));
                }
                pings.add(server.rawGet("/api/ping", PING_BOUND.multipliedBy(3)));
                Thread.sleep(PROBE_EVERY.toMillis());
            }
        }

        private Submit submit(String gid) {
            long t0 = System.nanoTime();
            return new Submit(gid, t0, server.rawPost("/api/dtmsvr/submit", saga(gid, "{}", "{}", 0),
                    FAIL_FAST.multipliedBy(2)));
        }
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
                Assumptions.abort("cannot start " + store.service + " for the outage tests: " + e.getMessage());
            }
            STARTED.add(store);
        }
        ItStore.Endpoint e = SERVICES.endpoint(store);
        store.reset(e, PLACE);
        return e;
    }

    private String saga(String gid, String outPayload, String inPayload, long requestTimeout) {
        GoTrans t = GoTrans.saga(gid)
                .add(busi.url("TransOut"), busi.url("TransOutRevert"), outPayload)
                .add(busi.url("TransIn"), busi.url("TransInRevert"), inPayload);
        if (requestTimeout > 0) {
            t.requestTimeout(requestTimeout);
        }
        return t.json();
    }

    private void awaitCall(String gid, String route, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (busi.calls(gid).stream().noneMatch(c -> c.route().equals(route))) {
            assertThat(System.nanoTime()).as("gid=%s: no %s call within %s", gid, route, max).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** Polls {@code /api/ready} until 200; returns ms after {@code up}. */
    private long awaitReady(long up) throws InterruptedException {
        long deadline = up + DRAIN_BOUND.toNanos();
        Timed last = null;
        while (System.nanoTime() < deadline) {
            last = server.rawGet("/api/ready", FAIL_FAST);
            if (last.status() == 200) {
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - up);
            }
            Thread.sleep(200);
        }
        throw new AssertionError("/api/ready not 200 within " + DRAIN_BOUND + " of the store restart; last: " + last
                + "\nserver log:\n" + server.logTail());
    }

    /** Request threads ({@code dtm-http-*}) whose stack is inside the API handler, from a thread dump. */
    private List<String> requestThreadsInsideRequests() throws IOException, InterruptedException {
        Path jcmd = Paths.get(System.getProperty("java.home"), "bin", "jcmd");
        Path out = dir.resolve("threads-" + System.nanoTime() + ".txt");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(server.pid()), "Thread.print")
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return List.of("(thread dump timed out)");
        }
        List<String> stuck = new ArrayList<>();
        for (String block : Files.readString(out, StandardCharsets.UTF_8).split("\\R\\R")) {
            if (block.startsWith("\"dtm-http-") && block.contains("ApiHandler.handle")) {
                stuck.add(block.lines().limit(12).reduce((x, y) -> x + "\n" + y).orElse(block));
            }
        }
        return stuck;
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
            }, "outage-load");
            thread.setDaemon(true);
            thread.start();
        }

        private static Submit submit(DtmChild server, OutageBusi busi, String gid) {
            String body = GoTrans.saga(gid).add(busi.url("TransOut"), busi.url("TransOutRevert"), "{}")
                    .add(busi.url("TransIn"), busi.url("TransInRevert"), "{}").json();
            long t0 = System.nanoTime();
            Timed r;
            try {
                r = server.rawPost("/api/dtmsvr/submit", body, FAIL_FAST.multipliedBy(2));
            } catch (UncheckedIOException e) {
                r = new Timed(-2, e.getMessage(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            }
            return new Submit(gid, t0, r);
        }

        /** Stops submitting and waits (bounded) until the submit in flight, if any, has its answer. */
        void pause() throws InterruptedException {
            paused = true;
            if (inFlight.tryAcquire(FAIL_FAST.multipliedBy(3).toMillis(), TimeUnit.MILLISECONDS)) {
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
