package io.dtm4j.store.jdbc;

import io.dtm4j.core.StoreUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Every write of a store, with group commit across concurrent callers, for every dialect. Callers queue work and
 * block until it is durable. A few writer threads ({@code dtm-<dialect>-writer[-N]}) each take everything waiting
 * (up to {@code maxBatch}) and run it as one batch: one transaction, one commit (see {@link BatchRun}). Each
 * caller's future completes only after that commit. Within a batch, work is applied in queue order, so later work
 * sees earlier work exactly as if each had committed alone; batches of different threads run concurrently on
 * different connections, and the database's row locks order them.
 *
 * <p>SQLite has one writer thread (one file, one writer); PostgreSQL and MySQL have a few, so that a batch waiting
 * for its commit does not stop the next from starting. When a batch fails because the database cannot be reached,
 * the writes queued behind it fail at once with the same error instead of each waiting for its own timeout.
 *
 * <p>Thread-safe. {@link #close()} lets the threads finish everything queued before it, then stops them and closes
 * the connections; later calls fail with a message saying the store is closed.
 */
final class BatchWriter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BatchWriter.class);
    private static final WriteOp<Void> STOP = new WriteOp<>("stop", c -> null);

    private final WriteConnections connections;
    private final SqlErrors errors;
    private final int maxBatch;
    private final BlockingQueue<WriteOp<?>> queue = new LinkedBlockingQueue<>();
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final AtomicLong commits = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private boolean closed;

    /**
     * Starts {@code writers} threads named {@code threadName} (one thread) or {@code threadName-1...N}.
     */
    BatchWriter(String threadName, int writers, WriteConnections connections, SqlErrors errors, int maxBatch) {
        this.connections = connections;
        this.errors = errors;
        this.maxBatch = maxBatch;
        for (int i = 1; i <= writers; i++) {
            Thread t = new Thread(this::loop, writers == 1 ? threadName : threadName + "-" + i);
            // Daemon: an acknowledged write is already committed, so a JVM that exits without close() loses nothing.
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    /**
     * Runs {@code work} in the next batch and waits until its commit is durable. Waiting ignores interrupts
     * (the flag stays set): once queued, the work will commit or fail, and the caller must learn which.
     *
     * @param what names the work for error messages, e.g. {@code gid=abc: insert}
     * @throws StoreUnavailableException when the database fails or the store is closed
     */
    <T> T write(String what, WriteOp.Work<T> work) {
        try {
            return writeAsync(what, work).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw e;
        }
    }

    /**
     * Like {@link #write} for work that may wait long for the database's answer (deleting every row): its batch
     * waits as long as a read may, not the shorter bound of writes.
     */
    <T> T writeLong(String what, WriteOp.Work<T> work) {
        return write(what, c -> {
            connections.allowLongAnswers(c);
            return work.run(c);
        });
    }

    /** Queues {@code work} without waiting; for tests that need several writes in one batch. */
    <T> CompletableFuture<T> writeAsync(String what, WriteOp.Work<T> work) {
        WriteOp<T> op = new WriteOp<>(what, work);
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw errors.closed(what);
            }
            queue.add(op);
        } finally {
            lifecycle.readLock().unlock();
        }
        return op.done;
    }

    /** How many transactions the writer threads have committed, together. */
    long commits() {
        return commits.get();
    }

    /** How many pieces of work the committed transactions held, together (each succeeded or returned false). */
    long writes() {
        return writes.get();
    }

    /** How many pieces of work are queued and not yet taken into a batch. */
    int pending() {
        return queue.size();
    }

    /** How many writer threads there are. */
    int writers() {
        return threads.size();
    }

    /**
     * Makes every writer thread wait inside a batch of its own until {@code release} opens; returns once all of
     * them wait, with the future of those batches. For tests that need writes to queue up.
     */
    CompletableFuture<Void> holdAll(CountDownLatch release) throws InterruptedException {
        List<CompletableFuture<Void>> held = new ArrayList<>();
        for (int i = 0; i < threads.size(); i++) {
            CountDownLatch holding = new CountDownLatch(1);
            held.add(writeAsync("hold", c -> {
                holding.countDown();
                awaitUninterruptibly(release);
                return null;
            }));
            // The next hold goes to another thread: this one is busy until release.
            holding.await();
        }
        return CompletableFuture.allOf(held.toArray(CompletableFuture[]::new));
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            // One STOP per thread, queued after everything else: nothing can be queued after close.
            threads.forEach(t -> queue.add(STOP));
        } finally {
            lifecycle.writeLock().unlock();
        }
        boolean interrupted = false;
        for (Thread t : threads) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        connections.close();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        BatchRun run = new BatchRun(connections, errors, commits, writes);
        List<WriteOp<?>> batch = new ArrayList<>(maxBatch);
        boolean stop = false;
        while (!stop) {
            batch.clear();
            batch.add(take());
            queue.drainTo(batch, maxBatch - 1);
            stop = batch.remove(STOP);
            // STOPs come last; one that another thread needs goes back to the queue.
            while (batch.remove(STOP)) {
                queue.add(STOP);
            }
            if (!batch.isEmpty()) {
                runBatch(run, batch);
            }
        }
    }

    private void runBatch(BatchRun run, List<WriteOp<?>> batch) {
        try {
            if (!run.run(batch) && run.unreachable()) {
                failQueued(run);
            }
        } catch (RuntimeException | Error e) {
            LOG.error("{}: the writer failed a batch of {} writes unexpectedly", errors.name(), batch.size(), e);
            WriteOp.failAll(batch, new StoreUnavailableException(errors.name() + ": the writer failed: " + e, e));
        }
    }

    /** Fails the writes queued now with the error that ended the last batch, so none waits for its own timeout. */
    private void failQueued(BatchRun run) {
        List<WriteOp<?>> queued = new ArrayList<>();
        queue.drainTo(queued);
        for (WriteOp<?> op : queued) {
            if (op == STOP) {
                queue.add(STOP);
            } else {
                op.done.completeExceptionally(errors.translate(op.what, run.cause()));
            }
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private WriteOp<?> take() {
        while (true) {
            try {
                return queue.take();
            } catch (InterruptedException e) {
                // Nobody but close() should stop these threads, and it does so through the queue.
                LOG.debug("{}: writer interrupted while idle; ignoring", errors.name());
            }
        }
    }
}
