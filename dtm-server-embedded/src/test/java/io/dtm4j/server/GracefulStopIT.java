package io.dtm4j.server;

import io.dtm4j.core.Branch;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.server.DtmChild.Timed;
import io.dtm4j.server.DtmHttp.Query;
import io.dtm4j.store.jdbc.JdbcTransactionStore;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGTERM with branch calls in flight (spec ops-reliability-security C2 #14): the standalone server runs in a child
 * JVM on SQLite or PostgreSQL with a slow branch service ({@link GracefulStopBusi}: every call works
 * {@link #BRANCH_DELAY}); sagas are submitted, some with {@code wait_result}, one whose TransIn works
 * {@link #SLOW_FIRST} the first time (longer than the whole graceful stop), and while their calls are in flight
 * the server gets SIGTERM ({@code Process.destroy()}).
 *
 * <p>What must hold: the server exits with 0 ({@code DtmMain} halts with 0 after a graceful stop, not the JVM's
 * 143) and logs that it is stopping and stopped. Restarted on the same store, every saga submitted before the
 * SIGTERM is {@code succeed}, a {@code wait_result} answered 200 already was, and each branch's business effect
 * was applied exactly once: each idempotency key (gid, branch, op) of every saga, no compensation. A branch is
 * called again after the restart only when its result was not stored before it (read from the store while no
 * server runs), and no server calls a branch twice. Every wait is bounded.
 */
@Timeout(150)
class GracefulStopIT {
    private static final Duration BRANCH_DELAY = Duration.ofSeconds(3);
    /** Longer than the server's grace for requests and for rounds (5 s each): this call is cut off by the exit. */
    private static final Duration SLOW_FIRST = Duration.ofSeconds(15);
    /** Longer than a branch call, so that a lease never runs out during one. */
    private static final int RETRY_INTERVAL = 5;
    private static final Duration STOP_BOUND = Duration.ofSeconds(30);
    /** Shorter than the slow call's lease (request timeout + 2 s): the stopping server gives that lease back. */
    private static final Duration DRAIN_BOUND = Duration.ofSeconds(20);
    private static final int BACKGROUND = 4;
    private static final int WAITING = 2;
    private static final String PLACE = "it_graceful";
    private static final List<String> ALL_SUCCEED = List.of("prepared", "succeed", "prepared", "succeed");

    /** The stores it runs on: the embedded one, and one networked store of the shared test instance. */
    enum Where { SQLITE, POSTGRES }

    @TempDir
    Path dir;

    private GracefulStopBusi busi;
    private DtmChild server;
    private ExecutorService clients;

    @AfterEach
    void tearDown() {
        if (clients != null) {
            clients.shutdownNow();
        }
        if (server != null) {
            server.close();
        }
        if (busi != null) {
            busi.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Where.class)
    void sigtermWithBranchCallsInFlightExitsZeroAndLosesNothing(Where where) throws Exception {
        String prefix = "graceful-" + where.name().toLowerCase(Locale.ROOT) + "-"
                + Long.toString(System.currentTimeMillis(), 36) + "-";
        List<String> config = config(where);
        busi = new GracefulStopBusi(BRANCH_DELAY);
        String name = "dtm-graceful-" + where.name().toLowerCase(Locale.ROOT);
        server = DtmChild.start(dir, name, config);

        Map<String, Timed> acks = new LinkedHashMap<>();
        List<String> waiting = new ArrayList<>();
        String slow = prefix + "slow";
        submit(acks, slow, saga(slow, "{\"slow_first_ms\":" + SLOW_FIRST.toMillis() + "}", false));
        for (int i = 0; i < BACKGROUND; i++) {
            submit(acks, prefix + "bg-" + i, saga(prefix + "bg-" + i, "{}", false));
        }
        clients = Executors.newFixedThreadPool(WAITING);
        Map<String, Future<Timed>> waits = new LinkedHashMap<>();
        for (int i = 0; i < WAITING; i++) {
            String gid = prefix + "wait-" + i;
            String body = saga(gid, "{}", true);
            waiting.add(gid);
            DtmChild s = server;
            waits.put(gid, clients.submit(() -> post(s, body, Duration.ofSeconds(60))));
        }
        int all = 1 + BACKGROUND + WAITING;
        assertThat(busi.awaitInFlight(all, Duration.ofSeconds(20))).as("every saga's first call in flight; server "
                + "log:%n%s", server.logTail()).isTrue();
        Thread.sleep(500);

        int inFlightAtStop = busi.inFlight();
        long stopAt = System.nanoTime();
        int exit = server.terminate(STOP_BOUND);
        long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopAt);
        for (Map.Entry<String, Future<Timed>> e : waits.entrySet()) {
            acks.put(e.getKey(), e.getValue().get(STOP_BOUND.toSeconds(), TimeUnit.SECONDS));
        }
        List<String> stopping = server.logLines("stopping");
        List<String> stopped = server.logLines("stopped").stream().filter(l -> l.trim().endsWith("stopped")).toList();
        String oldLog = server.logTail();
        Stored before = stored(where, List.copyOf(acks.keySet()));

        // Taken before the start: the new server may call branches before it reports ready.
        long restartAt = System.nanoTime();
        server = DtmChild.start(dir, name, config);
        Map<String, String> pending = awaitSucceed(List.copyOf(acks.keySet()));
        long drainMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartAt);
        assertThat(busi.awaitIdle(SLOW_FIRST.plusSeconds(5))).as("every branch call has ended").isTrue();

        List<GracefulStopBusi.Call> oldCalls = busi.calls().stream().filter(c -> c.arrivedNanos() < restartAt)
                .toList();
        List<GracefulStopBusi.Call> newCalls = busi.calls().stream().filter(c -> c.arrivedNanos() >= restartAt)
                .toList();
        Set<String> expected = new HashSet<>();
        acks.keySet().forEach(g -> expected.addAll(List.of(g + "/01/action", g + "/02/action")));
        System.out.printf("GracefulStopIT %s: %d sagas (%d wait_result), %d branch calls in flight at SIGTERM; exit "
                        + "%d after %d ms; log stopping %d, stopped %d; wait_result replies %s; stored before the "
                        + "restart: %s; calls before the restart %d, after %d (%s); all succeed %s %d ms after the "
                        + "restart; effects applied %d of %d expected, repeats absorbed %d%n",
                where, all, WAITING, inFlightAtStop, exit, stopMillis, stopping.size(), stopped.size(),
                statuses(waiting.stream().map(acks::get).toList()), before.summary(), oldCalls.size(),
                newCalls.size(), newCalls.stream().map(GracefulStopBusi.Call::key).toList(),
                pending.isEmpty() ? "yes" : "NO", drainMillis, busi.applied().size(), expected.size(),
                busi.absorbed());

        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(exit).as("exit code after SIGTERM; log:%n%s", oldLog).isZero();
        soft.assertThat(stopping).as("the log says it is stopping").isNotEmpty();
        soft.assertThat(stopped).as("the log says it stopped").isNotEmpty();
        acks.forEach((gid, r) -> {
            if (!waiting.contains(gid)) {
                soft.assertThat(r.status()).as("submit %s: %s", gid, r).isEqualTo(200);
            } else if (r.status() == 200) {
                soft.assertThat(before.global().get(gid)).as("%s answered 200 with wait_result", gid)
                        .isEqualTo("succeed");
            }
        });
        soft.assertThat(pending).as("sagas not succeed within %s of the restart; log:%n%s", DRAIN_BOUND,
                server.logTail()).isEmpty();
        soft.assertThat(busi.applied()).as("business effects applied (once each, by key)")
                .containsExactlyInAnyOrderElementsOf(expected);
        soft.assertThat(repeated(oldCalls)).as("keys the stopped server called twice").isEmpty();
        soft.assertThat(repeated(newCalls)).as("keys the restarted server called twice").isEmpty();
        for (GracefulStopBusi.Call c : newCalls) {
            soft.assertThat(before.branches().get(c.key())).as("%s called after the restart: its result was not "
                    + "stored", c.key()).isNotEqualTo("succeed");
        }
        soft.assertAll();
    }

    private List<String> config(Where where) throws Exception {
        List<String> config = new ArrayList<>(List.of("HTTPServer:", "  Address: 127.0.0.1",
                "RetryInterval: " + RETRY_INTERVAL, "TimeoutToFail: 60", "RequestTimeout: 30"));
        if (where == Where.SQLITE) {
            config.addAll(List.of("Store:", "  Driver: sqlite", "  DataDir: " + dataDir()));
        } else {
            ItStore.Endpoint e = ItStore.POSTGRES.shared();
            ItStore.POSTGRES.reset(e, PLACE);
            config.addAll(ItStore.POSTGRES.configLines(e, PLACE));
        }
        return config;
    }

    private Path dataDir() throws Exception {
        return Files.createDirectories(dir.resolve("dtm-data")).toAbsolutePath();
    }

    /** What the store held after the stop: global status per gid, branch status per {@code gid/branch/op}. */
    record Stored(Map<String, String> global, Map<String, String> branches) {
        String summary() {
            long succeed = branches.values().stream().filter("succeed"::equals).count();
            return succeed + " of " + branches.size() + " branch rows succeed, globals "
                    + new TreeMap<>(global.values().stream().collect(Collectors.groupingBy(s -> s,
                    Collectors.counting())));
        }
    }

    /** Reads the store directly while no server runs on it. */
    private Stored stored(Where where, List<String> gids) throws Exception {
        Map<String, String> global = new LinkedHashMap<>();
        Map<String, String> branches = new LinkedHashMap<>();
        try (TransactionStore s = open(where)) {
            for (String gid : gids) {
                global.put(gid, s.findGlobal(gid).map(GlobalTransaction::status).map(GlobalStatus::wireName)
                        .orElse("missing"));
                for (Branch b : s.findBranches(gid)) {
                    branches.put(gid + "/" + b.branchId() + "/" + b.op().wireName(), b.status().wireName());
                }
            }
        }
        return new Stored(global, branches);
    }

    private TransactionStore open(Where where) throws Exception {
        if (where == Where.SQLITE) {
            return JdbcTransactionStore.sqlite(dataDir());
        }
        ItStore.Endpoint e = ItStore.POSTGRES.shared();
        return JdbcTransactionStore.builder().postgres(e.host(), e.port(), "dtm", PLACE).user(e.user())
                .password(e.password()).build();
    }

    private void submit(Map<String, Timed> acks, String gid, String body) {
        acks.put(gid, post(server, body, Duration.ofSeconds(10)));
    }

    private static Timed post(DtmChild s, String body, Duration timeout) {
        long t0 = System.nanoTime();
        try {
            return s.rawPost("/api/dtmsvr/submit", body, timeout);
        } catch (UncheckedIOException e) {
            // the server closed the connection while stopping: no answer
            return new Timed(-2, e.getMessage(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        }
    }

    private String saga(String gid, String inPayload, boolean waitResult) {
        GoTrans t = GoTrans.saga(gid).add(busi.url("TransOut"), busi.url("TransOutRevert"), "{}")
                .add(busi.url("TransIn"), busi.url("TransInRevert"), inPayload);
        return (waitResult ? t.waitResult() : t).json();
    }

    /** Polls the restarted server until every gid is succeed with both actions succeed; returns what is not. */
    private Map<String, String> awaitSucceed(List<String> gids) throws InterruptedException {
        Map<String, String> pending = new LinkedHashMap<>();
        gids.forEach(g -> pending.put(g, "unknown"));
        long deadline = System.nanoTime() + DRAIN_BOUND.toNanos();
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            for (String gid : List.copyOf(pending.keySet())) {
                Query q = server.dtm.query(gid);
                if (q.exists() && q.status().equals("succeed") && q.branchStatuses().equals(ALL_SUCCEED)) {
                    pending.remove(gid);
                } else {
                    pending.put(gid, q.exists() ? q.status() + " " + q.branchStatuses() : "not found");
                }
            }
            if (!pending.isEmpty()) {
                Thread.sleep(200);
            }
        }
        return pending;
    }

    private static List<String> repeated(List<GracefulStopBusi.Call> calls) {
        Map<String, Long> n = calls.stream().collect(Collectors.groupingBy(GracefulStopBusi.Call::key,
                Collectors.counting()));
        return n.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).sorted().toList();
    }

    private static Map<Integer, Long> statuses(List<Timed> replies) {
        Map<Integer, Long> m = new TreeMap<>();
        replies.forEach(t -> m.merge(t.status(), 1L, Long::sum));
        return m;
    }
}
