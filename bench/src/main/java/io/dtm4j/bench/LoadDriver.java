package io.dtm4j.bench;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Drives a workload: a closed loop at a fixed concurrency (what DTM's {@code ab -c} did) or an open loop at a fixed
 * rate, whose latency counts from the intended send time, so that a stall shows in the figures instead of slowing
 * the offered load (coordinated omission). Each transaction gets a client-side gid ({@code <prefix>-<n>}); no
 * newGid round trip, as in DTM's own benchmark. Load threads are named {@code load-N}. Stateless; each run is
 * independent and returns when every transaction it started has ended.
 */
final class LoadDriver {
    /** Highest latency recorded: one minute, in microseconds. */
    private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(1);
    private static final int DIGITS = 2;
    private static final Duration DRAIN = Duration.ofSeconds(60);

    /** One transaction of the workload. Returning normally means it ended as the workload expects. */
    @FunctionalInterface
    interface Tx {
        void run(String gid) throws Exception;
    }

    private LoadDriver() {
    }

    /** Runs {@code concurrency} threads, each starting its next transaction when the last ended, for {@code window}. */
    static LoadResult closed(Tx tx, int concurrency, Duration window, String gidPrefix) {
        List<Histogram> histograms = new ArrayList<>();
        LongAdder completed = new LongAdder();
        LongAdder inWindow = new LongAdder();
        LongAdder errors = new LongAdder();
        AtomicReference<String> firstError = new AtomicReference<>("");
        CountDownLatch start = new CountDownLatch(1);
        long[] stopAt = new long[1];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < concurrency; i++) {
            Histogram h = new Histogram(MAX_MICROS, DIGITS);
            histograms.add(h);
            String prefix = gidPrefix + "-" + i + "-";
            threads.add(new Thread(() -> {
                await(start);
                long seq = 0;
                while (System.nanoTime() < stopAt[0]) {
                    long t0 = System.nanoTime();
                    if (runOne(tx, prefix + seq++, errors, firstError)) {
                        long t1 = System.nanoTime();
                        completed.increment();
                        if (t1 <= stopAt[0]) {
                            inWindow.increment();
                            h.recordValue(Math.min(MAX_MICROS, (t1 - t0) / 1000));
                        }
                    }
                }
            }, "load-" + (i + 1)));
        }
        threads.forEach(Thread::start);
        stopAt[0] = System.nanoTime() + window.toNanos();
        start.countDown();
        threads.forEach(LoadDriver::join);
        Histogram all = new Histogram(MAX_MICROS, DIGITS);
        histograms.forEach(all::add);
        return new LoadResult(completed.sum(), inWindow.sum(), errors.sum(), window.toNanos() / 1e9, all,
                firstError.get());
    }

    /**
     * Starts transactions at {@code rate} per second for {@code window} on up to {@code maxOutstanding} threads,
     * queueing the rest; latency counts from each transaction's intended start.
     */
    static LoadResult open(Tx tx, double rate, Duration window, int maxOutstanding, String gidPrefix) {
        Histogram latency = new ConcurrentHistogram(MAX_MICROS, DIGITS);
        LongAdder completed = new LongAdder();
        LongAdder errors = new LongAdder();
        AtomicReference<String> firstError = new AtomicReference<>("");
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(maxOutstanding, r -> {
            Thread t = new Thread(r, "load-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        long t0 = System.nanoTime();
        long stopAt = t0 + window.toNanos();
        double gapNanos = 1e9 / rate;
        for (long i = 0; ; i++) {
            long intended = t0 + (long) (i * gapNanos);
            if (intended >= stopAt) {
                break;
            }
            long wait = intended - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            String gid = gidPrefix + "-" + i;
            pool.execute(() -> {
                if (runOne(tx, gid, errors, firstError)) {
                    completed.increment();
                    latency.recordValue(Math.min(MAX_MICROS, (System.nanoTime() - intended) / 1000));
                }
            });
        }
        pool.shutdown();
        try {
            if (!pool.awaitTermination(DRAIN.toSeconds(), TimeUnit.SECONDS)) {
                pool.shutdownNow();
                firstError.compareAndSet("", "open loop: transactions still running " + DRAIN.toSeconds()
                        + " s after the last was started");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pool.shutdownNow();
        }
        return new LoadResult(completed.sum(), completed.sum(), errors.sum(), window.toNanos() / 1e9, latency,
                firstError.get());
    }

    private static boolean runOne(Tx tx, String gid, LongAdder errors, AtomicReference<String> firstError) {
        try {
            tx.run(gid);
            return true;
        } catch (Exception | AssertionError e) {
            errors.increment();
            String msg = e.getClass().getSimpleName() + ": " + e.getMessage();
            firstError.compareAndSet("", msg.length() > 300 ? msg.substring(0, 300) : msg);
            // a store or server that is down fails at once: do not spin on it
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            return false;
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
