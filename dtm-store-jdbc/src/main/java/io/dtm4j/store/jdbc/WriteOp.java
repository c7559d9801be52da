package io.dtm4j.store.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One queued write and its outcome. Between {@link BatchWriter} taking it and {@link #complete()}, only the
 * writer thread running its batch touches it; the caller only waits on {@link #done}.
 */
final class WriteOp<T> {

    /** One piece of work on a writer's connection, inside the batch transaction. Re-run if the batch is. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    final String what;
    final Work<T> work;
    final CompletableFuture<T> done = new CompletableFuture<>();
    private T result;
    private RuntimeException failure;

    WriteOp(String what, Work<T> work) {
        this.what = what;
        this.work = work;
    }

    /** Forgets the outcome of an attempt whose transaction was rolled back. */
    void reset() {
        result = null;
        failure = null;
    }

    void run(Connection c) throws SQLException {
        result = work.run(c);
    }

    /** Records that this op failed alone; its writes were (or will be) rolled back. */
    void fail(RuntimeException e) {
        failure = e;
    }

    RuntimeException failure() {
        return failure;
    }

    /** Completes the caller's future with the recorded outcome; call after the batch committed. */
    void complete() {
        if (failure != null) {
            done.completeExceptionally(failure);
        } else {
            done.complete(result);
        }
    }

    /** Fails every op of the batch not yet completed; a completed future ignores the call. */
    static void failAll(List<WriteOp<?>> ops, RuntimeException cause) {
        for (WriteOp<?> op : ops) {
            op.done.completeExceptionally(cause);
        }
    }
}
