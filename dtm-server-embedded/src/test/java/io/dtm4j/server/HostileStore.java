package io.dtm4j.server;

import io.dtm4j.core.Coordinator;
import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.ItEnvironment;
import io.dtm4j.core.testing.ScriptedBranchInvoker;
import io.dtm4j.store.jdbc.JdbcTransactionStore;
import io.dtm4j.store.redis.RedisTransactionStore;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A dtm4j server on 127.0.0.1 and an ephemeral port over one real store, in a place of the store of its own (a fresh
 * SQLite directory, PostgreSQL schema, MariaDB database, or a Redis key prefix never used before), plus raw reads of
 * what the store holds that bypass dtm4j: the tables and their rows, or the Redis keys. Branches are answered by a
 * {@link ScriptedBranchInvoker} (always SUCCESS), inline. Not thread-safe.
 */
final class HostileStore implements AutoCloseable {
    /** The stores of the integration tests. */
    enum Kind { SQLITE, POSTGRES, MARIADB, REDIS }

    /** The PostgreSQL schema and MariaDB database of this suite: dropped and created again for each run. */
    static final String PLACE = "hostile_injection";
    /** A Redis database no other suite uses (ItStore uses 7, CrashPointIT 12); the prefix is unique anyway. */
    static final int REDIS_DB = 13;

    final Kind kind;
    final Coordinator coordinator;
    final DtmServer server;
    private final Path sqliteDir;
    private final String redisPrefix = "{hostile" + Long.toString(System.nanoTime(), 36) + "}";

    private HostileStore(Kind kind, Path sqliteDir) throws Exception {
        this.kind = kind;
        this.sqliteDir = sqliteDir;
        TransactionStore store = open();
        coordinator = Coordinator.builder().store(store).invoker(new ScriptedBranchInvoker()).clock(Clock.systemUTC())
                .executor(new DirectExecutorService()).build();
        server = DtmServer.builder().coordinator(coordinator).host("127.0.0.1").port(0).version("v9.9.9-it").build()
                .start();
    }

    /** Opens a fresh place in the store (skips or fails, as ItEnvironment says, when the store is not there). */
    static HostileStore start(Kind kind, Path sqliteDir) throws Exception {
        return new HostileStore(kind, sqliteDir);
    }

    private TransactionStore open() throws Exception {
        return switch (kind) {
            case SQLITE -> JdbcTransactionStore.builder().sqlite(sqliteDir).build();
            case POSTGRES -> {
                ItStore.Endpoint e = ItStore.POSTGRES.shared();
                ItStore.POSTGRES.reset(e, PLACE);
                yield JdbcTransactionStore.builder().postgres(e.host(), e.port(), "dtm", PLACE).user(e.user())
                        .password(e.password()).build();
            }
            case MARIADB -> {
                ItStore.Endpoint e = ItStore.MARIADB.shared();
                ItStore.MARIADB.reset(e, PLACE);
                yield JdbcTransactionStore.builder().mysql(e.host(), e.port(), PLACE).user(e.user())
                        .password(e.password()).build();
            }
            case REDIS -> RedisTransactionStore.builder().standalone(ItEnvironment.redisHost(),
                    ItEnvironment.redisPort()).database(REDIS_DB).prefix(redisPrefix).build();
        };
    }

    int port() {
        return server.port();
    }

    /** The tables of the store's place (SQL), or the key shapes (Redis: the prefix's own keys, by suffix). */
    Set<String> tables() throws SQLException {
        Set<String> out = new TreeSet<>();
        if (kind == Kind.REDIS) {
            return out;
        }
        try (Connection c = sql()) {
            DatabaseMetaData md = c.getMetaData();
            String catalog = kind == Kind.MARIADB ? PLACE : null;
            String schema = kind == Kind.POSTGRES ? PLACE : null;
            try (ResultSet rs = md.getTables(catalog, schema, "%", new String[] {"TABLE"})) {
                while (rs.next()) {
                    out.add(rs.getString("TABLE_NAME").toLowerCase(java.util.Locale.ROOT));
                }
            }
        }
        return out;
    }

    /** The gids of trans_global (SQL) or of the {@code _g_} keys (Redis), read past dtm4j. */
    Set<String> storedGids() throws SQLException {
        return kind == Kind.REDIS ? redisGids("_g_") : column("SELECT gid FROM " + table("trans_global"));
    }

    /** The gids that branch rows name. */
    Set<String> branchGids() throws SQLException {
        return kind == Kind.REDIS ? redisGids("_b_") : column("SELECT DISTINCT gid FROM " + table("trans_branch_op"));
    }

    /** The rows of the kv table (SQL); Redis has no kv keys. */
    Set<String> kvRows() throws SQLException {
        return kind == Kind.REDIS ? new TreeSet<>() : column("SELECT k FROM " + table("kv"));
    }

    /** Every key under this run's Redis prefix, without the prefix; empty for SQL stores. */
    Set<String> redisKeys() {
        Set<String> out = new TreeSet<>();
        if (kind != Kind.REDIS) {
            return out;
        }
        RedisClient client = RedisClient.create(RedisURI.builder().withHost(ItEnvironment.redisHost())
                .withPort(ItEnvironment.redisPort()).withDatabase(REDIS_DB).build());
        try (StatefulRedisConnection<String, String> conn = client.connect()) {
            RedisCommands<String, String> redis = conn.sync();
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<String> page = redis.scan(cursor, ScanArgs.Builder.matches(redisPrefix + "*").limit(500));
                page.getKeys().forEach(k -> out.add(k.substring(redisPrefix.length())));
                cursor = page;
            } while (!cursor.isFinished());
        } finally {
            client.shutdown();
        }
        return out;
    }

    private Set<String> redisGids(String infix) {
        Set<String> out = new TreeSet<>();
        for (String key : redisKeys()) {
            if (key.startsWith(infix)) {
                out.add(key.substring(infix.length()));
            }
        }
        return out;
    }

    private Set<String> column(String query) throws SQLException {
        Set<String> out = new TreeSet<>();
        try (Connection c = sql(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private String table(String name) {
        return kind == Kind.SQLITE ? name : PLACE + "." + name;
    }

    private Connection sql() throws SQLException {
        return switch (kind) {
            case SQLITE -> DriverManager.getConnection("jdbc:sqlite:" + sqliteDir.resolve(
                    JdbcTransactionStore.DATABASE_FILE));
            case POSTGRES, MARIADB -> {
                ItStore store = kind == Kind.POSTGRES ? ItStore.POSTGRES : ItStore.MARIADB;
                ItStore.Endpoint e = store.shared();
                yield DriverManager.getConnection(store.jdbcUrl(e, kind == Kind.POSTGRES ? "dtm" : PLACE), e.user(),
                        e.password());
            }
            case REDIS -> throw new IllegalStateException("Redis has no tables");
        };
    }

    @Override
    public void close() {
        List<RuntimeException> errors = new ArrayList<>();
        for (Runnable r : List.<Runnable>of(server::close, () -> coordinator.store().deleteAll(),
                coordinator::close)) {
            try {
                r.run();
            } catch (RuntimeException e) {
                errors.add(e);
            }
        }
        if (!errors.isEmpty()) {
            throw errors.get(0);
        }
    }
}
