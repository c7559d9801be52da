package io.dtm4j.bench;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The store's raw write rate, without our code: one durable single-row write per operation, as cheap as the client
 * library allows (spec performance.md 3.3-3.5). SQL: an autocommit {@code INSERT} on a connection per load thread;
 * Redis: a {@code SET} on one shared lettuce connection (pipelined across threads, as our store's scripts are).
 * {@link #close()} drops what it made. Thread-safe.
 */
final class RawCeiling implements AutoCloseable {
    private final StoreKind kind;
    private final StoreEnv env;
    private final String table;
    private final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final ThreadLocal<Connection> perThread = new ThreadLocal<>();
    private RedisClient redisClient;
    private StatefulRedisConnection<String, String> redis;

    private RawCeiling(StoreKind kind, StoreEnv env, String table) {
        this.kind = kind;
        this.env = env;
        this.table = table;
    }

    /** True for the stores that have one: PostgreSQL, MariaDB and Redis. */
    static boolean supports(StoreKind kind) {
        return kind.networked();
    }

    static RawCeiling open(StoreKind kind, StoreEnv env, String name) throws SQLException {
        RawCeiling r = new RawCeiling(kind, env, "bench_raw_" + name);
        if (kind == StoreKind.REDIS) {
            r.redisClient = RedisClient.create(RedisURI.create(env.redisHost(), env.redisPort()));
            r.redis = r.redisClient.connect();
        } else {
            try (Statement st = r.connection().createStatement()) {
                st.execute("CREATE TABLE " + r.table + " (gid VARCHAR(128) PRIMARY KEY, data VARCHAR(64))");
            }
        }
        return r;
    }

    LoadDriver.Tx tx() {
        if (kind == StoreKind.REDIS) {
            String prefix = "{" + table + "}_";
            return gid -> redis.sync().set(prefix + gid, Workload.BODY);
        }
        String sql = "INSERT INTO " + table + " (gid, data) VALUES (?, ?)";
        return gid -> {
            try (PreparedStatement ps = connection().prepareStatement(sql)) {
                ps.setString(1, gid);
                ps.setString(2, Workload.BODY);
                ps.executeUpdate();
            }
        };
    }

    private Connection connection() throws SQLException {
        Connection c = perThread.get();
        if (c == null) {
            c = kind == StoreKind.POSTGRES
                    ? DriverManager.getConnection(env.pgUrl(StoreEnv.PG_DATABASE), env.user(), env.password())
                    : DriverManager.getConnection(env.mysqlUrl(StoreEnv.SERVICES_DATABASE), env.user(), env.password());
            perThread.set(c);
            connections.add(c);
        }
        return c;
    }

    @Override
    public void close() {
        if (kind == StoreKind.REDIS) {
            StoreAdmin.deleteKeys(redis.sync(), "{" + table + "}_*");
            redis.close();
            redisClient.shutdown();
            return;
        }
        try (Connection c = connections.isEmpty() ? connection() : connections.get(0);
             Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + table);
        } catch (SQLException e) {
            // the namespace goes with the run's database anyway
        }
        for (Connection c : connections) {
            try {
                c.close();
            } catch (SQLException e) {
                // closing after the run
            }
        }
    }
}
