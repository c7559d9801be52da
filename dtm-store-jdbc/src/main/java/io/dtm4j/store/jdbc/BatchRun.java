package io.dtm4j.store.jdbc;

import io.dtm4j.core.StoreUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs one batch of writes in one database transaction with one commit (group commit), for every dialect.
 *
 * <p>The batch first runs <b>optimistically</b>: its ops one after another with no savepoints, so the common case
 * costs no round trip beyond the ops' own statements and the commit. If an op fails, the transaction is rolled back
 * and the batch runs again <b>isolated</b>: each op inside its own savepoint, so that the failing op is rolled back
 * alone and the others commit. Ops are pure functions of the database state, so running them again is safe. A
 * batch of one op never needs savepoints: its failure is its own.
 *
 * <p>When the database rolls the whole transaction back because of a conflict with another transaction
 * (deadlock, serialization failure), the batch runs again, at most {@link #MAX_ATTEMPTS} times. Any other failure
 * of the transaction (connection lost, commit failed) fails every op of the batch with a message naming the store;
 * their outcome was not acknowledged. Confined to one writer thread.
 */
final class BatchRun {

    /** How often a batch runs before a deadlock or serialization failure is reported. */
    static final int MAX_ATTEMPTS = 3;

    private static final Logger LOG = LoggerFactory.getLogger(BatchRun.class);

    /** How the last attempt ended. */
    private enum End { COMMITTED, ENDED_ALONE, ISOLATE, RETRY, FAILED }

    private final WriteConnections connections;
    private final SqlErrors errors;
    private final AtomicLong commits;
    private final AtomicLong writes;
    private SQLException cause;
    private RuntimeException failure;
    private boolean unreachable;

    /**
     * @param commits counts the batches committed, before their callers learn of it
     * @param writes  counts the ops those batches committed (an op that failed alone in its savepoint is not one)
     */
    BatchRun(WriteConnections connections, SqlErrors errors, AtomicLong commits, AtomicLong writes) {
        this.connections = connections;
        this.errors = errors;
        this.commits = commits;
        this.writes = writes;
    }

    /**
     * Runs {@code batch} and completes every op's future.
     *
     * @return true when the batch committed; false when nothing was committed
     */
    boolean run(List<WriteOp<?>> batch) {
        boolean isolated = false;
        int conflicts = 0;
        while (true) {
            batch.forEach(WriteOp::reset);
            End end = attempt(batch, isolated);
            switch (end) {
                case COMMITTED, ENDED_ALONE -> {
                    if (end == End.COMMITTED) {
                        commits.incrementAndGet();
                        writes.addAndGet(batch.stream().filter(op -> op.failure() == null).count());
                    }
                    batch.forEach(WriteOp::complete);
                    return end == End.COMMITTED;
                }
                case ISOLATE -> isolated = true;
                case RETRY -> {
                    if (++conflicts >= MAX_ATTEMPTS) {
                        failEach(batch, "gave up after " + conflicts + " attempts");
                        return false;
                    }
                    LOG.warn("{}: a batch of {} writes was rolled back by the database ({}); running it again",
                            errors.name(), batch.size(), cause.getMessage());
                }
                default -> {
                    if (failure != null) {
                        WriteOp.failAll(batch, failure);
                    } else {
                        failEach(batch, null);
                    }
                    return false;
                }
            }
        }
    }

    /** True when the last batch failed because the database could not be reached. */
    boolean unreachable() {
        return unreachable;
    }

    /** The database failure that ended the last batch, if any. */
    SQLException cause() {
        return cause;
    }

    private End attempt(List<WriteOp<?>> batch, boolean isolated) {
        cause = null;
        failure = null;
        unreachable = false;
        Connection c;
        try {
            c = connections.acquire();
        } catch (SQLException e) {
            return classify(e);
        }
        try {
            return attemptOn(c, batch, isolated);
        } finally {
            connections.release(c);
        }
    }

    private End attemptOn(Connection c, List<WriteOp<?>> batch, boolean isolated) {
        try (Statement st = c.createStatement()) {
            connections.begin(c);
            for (WriteOp<?> op : batch) {
                End end = isolated ? runIsolated(c, st, op, batch.size()) : runPlain(c, op, batch.size());
                if (end != null) {
                    return end;
                }
            }
            connections.commit(c);
            return End.COMMITTED;
        } catch (SQLException e) {
            rollbackQuietly(c);
            return classify(e);
        } catch (RuntimeException | Error e) {
            // Not an op's own failure (those are caught around each op): end the transaction, let the writer report.
            rollbackQuietly(c);
            throw e;
        }
    }

    /** Runs one op without a savepoint; on failure the whole transaction is rolled back. */
    private End runPlain(Connection c, WriteOp<?> op, int batchSize) {
        try {
            op.run(c);
            return null;
        } catch (SQLException e) {
            rollbackQuietly(c);
            End end = classify(e);
            if (end == End.FAILED && batchSize == 1) {
                op.fail(errors.translate(op.what, e));
                return End.ENDED_ALONE;
            }
            return end == End.FAILED ? isolateOrFail(batchSize) : end;
        } catch (RuntimeException e) {
            rollbackQuietly(c);
            if (batchSize == 1) {
                op.fail(e);
                return End.ENDED_ALONE;
            }
            return End.ISOLATE;
        }
    }

    private End isolateOrFail(int batchSize) {
        return unreachable ? End.FAILED : batchSize > 1 ? End.ISOLATE : End.FAILED;
    }

    /** Runs one op in its own savepoint; its failure is recorded on it and its writes are undone. */
    private End runIsolated(Connection c, Statement st, WriteOp<?> op, int batchSize) throws SQLException {
        st.execute("SAVEPOINT op");
        try {
            op.run(c);
            st.execute("RELEASE SAVEPOINT op");
            return null;
        } catch (SQLException e) {
            if (errors.isRetryable(e) || errors.isUnreachable(e)) {
                rollbackQuietly(c);
                return classify(e);
            }
            op.fail(errors.translate(op.what, e));
        } catch (RuntimeException e) {
            op.fail(e);
        }
        try {
            st.execute("ROLLBACK TO SAVEPOINT op");
            st.execute("RELEASE SAVEPOINT op");
            return null;
        } catch (SQLException e) {
            // The database rolled back the whole transaction itself (SQLite after some I/O errors does).
            LOG.debug("{}: rollback to savepoint failed; the whole transaction is lost", errors.name(), e);
            rollbackQuietly(c);
            failure = new StoreUnavailableException(errors.name() + ": the database rolled back a batch of "
                    + batchSize + " writes after one failed (" + op.failure().getMessage() + "); retry",
                    op.failure());
            op.done.completeExceptionally(op.failure());
            return End.FAILED;
        }
    }

    private End classify(SQLException e) {
        cause = e;
        if (errors.isRetryable(e)) {
            return End.RETRY;
        }
        unreachable = errors.isUnreachable(e);
        return End.FAILED;
    }

    /** Fails each op with the translation of {@link #cause} for that op. */
    private void failEach(List<WriteOp<?>> batch, String note) {
        for (WriteOp<?> op : batch) {
            RuntimeException e = errors.translate(op.what, cause);
            op.done.completeExceptionally(note == null ? e
                    : new StoreUnavailableException(e.getMessage() + "; " + note, cause));
        }
    }

    private void rollbackQuietly(Connection c) {
        try {
            connections.rollback(c);
        } catch (SQLException e) {
            // Already rolled back by the database, or the connection is gone; nothing left to undo.
            LOG.debug("{}: rollback after a failed batch: {}", errors.name(), e.getMessage());
        }
    }
}
