package io.dtm4j.bench;

import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.store.jdbc.JdbcTransactionStore;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Administrative connections to the networked stores, outside every measured path: creates and drops the benchmark
 * namespaces, and reads each store's own counters (spec performance.md 4.2), which are the figures that do not
 * depend on the machine:
 * <ul>
 *   <li>PostgreSQL: {@code pg_stat_database.xact_commit} of {@value StoreEnv#PG_DATABASE} (every transaction,
 *       reads in autocommit included), the transaction ids handed out (write transactions only; cluster-wide) and
 *       {@code pg_stat_wal} (cluster-wide). Read from another database, so that reading adds nothing. Transaction
 *       ids are exact at once; the statistics are published by each backend lazily (after 1 s idle, or up to 10 s
 *       later when it finds the shared counters busy), so their per-cell deltas are approximate: {@link #settle}
 *       waits the second.</li>
 *   <li>MariaDB: {@code Com_commit}, {@code Innodb_log_writes}, {@code Innodb_data_fsyncs} (server-wide).</li>
 *   <li>Redis: {@code INFO commandstats} calls of {@code evalsha}, {@code eval} (round trips of our store) and of
 *       every command, those run inside scripts included.</li>
 *   <li>SQLite (and our JDBC stores, in this process): the group-commit writer's commits and writes.</li>
 * </ul>
 * Not thread-safe.
 */
final class StoreAdmin implements AutoCloseable {
    /** PostgreSQL publishes an idle backend's counts after at least 1 s (15: PGSTAT_MIN_INTERVAL). */
    private static final Duration PG_SETTLE = Duration.ofMillis(1100);

    private final StoreEnv env;
    private Connection pgStats;
    private Connection pgBench;
    private Connection mysql;
    private RedisClient redisClient;
    private StatefulRedisConnection<String, String> redis;

    private StoreAdmin(StoreEnv env) {
        this.env = env;
    }

    /** Connects to the networked stores among {@code kinds}, creating {@value StoreEnv#PG_DATABASE} if needed. */
    static StoreAdmin open(StoreEnv env, Set<StoreKind> kinds) throws SQLException {
        StoreAdmin a = new StoreAdmin(env);
        if (kinds.contains(StoreKind.POSTGRES)) {
            a.pgStats = DriverManager.getConnection(env.pgUrl(StoreEnv.SERVICES_DATABASE), env.user(), env.password());
            if (queryLong(a.pgStats, "SELECT count(*) FROM pg_database WHERE datname = '" + StoreEnv.PG_DATABASE
                    + "'") == 0) {
                execute(a.pgStats, "CREATE DATABASE " + StoreEnv.PG_DATABASE);
            }
            a.pgBench = DriverManager.getConnection(env.pgUrl(StoreEnv.PG_DATABASE), env.user(), env.password());
        }
        if (kinds.contains(StoreKind.MARIADB)) {
            a.mysql = DriverManager.getConnection(env.mysqlUrl(""), env.user(), env.password());
        }
        if (kinds.contains(StoreKind.REDIS)) {
            a.redisClient = RedisClient.create(RedisURI.create(env.redisHost(), env.redisPort()));
            a.redis = a.redisClient.connect();
        }
        return a;
    }

    StoreEnv env() {
        return env;
    }

    RedisCommands<String, String> redis() {
        return redis.sync();
    }

    void pgExecute(String sql) {
        execute(pgBench, sql);
    }

    void mysqlExecute(String sql) {
        execute(mysql, sql);
    }

    /** Removes the Redis keys matching {@code pattern}. */
    void redisDelete(String pattern) {
        deleteKeys(redis(), pattern);
    }

    /** Removes the keys matching {@code pattern} through {@code r}. */
    static void deleteKeys(RedisCommands<String, String> r, String pattern) {
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = r.scan(cursor, ScanArgs.Builder.matches(pattern).limit(1000));
            if (!page.getKeys().isEmpty()) {
                r.unlink(page.getKeys().toArray(String[]::new));
            }
            cursor = page;
        } while (!cursor.isFinished());
    }

    /** Waits until the store has published what it counted (PostgreSQL only). */
    void settle(StoreKind kind) {
        if (kind == StoreKind.POSTGRES) {
            Sleep.of(PG_SETTLE);
        }
    }

    /**
     * Reads the counters of {@code kind}; {@code store} is our store object when this process holds it (its writer's
     * commits and writes are read from it).
     */
    Map<String, Long> counters(StoreKind kind, TransactionStore store) {
        Map<String, Long> m = new TreeMap<>();
        if (store instanceof JdbcTransactionStore j) {
            m.put("commits", j.commits());
            m.put("writes", j.committedWrites());
        }
        try {
            switch (kind) {
                case POSTGRES -> postgresCounters(m);
                case MARIADB -> mariadbCounters(m);
                case REDIS -> redisCounters(m);
                default -> {
                    // in-process only
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(kind.id() + ": cannot read the store's counters: " + e.getMessage(), e);
        }
        return m;
    }

    private void postgresCounters(Map<String, Long> m) throws SQLException {
        try (Statement st = pgStats.createStatement()) {
            st.execute("SELECT pg_stat_clear_snapshot()");
            m.put("xact_commit", queryLong(pgStats, "SELECT xact_commit FROM pg_stat_database WHERE datname = '"
                    + StoreEnv.PG_DATABASE + "'"));
            m.put("xids", queryLong(pgStats, "SELECT txid_snapshot_xmax(txid_current_snapshot())"));
            try (ResultSet rs = st.executeQuery("SELECT wal_records, wal_write, wal_sync FROM pg_stat_wal")) {
                rs.next();
                m.put("wal_records", rs.getLong(1));
                m.put("wal_write", rs.getLong(2));
                m.put("wal_sync", rs.getLong(3));
            }
        }
    }

    private void mariadbCounters(Map<String, Long> m) throws SQLException {
        try (Statement st = mysql.createStatement(); ResultSet rs = st.executeQuery("SHOW GLOBAL STATUS WHERE "
                + "Variable_name IN ('Com_commit', 'Innodb_log_writes', 'Innodb_data_fsyncs')")) {
            while (rs.next()) {
                m.put(rs.getString(1), rs.getLong(2));
            }
        }
    }

    private void redisCounters(Map<String, Long> m) {
        long total = 0;
        for (String line : redis().info("commandstats").split("\r?\n")) {
            if (!line.startsWith("cmdstat_")) {
                continue;
            }
            String name = line.substring("cmdstat_".length(), line.indexOf(':'));
            int at = line.indexOf("calls=") + "calls=".length();
            long calls = Long.parseLong(line.substring(at, line.indexOf(',', at)));
            total += calls;
            if (name.equals("evalsha") || name.equals("eval")) {
                m.put(name, calls);
            }
        }
        m.putIfAbsent("evalsha", 0L);
        m.putIfAbsent("eval", 0L);
        // commandstats also counts the commands that scripts run inside Redis
        m.put("all_commands", total);
    }

    /** The settings that decide what a commit costs, for the report. */
    Map<String, String> settings(StoreKind kind) {
        Map<String, String> m = new LinkedHashMap<>();
        try {
            switch (kind) {
                case POSTGRES -> {
                    m.put("version", queryText(pgStats, "SHOW server_version"));
                    for (String s : new String[] {"fsync", "synchronous_commit", "wal_sync_method", "commit_delay"}) {
                        m.put(s, queryText(pgStats, "SHOW " + s));
                    }
                }
                case MARIADB -> {
                    m.put("version", queryText(mysql, "SELECT VERSION()"));
                    for (String s : new String[] {"innodb_flush_log_at_trx_commit", "log_bin", "sync_binlog"}) {
                        m.put(s, queryText(mysql, "SELECT @@" + s));
                    }
                }
                case REDIS -> {
                    String info = redis().info("server");
                    m.put("version", info.replaceAll("(?s).*redis_version:([^\r\n]*).*", "$1"));
                    m.put("appendonly", redis().configGet("appendonly").get("appendonly"));
                    m.put("appendfsync", redis().configGet("appendfsync").get("appendfsync"));
                }
                case SQLITE -> m.put("journal", "WAL, synchronous=FULL (one fsync per commit)");
                case MEM -> m.put("durability", "none (process memory)");
            }
        } catch (SQLException | RuntimeException e) {
            m.put("error", e.getMessage());
        }
        return m;
    }

    private static long queryLong(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String queryText(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void execute(Connection c, String sql) {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("'" + sql + "' failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (pgBench != null) {
            closeQuietly(pgBench);
            execute(pgStats, "DROP DATABASE IF EXISTS " + StoreEnv.PG_DATABASE + " WITH (FORCE)");
        }
        closeQuietly(pgStats);
        closeQuietly(mysql);
        if (redis != null) {
            redis.close();
            redisClient.shutdown();
        }
    }

    private static void closeQuietly(Connection c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (SQLException e) {
            // closing after the run: nothing left to measure
        }
    }
}
