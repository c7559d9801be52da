package io.dtm4j.core.testing;

import io.dtm4j.core.TransOutcome;
import io.dtm4j.core.spi.TransactionStore;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The workload of the store-side write-count tests ({@code *WriteCountIT}): happy 2-branch sagas submitted with
 * {@code wait_result} to an engine over a real store, alone or many at once, reporting what the engine asked
 * of the store through the SPI. Spec performance.md 5.1: DTM writes 4 times per such saga, the minimum is 2.
 */
public final class HappySagas {

    private static final long WAIT_SECONDS = 60;

    private HappySagas() {
    }

    /** What the engine asked of the store: durable writes and reads, as {@link CountingTransactionStore} counts. */
    public record SpiCalls(int writes, int reads) {
    }

    /**
     * Runs {@code count} happy sagas with gids {@code gid}, {@code gid-1}, ... on {@code store} (which stays
     * open): one on the calling thread, several from as many threads released together. Asserts that each
     * succeeded.
     */
    public static SpiCalls run(TransactionStore store, String gid, int count) {
        try (EngineHarness h = new EngineHarness(store)) {
            if (count == 1) {
                expectSuccess(h.coordinator.submit(EngineHarness.transferSaga(gid)
                        .options(EngineHarness.waitResult()).build()), gid);
            } else {
                runTogether(h, gid, count);
            }
            return new SpiCalls(h.store.writes(), h.store.reads());
        }
    }

    private static void runTogether(EngineHarness h, String gid, int count) {
        ExecutorService pool = Executors.newFixedThreadPool(count);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<TransOutcome>> outcomes = new ArrayList<>();
            for (int i = 1; i <= count; i++) {
                String g = gid + "-" + i;
                outcomes.add(pool.submit(() -> {
                    start.await();
                    return h.coordinator.submit(EngineHarness.transferSaga(g).options(EngineHarness.waitResult())
                            .build());
                }));
            }
            start.countDown();
            for (int i = 0; i < count; i++) {
                expectSuccess(outcomes.get(i).get(WAIT_SECONDS, TimeUnit.SECONDS), gid + "-" + (i + 1));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the sagas", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("gid=" + gid + "-*: a saga did not finish", e);
        } finally {
            pool.shutdownNow();
        }
    }

    private static void expectSuccess(TransOutcome out, String gid) {
        if (out.kind() != TransOutcome.Kind.SUCCESS) {
            throw new AssertionError("gid=" + gid + ": expected a successful saga, got " + out);
        }
    }
}
