package io.dtm4j.client.xa;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The databases {@link XaBranch} runs local XA transactions on, and their SQL (as DTM's Go SDK sends it). The
 * xid of a branch is {@code <gid>-<branch_id>}.
 */
public enum XaDialect {
    /**
     * MySQL 5.7.7+ and MariaDB 10.5+: {@code XA START}, {@code XA END}, {@code XA PREPARE}, {@code XA COMMIT},
     * {@code XA ROLLBACK}; xids up to 64 bytes. Barrier insert: {@code insert ignore}.
     */
    MYSQL,
    /**
     * PostgreSQL with {@code max_prepared_transactions} above 0: {@code BEGIN}, {@code PREPARE TRANSACTION},
     * {@code COMMIT PREPARED}, {@code ROLLBACK PREPARED}; xids up to 199 bytes. Barrier insert:
     * {@code on conflict on constraint uniq_barrier do nothing}.
     */
    POSTGRESQL;

    /** What an xid may hold; quoting it needs no escaping in either database. */
    private static final Pattern SAFE_XID = Pattern.compile("[A-Za-z0-9_\\-.:@]+");

    /** Returns the dialect of a JDBC product name ({@code MySQL}, {@code MariaDB}, {@code PostgreSQL}). */
    static Optional<XaDialect> ofProductName(String productName) {
        String p = productName == null ? "" : productName.toLowerCase(Locale.ROOT);
        if (p.contains("mysql") || p.contains("mariadb")) {
            return Optional.of(MYSQL);
        }
        if (p.contains("postgresql")) {
            return Optional.of(POSTGRESQL);
        }
        return Optional.empty();
    }

    /** Longest xid the database takes, in characters (all xid characters are ASCII). */
    int maxXidLength() {
        return this == MYSQL ? 64 : 199;
    }

    /**
     * The auto-commit mode of phase one: on for MySQL (XA START opens the transaction, and no implicit local
     * transaction may be open before it), off for PostgreSQL (the driver's BEGIN opens it).
     */
    boolean phaseOneAutoCommit() {
        return this == MYSQL;
    }

    /** Opens the local XA transaction; PostgreSQL's is opened by the driver with auto-commit off. */
    void start(Statement s, String xid) throws SQLException {
        if (this == MYSQL) {
            s.execute("XA START " + literal(xid));
        }
    }

    /** Ends and prepares the local XA transaction: it survives this connection until phase two. */
    void prepare(Statement s, String xid) throws SQLException {
        if (this == MYSQL) {
            s.execute("XA END " + literal(xid));
            s.execute("XA PREPARE " + literal(xid));
        } else {
            s.execute("PREPARE TRANSACTION " + literal(xid));
        }
    }

    /** Rolls back a local XA transaction that is not prepared (phase one failed). */
    void rollbackActive(Connection c, String xid) throws SQLException {
        if (this == POSTGRESQL) {
            c.rollback();
            return;
        }
        try (Statement s = c.createStatement()) {
            try {
                s.execute("XA END " + literal(xid));
            } catch (SQLException e) {
                // already ended (the failure came after XA END): XA ROLLBACK works from both states
            }
            s.execute("XA ROLLBACK " + literal(xid));
        }
    }

    /** The phase-two statement for {@code commit} or {@code rollback} of a prepared xid. */
    String phaseTwo(String op, String xid) {
        boolean commit = XaRequest.COMMIT.equals(op);
        if (this == MYSQL) {
            return (commit ? "XA COMMIT " : "XA ROLLBACK ") + literal(xid);
        }
        return (commit ? "COMMIT PREPARED " : "ROLLBACK PREPARED ") + literal(xid);
    }

    /** True when the error says the xid is not prepared (any more): MySQL XAER_NOTA, PostgreSQL "does not exist". */
    boolean unknownXid(SQLException e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        if (this == MYSQL) {
            return e.getErrorCode() == 1397 || m.contains("XAER_NOTA");
        }
        return "42704".equals(e.getSQLState()) || m.contains("does not exist");
    }

    /** The barrier insert-ignore of DTM's barrier table (spec 10.2), 6 parameters. */
    String insertBarrier(String table) {
        String insert = "(trans_type, gid, branch_id, op, barrier_id, reason) values(?,?,?,?,?,?)";
        return this == MYSQL ? "insert ignore into " + table + insert
                : "insert into " + table + insert + " on conflict ON CONSTRAINT uniq_barrier do nothing";
    }

    /** Quotes an xid after checking again that it holds only safe characters. */
    static String literal(String xid) {
        if (!SAFE_XID.matcher(xid).matches()) {
            throw new IllegalArgumentException("an xid may only hold A-Z a-z 0-9 _ - . : @");
        }
        return "'" + xid + "'";
    }
}
