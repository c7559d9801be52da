package io.dtm4j.client.barrier;

import java.sql.Connection;
import java.sql.SQLException;

/** Runs a body in a local transaction the barrier owns on a connection it does not own. */
final class LocalTransactions {

    /** A body run inside the transaction. */
    @FunctionalInterface
    interface Body<R, E extends Exception> {
        R apply(Connection connection) throws E, SQLException;
    }

    private LocalTransactions() {
    }

    /**
     * Runs {@code body} in a transaction on {@code c}: switches auto-commit off if it was on, commits when the
     * body returns, rolls back when anything is thrown (a rollback failure is attached as suppressed), and
     * switches auto-commit back on. A commit that throws is rolled back and rethrown: the caller cannot tell
     * whether it happened (the msg back-check settles that).
     */
    static <R, E extends Exception> R inOwnTransaction(Connection c, Body<R, E> body) throws E, SQLException {
        boolean restoreAutoCommit = c.getAutoCommit();
        if (restoreAutoCommit) {
            c.setAutoCommit(false);
        }
        R result;
        try {
            result = body.apply(c);
            c.commit();
        } catch (Throwable t) {
            rollbackAfter(c, t);
            if (restoreAutoCommit) {
                autoCommitAfter(c, t);
            }
            throw t;
        }
        if (restoreAutoCommit) {
            c.setAutoCommit(true);
        }
        return result;
    }

    private static void rollbackAfter(Connection c, Throwable cause) {
        try {
            c.rollback();
        } catch (SQLException | RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    private static void autoCommitAfter(Connection c, Throwable cause) {
        try {
            c.setAutoCommit(true);
        } catch (SQLException | RuntimeException e) {
            cause.addSuppressed(e);
        }
    }
}
