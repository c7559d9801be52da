package io.dtm4j.bench;

import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.store.jdbc.JdbcTransactionStore;
import io.dtm4j.store.redis.RedisTransactionStore;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * A fresh namespace of one store for one cell of the matrix, so that cells never see each other's transactions and
 * the unfinished count of the recovery test is exact: a SQLite directory, a PostgreSQL schema in
 * {@value StoreEnv#PG_DATABASE}, a MariaDB database, or a Redis key prefix. {@link #close()} removes it. Not
 * thread-safe.
 */
final class StoreSpace implements AutoCloseable {
    private static final String UNFINISHED = "SELECT count(*) FROM %strans_global"
            + " WHERE status NOT IN ('succeed', 'failed')";

    final StoreKind kind;
    final String name;
    private final StoreAdmin admin;
    private final Path sqliteDir;

    StoreSpace(StoreKind kind, String name, StoreAdmin admin, Path workDir) {
        this.kind = kind;
        this.name = name;
        this.admin = admin;
        this.sqliteDir = workDir.resolve("sqlite-" + name);
    }

    /** Opens our store on this namespace, as the embedded coordinator would. */
    TransactionStore open() {
        StoreEnv e = admin.env();
        return switch (kind) {
            case MEM -> new InMemoryTransactionStore();
            case SQLITE -> JdbcTransactionStore.sqlite(sqliteDir);
            case POSTGRES -> JdbcTransactionStore.builder().postgres(e.pgHost(), e.pgPort(), StoreEnv.PG_DATABASE, name)
                    .user(e.user()).password(e.password()).build();
            case MARIADB -> JdbcTransactionStore.builder().mysql(e.mysqlHost(), e.mysqlPort(), mysqlDatabase())
                    .user(e.user()).password(e.password()).build();
            case REDIS -> RedisTransactionStore.builder().standalone(e.redisHost(), e.redisPort()).prefix(redisPrefix())
                    .build();
        };
    }

    /** The {@code Store.*} lines of the standalone server's YAML for this namespace. */
    List<String> serverConfig() {
        StoreEnv e = admin.env();
        return switch (kind) {
            case MEM -> List.of("Store:", "  Driver: mem");
            case SQLITE -> List.of("Store:", "  Driver: sqlite", "  DataDir: " + sqliteDir);
            case POSTGRES -> List.of("Store:", "  Driver: postgres", "  Host: " + e.pgHost(), "  Port: " + e.pgPort(),
                    "  User: " + e.user(), "  Password: " + e.password(), "  Db: " + StoreEnv.PG_DATABASE,
                    "  Schema: " + name);
            case MARIADB -> List.of("Store:", "  Driver: mysql", "  Host: " + e.mysqlHost(), "  Port: " + e.mysqlPort(),
                    "  User: " + e.user(), "  Password: " + e.password(), "  Db: " + mysqlDatabase());
            case REDIS -> List.of("Store:", "  Driver: redis", "  Host: " + e.redisHost(), "  Port: " + e.redisPort(),
                    "  RedisPrefix: '" + redisPrefix() + "'");
        };
    }

    /**
     * Counts the transactions of this namespace that are not final, read from the store directly (not through a
     * coordinator). Redis: the size of the unfinished index {@code P_u}.
     *
     * @throws IllegalStateException for the in-memory store, which lives inside one process
     */
    long unfinished() {
        try {
            return switch (kind) {
                case MEM -> throw new IllegalStateException("the in-memory store cannot be read from outside");
                case SQLITE -> count("jdbc:sqlite:file:" + sqliteDir.resolve(JdbcTransactionStore.DATABASE_FILE)
                        + "?mode=ro", "", "");
                case POSTGRES -> count(admin.env().pgUrl(StoreEnv.PG_DATABASE), admin.env().user(), name + ".");
                case MARIADB -> count(admin.env().mysqlUrl(mysqlDatabase()), admin.env().user(), "");
                case REDIS -> admin.redis().zcard(redisPrefix() + "_u");
            };
        } catch (SQLException e) {
            throw new IllegalStateException(name + ": cannot count unfinished transactions: " + e.getMessage(), e);
        }
    }

    private long count(String url, String user, String qualifier) throws SQLException {
        try (Connection c = user.isEmpty() ? DriverManager.getConnection(url)
                : DriverManager.getConnection(url, user, admin.env().password());
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(String.format(UNFINISHED, qualifier))) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private String mysqlDatabase() {
        return "bench_" + name;
    }

    private String redisPrefix() {
        return "{bench-" + name + "}";
    }

    @Override
    public void close() {
        switch (kind) {
            case MEM -> {
                // nothing outside the process
            }
            case SQLITE -> FileTrees.deleteTree(sqliteDir);
            case POSTGRES -> admin.pgExecute("DROP SCHEMA IF EXISTS " + name + " CASCADE");
            case MARIADB -> admin.mysqlExecute("DROP DATABASE IF EXISTS " + mysqlDatabase());
            case REDIS -> admin.redisDelete(redisPrefix() + "*");
        }
    }
}
