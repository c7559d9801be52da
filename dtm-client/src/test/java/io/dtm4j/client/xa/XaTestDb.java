package io.dtm4j.client.xa;

import io.dtm4j.client.DtmFailureException;
import io.dtm4j.client.barrier.BarrierDialect;
import io.dtm4j.client.barrier.BranchBarrier;
import io.dtm4j.core.testing.ItEnvironment;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.logging.Logger;

/**
 * A schema of the XA integration tests in the test MariaDB or PostgreSQL of {@code scripts/services-up.sh}
 * (a database in MariaDB, a schema in PostgreSQL) holding a barrier table and per-test account tables, so
 * suites can share the servers. Its {@link #dataSource()} opens a new connection each time, as XaBranch needs
 * on MySQL. Prepared XA transactions are listed and rolled back by gid prefix.
 */
final class XaTestDb {
    /** The two SQL servers. */
    enum Kind {
        MARIADB("my"), POSTGRES("pg");

        /** Short tag for gids (MySQL xids hold 64 bytes). */
        final String tag;

        Kind(String tag) {
            this.tag = tag;
        }
    }

    final Kind kind;
    final String schema;
    private final String url;
    private final String user;
    private final String password;

    private XaTestDb(Kind kind, String schema, String url, String user, String password) {
        this.kind = kind;
        this.schema = schema;
        this.url = url;
        this.user = user;
        this.password = password;
    }

    /** The test database of {@code kind} from the environment (skips, or fails in CI, without it). */
    static XaTestDb of(Kind kind, String schema) {
        String url = kind == Kind.MARIADB ? ItEnvironment.mariadbUrl() : ItEnvironment.postgresUrl();
        return new XaTestDb(kind, schema, url, ItEnvironment.dbUser(), ItEnvironment.dbPassword());
    }

    /**
     * Creates the schema and its barrier table when absent, after rolling back prepared XA transactions left
     * by an earlier run of the suite (their locks would block the DDL).
     */
    XaTestDb open(String gidPrefix) throws SQLException {
        rollbackPrepared(gidPrefix);
        BranchBarrier.createTableIfAbsent(dataSource(), kind == Kind.MARIADB ? BarrierDialect.MYSQL
                : BarrierDialect.POSTGRES, barrierTable());
        return this;
    }

    XaDialect dialect() {
        return kind == Kind.MARIADB ? XaDialect.MYSQL : XaDialect.POSTGRESQL;
    }

    String barrierTable() {
        return schema + ".barrier";
    }

    /** A table name in this schema for a test's accounts. */
    String accountsTable(String testName) {
        return schema + ".acc_" + testName.toLowerCase(Locale.ROOT);
    }

    /** A data source opening a new connection on every call (XaBranch closes what it takes). */
    DataSource dataSource() {
        return new DataSource() {
            @Override
            public Connection getConnection() throws SQLException {
                return connect();
            }

            @Override
            public Connection getConnection(String u, String p) throws SQLException {
                return DriverManager.getConnection(url, u, p);
            }

            @Override
            public PrintWriter getLogWriter() {
                return null;
            }

            @Override
            public void setLogWriter(PrintWriter out) {
            }

            @Override
            public void setLoginTimeout(int seconds) {
            }

            @Override
            public int getLoginTimeout() {
                return 0;
            }

            @Override
            public Logger getParentLogger() throws SQLFeatureNotSupportedException {
                throw new SQLFeatureNotSupportedException();
            }

            @Override
            public <T> T unwrap(Class<T> iface) throws SQLException {
                throw new SQLException("not a wrapper");
            }

            @Override
            public boolean isWrapperFor(Class<?> iface) {
                return false;
            }
        };
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(url, user, password);
    }

    /** (Re)creates an accounts table with users 1 and 2 at {@code balance}. */
    void createAccounts(String table, long balance) throws SQLException {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute("drop table if exists " + table);
            st.execute("create table " + table + "(user_id int primary key, balance decimal(12,2) not null)"
                    + (kind == Kind.MARIADB ? " engine=InnoDB" : ""));
            st.execute("insert into " + table + "(user_id, balance) values(1, " + balance + "), (2, " + balance + ")");
        }
    }

    void dropTable(String table) throws SQLException {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute("drop table if exists " + table);
        }
    }

    long balance(String table, int user) throws SQLException {
        try (Connection c = connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select balance from " + table + " where user_id = " + user)) {
            if (!rs.next()) {
                throw new SQLException("no user " + user + " in " + table);
            }
            return rs.getBigDecimal(1).longValueExact();
        }
    }

    /** Adds {@code delta} to a balance; a balance that would go negative is a business FAILURE. */
    static void adjustBalance(Connection c, String table, int user, long delta) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update " + table + " set balance = balance + ? "
                + "where user_id = ? and balance + ? >= 0")) {
            ps.setBigDecimal(1, BigDecimal.valueOf(delta));
            ps.setInt(2, user);
            ps.setBigDecimal(3, BigDecimal.valueOf(delta));
            if (ps.executeUpdate() != 1) {
                throw new DtmFailureException("user " + user + ": insufficient balance for " + delta);
            }
        }
    }

    /** The prepared XA transactions whose xid starts with {@code prefix}, sorted. */
    List<String> preparedXids(String prefix) throws SQLException {
        List<String> out = new ArrayList<>();
        String sql = kind == Kind.MARIADB ? "XA RECOVER" : "select gid from pg_prepared_xacts";
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                String xid = rs.getString(kind == Kind.MARIADB ? "data" : "gid");
                if (xid.startsWith(prefix)) {
                    out.add(xid);
                }
            }
        }
        out.sort(null);
        return out;
    }

    /** Rolls back every prepared XA transaction whose xid starts with {@code prefix}; returns how many. */
    int rollbackPrepared(String prefix) throws SQLException {
        List<String> xids = preparedXids(prefix);
        try (Connection c = connect(); Statement st = c.createStatement()) {
            for (String xid : xids) {
                st.execute(dialect().phaseTwo(XaRequest.ROLLBACK, xid));
            }
        }
        return xids.size();
    }

    /** Commits one prepared xid directly, as a repeated phase two would have. */
    void commitPrepared(String xid) throws SQLException {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute(dialect().phaseTwo(XaRequest.COMMIT, xid));
        }
    }

    /** Barrier rows of a gid as {@code "branch op barrier_id reason"}, ordered by id. */
    List<String> barrierRows(String gid) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("select branch_id, op, barrier_id, "
                + "reason, trans_type from " + barrierTable() + " where gid = ? order by id")) {
            ps.setString(1, gid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(5) + " " + rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3)
                            + " " + rs.getString(4));
                }
            }
        }
        return out;
    }

    /** Deletes the barrier rows of gids starting with {@code prefix} (a rerun reuses its gids). */
    void deleteBarrierRows(String prefix) throws SQLException {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("delete from " + barrierTable()
                + " where gid like ?")) {
            ps.setString(1, prefix + "%");
            ps.executeUpdate();
        }
    }
}
