package io.dtm4j.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The business work of DTM's published overhead measurement (spec performance.md 1.1: "2 SQL per branch", DTM 0.47
 * of no DTM): each branch call of the {@link Workload#SAGA_SQL} workload runs one local transaction of two
 * {@code UPDATE}s on random rows of {@value #ACCOUNTS} accounts, on the same database server as the coordinator's
 * store, as DTM's benchmark did. The rows are updated in ascending id order, so two calls never deadlock.
 * Thread-safe; close it to drop the table and the pool.
 */
final class BusiDb implements AutoCloseable {
    static final int ACCOUNTS = 10_000;
    private static final String TABLE = "bench_busi_account";

    private final HikariDataSource pool;

    private BusiDb(HikariDataSource pool) {
        this.pool = pool;
    }

    /** Creates and fills the accounts table on {@code kind}'s server (PostgreSQL or MariaDB). */
    static BusiDb open(StoreKind kind, StoreEnv env, int connections) throws SQLException {
        HikariConfig c = new HikariConfig();
        c.setPoolName("bench-busi-" + kind.id());
        c.setJdbcUrl(kind == StoreKind.POSTGRES ? env.pgUrl(StoreEnv.PG_DATABASE)
                : env.mysqlUrl(StoreEnv.SERVICES_DATABASE));
        c.setUsername(env.user());
        c.setPassword(env.password());
        c.setMaximumPoolSize(connections);
        c.setMinimumIdle(connections);
        c.setAutoCommit(false);
        BusiDb db = new BusiDb(new HikariDataSource(c));
        try (Connection conn = db.pool.getConnection(); Statement st = conn.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + TABLE);
            st.execute("CREATE TABLE " + TABLE + " (id INT PRIMARY KEY, balance BIGINT NOT NULL)");
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + TABLE
                    + " (id, balance) VALUES (?, ?)")) {
                for (int id = 0; id < ACCOUNTS; id++) {
                    ps.setInt(1, id);
                    ps.setLong(2, 1_000_000);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            conn.commit();
        } catch (SQLException e) {
            db.close();
            throw e;
        }
        return db;
    }

    /** One branch's business work: two updates in one local transaction, committed. */
    void work(long amount) throws SQLException {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        int a = r.nextInt(ACCOUNTS);
        int b = r.nextInt(ACCOUNTS);
        try (Connection conn = pool.getConnection();
             PreparedStatement ps = conn.prepareStatement("UPDATE " + TABLE
                     + " SET balance = balance + ? WHERE id = ?")) {
            try {
                ps.setLong(1, amount);
                ps.setInt(2, Math.min(a, b));
                ps.executeUpdate();
                ps.setLong(1, -amount);
                ps.setInt(2, Math.max(a, b));
                ps.executeUpdate();
                conn.commit();
            } catch (SQLException e) {
                conn.rollback();
                throw e;
            }
        }
    }

    @Override
    public void close() {
        try (Connection conn = pool.getConnection(); Statement st = conn.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + TABLE);
            conn.commit();
        } catch (SQLException e) {
            // the table goes with the bench database anyway
        }
        pool.close();
    }
}
