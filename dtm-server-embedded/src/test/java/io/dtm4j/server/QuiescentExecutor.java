package io.dtm4j.server;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An executor for the coordinator under test that knows when all the work it was given is done, so a
 * test can wait for background processing to finish instead of sleeping. A task submitted by a running
 * task (a round launching parallel branch calls) counts before its parent ends, so "idle" means the whole
 * tree is done. Thread-safe.
 */
final class QuiescentExecutor extends AbstractExecutorService {
    private final ExecutorService delegate;
    private final Object lock = new Object();
    private int inFlight;

    QuiescentExecutor() {
        AtomicInteger n = new AtomicInteger();
        this.delegate = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "dtm-test-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void execute(Runnable task) {
        synchronized (lock) {
            inFlight++;
        }
        try {
            delegate.execute(() -> {
                try {
                    task.run();
                } finally {
                    done();
                }
            });
        } catch (RuntimeException e) {
            done();
            throw e;
        }
    }

    private void done() {
        synchronized (lock) {
            inFlight--;
            if (inFlight == 0) {
                lock.notifyAll();
            }
        }
    }

    /**
     * Waits until no task is queued or running.
     *
     * @throws AssertionError when work is still running after {@code max}
     */
    void awaitIdle(Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        synchronized (lock) {
            while (inFlight > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("background processing still running after " + max + " ("
                            + inFlight + " tasks)");
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted while waiting for background processing", e);
                }
            }
        }
    }

    @Override
    public void shutdown() {
        delegate.shutdown();
    }

    @Override
    public List<Runnable> shutdownNow() {
        return delegate.shutdownNow();
    }

    @Override
    public boolean isShutdown() {
        return delegate.isShutdown();
    }

    @Override
    public boolean isTerminated() {
        return delegate.isTerminated();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return delegate.awaitTermination(timeout, unit);
    }
}
