package io.dtm4j.client;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;

/** Holds every task until {@link #runAll()}: shows what a caller sees before background work ran. */
final class QueuedExecutorService extends AbstractExecutorService {
    private final List<Runnable> queued = new ArrayList<>();
    private volatile boolean shutdown;

    @Override
    public synchronized void execute(Runnable command) {
        queued.add(command);
    }

    /** Runs the held tasks (and any they queue) on the calling thread. */
    void runAll() {
        while (true) {
            Runnable next;
            synchronized (this) {
                if (queued.isEmpty()) {
                    return;
                }
                next = queued.remove(0);
            }
            next.run();
        }
    }

    @Override
    public void shutdown() {
        shutdown = true;
    }

    @Override
    public List<Runnable> shutdownNow() {
        shutdown = true;
        return List.of();
    }

    @Override
    public boolean isShutdown() {
        return shutdown;
    }

    @Override
    public boolean isTerminated() {
        return shutdown;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return true;
    }
}
