package io.dtm4j.client.xa;

import io.dtm4j.core.DtmException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** JDBC plumbing of {@link XaDatabase}: auto-commit, closing, rollback after a failure, errors naming the branch. */
final class XaJdbc {
    private static final Logger LOG = LoggerFactory.getLogger(XaDatabase.class);

    private XaJdbc() {
    }

    /** True when MySQL's XA RECOVER lists the xid as prepared. */
    static boolean stillPrepared(Connection c, String xid) {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("XA RECOVER")) {
            while (rs.next()) {
                if (xid.equals(rs.getString("data"))) {
                    return true;
                }
            }
            return false;
        } catch (SQLException e) {
            return false; // cannot tell (e.g. no XA_RECOVER_ADMIN): trust the XAER_NOTA, as DTM does
        }
    }

    /** Rolls the local transaction back after phase one failed with {@code cause}; a failure is attached to it. */
    static void rollbackAfter(Connection c, XaDialect d, String xid, Throwable cause) {
        try {
            d.rollbackActive(c, xid);
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    /** Sets the auto-commit mode; returns the one to restore. */
    static boolean autoCommit(Connection c, XaRequest r, boolean wanted) {
        try {
            boolean was = c.getAutoCommit();
            if (was != wanted) {
                c.setAutoCommit(wanted);
            }
            return was;
        } catch (SQLException e) {
            throw failure(r, "setAutoCommit", e);
        }
    }

    /** Restores the auto-commit mode and closes the connection, which ends a MySQL session's hold on its xid. */
    static void release(Connection c, Boolean autoCommit) {
        try (c) {
            if (autoCommit != null && c.getAutoCommit() != autoCommit) {
                c.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            LOG.debug("closing an XA connection failed: {}", e.toString());
        }
    }

    /** A JDBC call whose failure becomes a {@link DtmException} naming the branch and the step. */
    @FunctionalInterface
    interface SqlStep {
        void run() throws SQLException;
    }

    static void sql(XaRequest r, String step, SqlStep body) {
        try {
            body.run();
        } catch (SQLException e) {
            throw failure(r, step, e);
        }
    }

    static DtmException failure(XaRequest r, String step, SQLException e) {
        return new DtmException(r.where() + step + " failed: " + e.getMessage() + " (SQLState " + e.getSQLState()
                + ", error " + e.getErrorCode() + ")", e);
    }
}
