package io.dtm4j.store.jdbc;

import io.dtm4j.core.StoreUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The only writer of one SQLite file, with group commit. A single thread ({@code dtm-sqlite-writer}) owns the
 * write connection; callers queue work and block until it is durable. The thread takes everything waiting (up
 * to {@code maxBatch}) and runs it in ONE transaction, each piece inside its own savepoint so that one failing
 * piece is rolled back alone, then commits once: one WAL fsync for the whole batch. Each caller's future
 * completes only after that commit. Work is applied in queue order, so later work in a batch sees earlier
 * work, exactly as if each had committed alone; if the commit fails, every piece of the batch fails.
 *
 * <p>Thread-safe. {@link #close()} lets the thread finish everything queued before it, then stops it and
 * closes the connection; later calls fail with a message saying the store is closed.
 */
final class SqliteWriter implements AutoCloseable {

    /** One piece of work on the write connection, inside its own savepoint. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(SqliteWriter.class);
    private static final Op<Void> STOP = new Op<>("stop", c -> null);

    private final Connection connection;
    private final SqliteErrors errors;
    private final int maxBatch;
    private final BlockingQueue<Op<?>> queue = new LinkedBlockingQueue<>();
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final AtomicLong commits = new AtomicLong();
    private final Thread thread;
    private boolean closed;

    SqliteWriter(Connection connection, SqliteErrors errors, int maxBatch) {
        this.connection = connection;
        this.errors = errors;
        this.maxBatch = maxBatch;
        this.thread = new Thread(this::loop, "dtm-sqlite-writer");
        // Daemon: an acknowledged write is already committed, so a JVM that exits without close() loses nothing.
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Runs {@code work} in the next batch and waits until its commit is durable. Waiting ignores interrupts
     * (the flag is restored on return): once queued, the work will commit or fail, and the caller must learn
     * which.
     *
     * @param what names the work for error messages, e.g. {@code gid=abc: insert}
     * @throws StoreUnavailableException when SQLite fails or the store is closed
     */
    <T> T write(String what, Work<T> work) {
        Op<T> op = new Op<>(what, work);
        enqueue(op);
        try {
            return op.done.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw e;
        }
    }

    /** Queues {@code work} without waiting; for tests that need several writes in one batch. */
    <T> CompletableFuture<T> writeAsync(String what, Work<T> work) {
        Op<T> op = new Op<>(what, work);
        enqueue(op);
        return op.done;
    }

    /** How many transactions this writer has committed. */
    long commits() {
        return commits.get();
    }

    /** How many pieces of work are queued and not yet taken into a batch. */
    int pending() {
        return queue.size();
    }

    private void enqueue(Op<?> op) {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw errors.closed(op.what);
            }
            queue.add(op);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            queue.add(STOP);
        } finally {
            lifecycle.writeLock().unlock();
        }
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        List<Op<?>> batch = new ArrayList<>(maxBatch);
        boolean stop = false;
        while (!stop) {
            batch.clear();
            batch.add(take());
            queue.drainTo(batch, maxBatch - 1);
            // STOP is queued last (nothing is queued after close), so it can only end a batch.
            stop = batch.remove(STOP);
            if (!batch.isEmpty()) {
                try {
                    runBatch(batch);
                } catch (Throwable t) {
                    LOG.error("{}: the writer failed a batch of {} writes unexpectedly", errors.name(), batch.size(),
                            t);
                    rollbackQuietly();
                    failAll(batch, new StoreUnavailableException(errors.name() + ": the writer failed: " + t, t));
                }
            }
        }
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.warn("{}: closing the write connection failed", errors.name(), e);
        }
    }

    private Op<?> take() {
        while (true) {
            try {
                return queue.take();
            } catch (InterruptedException e) {
                // Nobody but close() should stop this thread, and it does so through the queue.
                LOG.debug("{}: writer interrupted while idle; ignoring", errors.name());
            }
        }
    }

    private void runBatch(List<Op<?>> batch) {
        try (Statement st = connection.createStatement()) {
            try {
                st.execute("BEGIN IMMEDIATE");
            } catch (SQLException e) {
                failAll(batch, errors.translate("begin a write transaction for " + batch.size() + " writes", e));
                return;
            }
            for (Op<?> op : batch) {
                if (!runInSavepoint(st, op)) {
                    rollbackQuietly();
                    op.done.completeExceptionally(op.failure);
                    failAll(batch, new StoreUnavailableException(errors.name() + ": SQLite rolled back a batch of "
                            + batch.size() + " writes after one failed (" + op.failure.getMessage() + "); retry",
                            op.failure));
                    return;
                }
            }
            try {
                st.execute("COMMIT");
            } catch (SQLException e) {
                rollbackQuietly();
                failAll(batch, errors.translate("commit of " + batch.size() + " writes", e));
                return;
            }
        } catch (SQLException e) {
            failAll(batch, errors.translate("a batch of " + batch.size() + " writes", e));
            return;
        }
        commits.incrementAndGet();
        for (Op<?> op : batch) {
            op.complete();
        }
    }

    /**
     * Runs one op in a savepoint. Its own failure is recorded on the op and its writes undone.
     *
     * @return false when the whole transaction is lost (SQLite rolled it back, e.g. after an I/O error)
     */
    private boolean runInSavepoint(Statement st, Op<?> op) {
        try {
            st.execute("SAVEPOINT op");
        } catch (SQLException e) {
            op.failure = errors.translate(op.what, e);
            return false;
        }
        try {
            op.run(connection);
            st.execute("RELEASE op");
            return true;
        } catch (SQLException e) {
            op.failure = errors.translate(op.what, e);
        } catch (RuntimeException e) {
            op.failure = e;
        }
        try {
            st.execute("ROLLBACK TO op");
            st.execute("RELEASE op");
            return true;
        } catch (SQLException e) {
            LOG.debug("{}: rollback to savepoint failed; the whole transaction is lost", errors.name(), e);
            return false;
        }
    }

    private void rollbackQuietly() {
        try (Statement st = connection.createStatement()) {
            st.execute("ROLLBACK");
        } catch (SQLException e) {
            // Already rolled back by SQLite itself (it does so after some I/O errors); nothing left to undo.
            LOG.debug("{}: rollback after a failed batch: {}", errors.name(), e.getMessage());
        }
    }

    /** Fails every op of the batch not yet completed; a completed future ignores the call. */
    private static void failAll(List<Op<?>> batch, RuntimeException cause) {
        for (Op<?> op : batch) {
            op.done.completeExceptionally(cause);
        }
    }

    /** Queued work and its outcome. Confined to the writer thread until {@link #complete()}. */
    private static final class Op<T> {
        final String what;
        final Work<T> work;
        final CompletableFuture<T> done = new CompletableFuture<>();
        T result;
        RuntimeException failure;

        Op(String what, Work<T> work) {
            this.what = what;
            this.work = work;
        }

        void run(Connection c) throws SQLException {
            result = work.run(c);
        }

        void complete() {
            if (failure != null) {
                done.completeExceptionally(failure);
            } else {
                done.complete(result);
            }
        }
    }
}
