package io.dtm4j.client.barrier;

import io.dtm4j.client.DtmFailureException;
import io.dtm4j.core.testing.ItEnvironment;

import javax.sql.DataSource;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
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
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One schema of its own in the test MariaDB or PostgreSQL of {@code scripts/services-up.sh} (a database in
 * MariaDB, a schema in PostgreSQL), dropped and recreated on open so that suites can share the servers. Holds
 * a barrier table {@code <schema>.barrier} and an accounts table {@code <schema>.user_account}, and hands out
 * pooled connections through {@link #dataSource()}.
 */
final class TestDatabase implements AutoCloseable {
    /** The two SQL servers. */
    enum Kind {
        MARIADB, POSTGRES
    }

    final Kind kind;
    final String schema;
    private final String url;
    private final Pool pool;

    private TestDatabase(Kind kind, String schema, String url) {
        this.kind = kind;
        this.schema = schema;
        this.url = url;
        this.pool = new Pool();
    }

    /** Opens (recreates) {@code schema} in the test database of {@code kind}; skips or fails without it. */
    static TestDatabase open(Kind kind, String schema) throws SQLException {
        String url = kind == Kind.MARIADB ? ItEnvironment.mariadbUrl() : ItEnvironment.postgresUrl();
        TestDatabase db = new TestDatabase(kind, schema, url);
        try (Connection c = db.rawConnection(); Statement st = c.createStatement()) {
            if (kind == Kind.MARIADB) {
                st.execute("drop database if exists " + schema);
                st.execute("create database " + schema);
            } else {
                st.execute("drop schema if exists " + schema + " cascade");
                st.execute("create schema " + schema);
            }
        }
        return db;
    }

    BarrierDialect dialect() {
        return kind == Kind.MARIADB ? BarrierDialect.MYSQL : BarrierDialect.POSTGRES;
    }

    String barrierTable() {
        return schema + ".barrier";
    }

    String accountTable() {
        return schema + ".user_account";
    }

    /** A pooled data source; {@link #failNextCommits(int)} makes commits of its connections report failure. */
    DataSource dataSource() {
        return pool.dataSource;
    }

    /** The next {@code n} commits through {@link #dataSource()} apply and then throw, as a lost commit answer. */
    void failNextCommits(int n) {
        pool.commitsToFail.addAndGet(n);
    }

    /** A builder of barriers on this database's table. */
    BranchBarrier.Builder barrier() {
        return BranchBarrier.builder().tableName(barrierTable());
    }

    void createBarrierTable() throws SQLException {
        BranchBarrier.createTableIfAbsent(dataSource(), dialect(), barrierTable());
    }

    /** Creates {@code user_account} with users 1..n at {@code balance}; balance may never go negative. */
    void createAccounts(int users, long balance) throws SQLException {
        try (Connection c = rawConnection(); Statement st = c.createStatement()) {
            st.execute("create table " + accountTable() + "(user_id int primary key, "
                    + "balance decimal(12,2) not null default 0, trading_balance decimal(12,2) not null default 0, "
                    + "constraint balance_not_negative check (balance >= 0))"
                    + (kind == Kind.MARIADB ? " engine=InnoDB" : ""));
            for (int u = 1; u <= users; u++) {
                st.execute("insert into " + accountTable() + "(user_id, balance) values(" + u + ", " + balance + ")");
            }
        }
    }

    long balance(int user) throws SQLException {
        return queryLong("select balance from " + accountTable() + " where user_id = " + user);
    }

    long totalBalance() throws SQLException {
        return queryLong("select coalesce(sum(balance), 0) from " + accountTable());
    }

    /** Runs a query whose first column of the first row is a number. */
    long queryLong(String sql) throws SQLException {
        try (Connection c = rawConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next()) {
                throw new SQLException("no row: " + sql);
            }
            return rs.getBigDecimal(1).longValueExact();
        }
    }

    /** Barrier rows of a gid as {@code "branch op barrier_id reason"}, ordered by id. */
    List<String> barrierRows(String gid) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = rawConnection(); PreparedStatement ps = c.prepareStatement("select branch_id, op, "
                + "barrier_id, reason from " + barrierTable() + " where gid = ? order by id")) {
            ps.setString(1, gid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3) + " " + rs.getString(4));
                }
            }
        }
        return out;
    }

    /** Keys {@code (gid, branch_id, op, barrier_id)} that occur more than once (the unique key forbids it). */
    long duplicatedBarrierKeys() throws SQLException {
        return queryLong("select count(*) from (select gid from " + barrierTable()
                + " group by gid, branch_id, op, barrier_id having count(*) > 1) d");
    }

    /**
     * Adds {@code delta} to a balance; a balance that would go below what TCC tries froze (the negative
     * {@code trading_balance}) is a business FAILURE.
     */
    static void adjustBalance(Connection c, String table, int user, long delta) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update " + table + " set balance = balance + ? "
                + "where user_id = ? and balance + trading_balance + ? >= 0")) {
            ps.setBigDecimal(1, BigDecimal.valueOf(delta));
            ps.setInt(2, user);
            ps.setBigDecimal(3, BigDecimal.valueOf(delta));
            if (ps.executeUpdate() != 1) {
                throw new DtmFailureException("user " + user + ": insufficient balance for " + delta);
            }
        }
    }

    Connection rawConnection() throws SQLException {
        return DriverManager.getConnection(url, ItEnvironment.dbUser(), ItEnvironment.dbPassword());
    }

    @Override
    public void close() {
        pool.close();
    }

    /** A minimal connection pool: idle connections are reused; state is reset when one is returned. */
    private final class Pool {
        final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
        final AtomicInteger commitsToFail = new AtomicInteger();
        final DataSource dataSource = (DataSource) Proxy.newProxyInstance(TestDatabase.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (p, m, args) -> switch (m.getName()) {
                    case "getConnection" -> borrow();
                                        case "getParentLogger" -> throw new SQLFeatureNotSupportedException();
                    case "toString" -> "TestDatabase[" + schema + "]";
                    case "hashCode" -> System.identityHashCode(p);
                    case "equals" -> p == args[0];
                    default -> throw new UnsupportedOperationException("DataSource." + m.getName());
                });

        Connection borrow() throws SQLException {
            Connection real = idle.pollFirst();
            if (real == null) {
                real = rawConnection();
            }
            Connection target = real;
            boolean[] closed = {false};
            return (Connection) Proxy.newProxyInstance(TestDatabase.class.getClassLoader(),
                    new Class<?>[] {Connection.class}, (p, m, args) -> {
                        switch (m.getName()) {
                            case "close" -> {
                                if (!closed[0]) {
                                    closed[0] = true;
                                    giveBack(target);
                                }
                                return null;
                            }
                            case "isClosed" -> {
                                return closed[0];
                            }
                            case "commit" -> {
                                target.commit();
                                if (commitsToFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                                    throw new SQLException("connection reset after commit (injected)", "08006");
                                }
                                return null;
                            }
                            default -> {
                                if (closed[0]) {
                                    throw new SQLException("connection is closed");
                                }
                                try {
                                    return m.invoke(target, args);
                                } catch (InvocationTargetException e) {
                                    throw e.getCause();
                                }
                            }
                        }
                    });
        }

        void giveBack(Connection c) {
            try {
                if (!c.getAutoCommit()) {
                    c.rollback();
                    c.setAutoCommit(true);
                }
                idle.addFirst(c);
            } catch (SQLException e) {
                closeQuietly(c);
            }
        }

        void close() {
            for (Connection c; (c = idle.pollFirst()) != null; ) {
                closeQuietly(c);
            }
        }

        private void closeQuietly(Connection c) {
            try {
                c.close();
            } catch (SQLException e) {
                // a broken connection is dropped either way
            }
        }
    }
}
