package io.dtm4j.server;

import io.dtm4j.client.OkHttpBranchInvoker;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.RecoveryReport;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.testing.CountingTransactionStore;
import io.dtm4j.core.testing.MutableClock;

import java.time.Duration;
import java.time.Instant;

/**
 * One in-process dtm server for a black-box test: a {@link DtmServer} on a free 127.0.0.1 port over a
 * {@link Coordinator} on an in-memory store (wrapped in a write counter), the real {@link OkHttpBranchInvoker}
 * calling a {@link BusiService} over loopback HTTP, {@link ServerMetrics} fed by the coordinator's events as in
 * {@code dtm}, and a {@link MutableClock}. Time moves only when the test says so; recovery runs only when the
 * test calls {@link #recover()}. Not thread-safe: one per test.
 */
final class HttpHarness implements AutoCloseable {
    /** DTM's default RequestTimeout. */
    static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(3);
    /** Bound on waiting for background rounds; they call only the local busi. */
    private static final Duration IDLE_WAIT = Duration.ofSeconds(30);

    final MutableClock clock = MutableClock.startingAtEpochOf2026();
    final QuiescentExecutor executor = new QuiescentExecutor();
    final CountingTransactionStore store = new CountingTransactionStore(new InMemoryTransactionStore());
    final BusiService busi;
    final ServerMetrics metrics = new ServerMetrics();
    final Coordinator coordinator;
    final DtmServer server;
    final DtmHttp dtm;
    private final OkHttpBranchInvoker invoker;

    private HttpHarness(Duration requestTimeout) {
        busi = BusiService.start();
        invoker = newInvoker();
        coordinator = Coordinator.builder().store(store).invoker(invoker).clock(clock).executor(executor)
                .requestTimeout(requestTimeout).events(metrics).build();
        server = DtmServer.builder().coordinator(coordinator).host("127.0.0.1").port(0).metrics(metrics).build();
        server.start();
        dtm = new DtmHttp(server.port());
    }

    /** Starts a harness with DTM's default branch timeout (3 s). */
    static HttpHarness start() {
        return new HttpHarness(DEFAULT_REQUEST_TIMEOUT);
    }

    /** Starts a harness whose coordinator-wide branch timeout is {@code requestTimeout}. */
    static HttpHarness start(Duration requestTimeout) {
        return new HttpHarness(requestTimeout);
    }

    private static OkHttpBranchInvoker newInvoker() {
        return OkHttpBranchInvoker.builder().build();
    }

    /** The URL of a busi route, e.g. {@code busi("TransIn")}. */
    String busi(String endpoint) {
        return busi.url() + "/" + endpoint;
    }

    /** Waits until every background round (and its branch calls) has finished. */
    void awaitIdle() {
        executor.awaitIdle(IDLE_WAIT);
    }

    /** One recovery step, as DTM's cron: claims due transactions and runs one round each; then waits for idle. */
    RecoveryReport recover() {
        awaitIdle();
        RecoveryReport r = coordinator.recoverOnce();
        awaitIdle();
        return r;
    }

    void advance(Duration d) {
        clock.advance(d);
    }

    void advanceSeconds(long s) {
        clock.advance(Duration.ofSeconds(s));
    }

    Instant now() {
        return clock.instant();
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            try {
                coordinator.close();
            } finally {
                executor.shutdownNow();
                busi.close();
                invoker.close();
            }
        }
    }
}
