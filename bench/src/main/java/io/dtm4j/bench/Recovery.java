package io.dtm4j.bench;

import io.dtm4j.client.DtmClient;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The crash-recovery test (spec performance.md 4.5): N sagas in flight on the standalone server, SIGKILL, restart,
 * and the time until every one is final. Settings as the spec asks: {@code RetryInterval: 1},
 * {@code RequestTimeout: 3} (DTM's defaults of 10 s would dominate).
 *
 * <p>How N get in flight: the busi stub answers ONGOING to every action, so each submitted saga (no wait_result)
 * is stored and its first round ends with the branch still running, due again after 1 s. Then the server is
 * killed, the stub turns to SUCCESS, and the server restarts on the same store: its recovery finds all N due. The
 * clock starts when the restarted server answers {@code /api/ping}; the unfinished count is read from the store
 * directly every 50 ms. Checks: every saga ends (none stuck), no compensation ran (none failed), and each TransIn
 * ran; repeated calls after the restart are reported as duplicates. Not thread-safe.
 */
final class Recovery {
    private static final Duration POLL = Duration.ofMillis(50);
    private static final Duration SUBMIT_TIMEOUT = Duration.ofSeconds(30);
    private static final List<String> SETTINGS = List.of("RetryInterval: 1", "RequestTimeout: 3");

    /**
     * What one recovery run found.
     *
     * @param inFlight      transactions unfinished when the server was killed
     * @param restartMillis from SIGKILL until the new server answered
     * @param firstMillis   from then until the first transaction was final
     * @param drainMillis   from then until the last one was final; -1 when not all ended within the bound
     * @param steadyTps     the server's closed-loop saga rate on this store in the same run
     * @param duplicates    transactions whose TransOut or TransIn ran more than once after the restart
     * @param compensations compensation calls after the restart (must be 0)
     * @param missingTransIn transactions whose TransIn never ran after the restart (must be 0)
     */
    record Result(StoreKind store, int inFlight, long restartMillis, long firstMillis, long drainMillis,
                  double steadyTps, long duplicates, long compensations, long missingTransIn, String note) {

        double recoveryTps() {
            return drainMillis <= 0 ? Double.NaN : inFlight * 1000.0 / drainMillis;
        }

        double ratio() {
            return recoveryTps() / steadyTps;
        }

        /** The rate once recovery had started: without the wait for the first recovery poll. */
        double tpsAfterFirst() {
            return drainMillis <= firstMillis ? Double.NaN : inFlight * 1000.0 / (drainMillis - firstMillis);
        }
    }

    private final StoreAdmin admin;
    private final BusiStub busi;
    private final Path dtmJar;
    private final Path workDir;

    Recovery(StoreAdmin admin, BusiStub busi, Path dtmJar, Path workDir) {
        this.admin = admin;
        this.busi = busi;
        this.dtmJar = dtmJar;
        this.workDir = workDir;
    }

    Result run(StoreKind kind, int n, int concurrency, double steadyTps, Duration bound) {
        String name = "rec_" + kind.id();
        try (StoreSpace space = new StoreSpace(kind, name, admin, workDir);
             ServerProcess server = ServerProcess.start(dtmJar, workDir, name, space.serverConfig(), SETTINGS, 256)) {
            busi.ongoingActions(true);
            List<String> gids = submit(server, name, n, concurrency);
            long inFlight = space.unfinished();
            long killedAt = System.nanoTime();
            server.kill();
            busi.ongoingActions(false);
            busi.trackGids(true);
            busi.clearGids();
            Map<String, Long> before = busi.counts();
            server.restart();
            long t0 = System.nanoTime();
            long first = -1;
            long drained = -1;
            long deadline = t0 + bound.toNanos();
            while (System.nanoTime() < deadline) {
                long left = space.unfinished();
                long now = System.nanoTime();
                if (first < 0 && left < inFlight) {
                    first = (now - t0) / 1_000_000;
                }
                if (left == 0) {
                    drained = (now - t0) / 1_000_000;
                    break;
                }
                Sleep.of(POLL);
            }
            busi.trackGids(false);
            return check(kind, (int) inFlight, (t0 - killedAt) / 1_000_000, first, drained, steadyTps, gids, before);
        } finally {
            busi.ongoingActions(false);
            busi.trackGids(false);
            busi.clearGids();
        }
    }

    private Result check(StoreKind kind, int inFlight, long restart, long first, long drained, double steady,
                         List<String> gids, Map<String, Long> before) {
        long duplicates = 0;
        long missing = 0;
        for (String gid : gids) {
            int out = busi.callsFor(gid, "TransOut");
            int in = busi.callsFor(gid, "TransIn");
            if (out > 1 || in > 1) {
                duplicates++;
            }
            if (in == 0) {
                missing++;
            }
        }
        Map<String, Long> after = busi.counts();
        long compensations = 0;
        for (String k : List.of("TransOutCom", "TransInCom")) {
            compensations += after.getOrDefault(k, 0L) - before.getOrDefault(k, 0L);
        }
        String note = inFlight < gids.size() ? (gids.size() - inFlight) + " submitted sagas were already final"
                + " before the kill" : "";
        return new Result(kind, inFlight, restart, first, drained, steady, duplicates, compensations, missing, note);
    }

    /** Submits {@code n} sagas without wait_result from {@code concurrency} threads; returns their gids. */
    private List<String> submit(ServerProcess server, String name, int n, int concurrency) {
        List<String> gids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            gids.add(name + "-" + i);
        }
        AtomicInteger next = new AtomicInteger();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        String url = busi.url();
        try (DtmClient client = DtmClient.builder().serverUrl(server.apiUrl()).timeout(SUBMIT_TIMEOUT).build()) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < concurrency; t++) {
                threads.add(new Thread(() -> {
                    for (int i = next.getAndIncrement(); i < n && failure.get() == null; i = next.getAndIncrement()) {
                        try {
                            client.saga(gids.get(i)).add(url + "/TransOut", url + "/TransOutCom", Workload.BODY)
                                    .add(url + "/TransIn", url + "/TransInCom", Workload.BODY).submit();
                        } catch (RuntimeException e) {
                            failure.compareAndSet(null, e);
                        }
                    }
                }, "load-submit-" + t));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("recovery on " + name + ": a submit failed: " + failure.get().getMessage(),
                    failure.get());
        }
        return gids;
    }
}
