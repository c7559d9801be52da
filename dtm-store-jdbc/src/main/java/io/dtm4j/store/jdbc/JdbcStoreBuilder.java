package io.dtm4j.store.jdbc;

import io.dtm4j.core.StoreUnavailableException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Builds a {@link JdbcTransactionStore}; get one from {@link JdbcTransactionStore#builder()}. Choose the database
 * with {@link #sqlite}, {@link #postgres} or {@link #mysql} (the last call wins), then optional settings, whose
 * defaults are the {@code DEFAULT_*} constants of {@link JdbcTransactionStore}; each setter validates at once.
 * Settings that do not apply to the chosen database are ignored (e.g. {@code maxOpenConns} for SQLite).
 * {@link #build()} opens the store; {@link #inspect()} only reads what the database holds. Not thread-safe.
 */
public final class JdbcStoreBuilder {
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._%:\\[\\]-]{1,253}");
    private static final Pattern DATABASE = Pattern.compile("[A-Za-z0-9_$-]{1,64}");
    private static final Pattern SCHEMA = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}");

    private SqlDialect dialect;
    private Path directory;
    private String host;
    private int port;
    private String database;
    private String schema;
    private String user;
    private String password;
    private int maxOpenConns = JdbcTransactionStore.DEFAULT_MAX_OPEN_CONNS;
    private int maxIdleConns = JdbcTransactionStore.DEFAULT_MAX_IDLE_CONNS;
    private Duration connMaxLifetime = JdbcTransactionStore.DEFAULT_CONN_MAX_LIFETIME;
    private Duration connectTimeout = JdbcTransactionStore.DEFAULT_CONNECT_TIMEOUT;
    private Duration socketTimeout = JdbcTransactionStore.DEFAULT_SOCKET_TIMEOUT;
    private int writers = JdbcTransactionStore.DEFAULT_WRITERS;
    private final Map<String, String> driverProperties = new LinkedHashMap<>();
    private Duration busyTimeout = JdbcTransactionStore.DEFAULT_BUSY_TIMEOUT;
    private int readConnections = JdbcTransactionStore.DEFAULT_READ_CONNECTIONS;
    private int maxBatch = JdbcTransactionStore.DEFAULT_MAX_BATCH;

    JdbcStoreBuilder() {
    }

    /**
     * Uses the SQLite file {@code dtm.db} in {@code directory}, created with its parents when missing (the
     * server's default is {@code ./dtm-data/}).
     */
    public JdbcStoreBuilder sqlite(Path directory) {
        this.directory = Objects.requireNonNull(directory, "directory");
        this.dialect = SqlDialect.SQLITE;
        return this;
    }

    /**
     * Uses PostgreSQL at {@code host:port}, database {@code database} (which must exist), tables in
     * {@code schema} (created when missing; DTM's default is {@code public}). Also set {@link #user}.
     *
     * @param schema an unquoted identifier: letters, digits, {@code _}, {@code $}; PostgreSQL folds it to lower
     *               case, as it does DTM's {@code search_path}
     */
    public JdbcStoreBuilder postgres(String host, int port, String database, String schema) {
        server(SqlDialect.POSTGRES, host, port, database);
        this.schema = check("schema", schema, SCHEMA);
        return this;
    }

    /**
     * Uses MySQL 8.0.1+ or MariaDB 10.6+ at {@code host:port}, tables in {@code database} (created when
     * missing; DTM's default is {@code dtm}), through the MariaDB driver. Times are stored as UTC (the session
     * time zone is set to {@code +00:00}). Also set {@link #user}.
     */
    public JdbcStoreBuilder mysql(String host, int port, String database) {
        server(SqlDialect.MYSQL, host, port, database);
        this.schema = "";
        return this;
    }

    /** The database user (PostgreSQL and MySQL); required. */
    public JdbcStoreBuilder user(String value) {
        this.user = Objects.requireNonNull(value, "user");
        return this;
    }

    /** The database password (PostgreSQL and MySQL); default none. Never logged or put in a message. */
    public JdbcStoreBuilder password(String value) {
        this.password = Objects.requireNonNull(value, "password");
        return this;
    }

    /**
     * Most connections open at once, writers and readers together: {@link #writers} for the writer threads
     * and the rest for reads. Default 32 (DTM's default, 500, suits Go's lighter connections); 2 to 10000,
     * and more than {@code writers}.
     */
    public JdbcStoreBuilder maxOpenConns(int value) {
        this.maxOpenConns = range("maxOpenConns", value, 2, 10_000);
        return this;
    }

    /**
     * Read connections kept open while idle (HikariCP's {@code minimumIdle}, at most
     * {@code maxOpenConns - writers}; more are opened under load and closed again after half of
     * {@code connMaxLifetime} idle, at most 10 min). Default 4; 0 to {@code maxOpenConns}.
     */
    public JdbcStoreBuilder maxIdleConns(int value) {
        this.maxIdleConns = range("maxIdleConns", value, 0, 10_000);
        return this;
    }

    /** Age after which a connection is closed and replaced. Default 5 min; 0 (never) or 30 s to 24 h. */
    public JdbcStoreBuilder connMaxLifetime(Duration value) {
        this.connMaxLifetime = duration("connMaxLifetime", value, Duration.ofSeconds(30), Duration.ofHours(24),
                true);
        return this;
    }

    /**
     * Longest wait for a connection, new or from the pool; also the driver's connect timeout. A call made while
     * the database is down fails after about this long. Default 3 s; 250 ms to 10 min.
     */
    public JdbcStoreBuilder connectTimeout(Duration value) {
        this.connectTimeout = duration("connectTimeout", value, Duration.ofMillis(250), Duration.ofMinutes(10),
                false);
        return this;
    }

    /**
     * Longest wait for any answer on an open connection before it is dropped (a hung database, a lock held
     * too long). Default 30 s; 0 (wait forever) or 1 s to 24 h. Writes wait at most twice the connect timeout
     * (at least 5 s) when that is shorter, so that a hung database fails them fast; deleting every transaction
     * waits the full socket timeout.
     */
    public JdbcStoreBuilder socketTimeout(Duration value) {
        this.socketTimeout = duration("socketTimeout", value, Duration.ofSeconds(1), Duration.ofHours(24), true);
        return this;
    }

    /**
     * Writer threads, each with its own connection; concurrent writes share their commits. Default 2; 1 to 64.
     */
    public JdbcStoreBuilder writers(int value) {
        this.writers = range("writers", value, 1, 64);
        return this;
    }

    /**
     * Sets one JDBC driver property (pgjdbc or MariaDB Connector/J), overriding the store's own, e.g.
     * {@code sslMode=verify-full} (MySQL; the default is {@code disable}, as DTM) or {@code sslmode=require}.
     * Not for the user or password: use {@link #user} and {@link #password}.
     */
    public JdbcStoreBuilder driverProperty(String key, String value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        if (key.equalsIgnoreCase("user") || key.equalsIgnoreCase("password")) {
            throw new IllegalArgumentException("driverProperty " + key + ": use user(...) / password(...)");
        }
        if (key.equalsIgnoreCase("useAffectedRows")) {
            throw new IllegalArgumentException("driverProperty " + key + ": the MySQL store relies on matched-row"
                    + " counts (useAffectedRows=false) for its compare-and-set");
        }
        driverProperties.put(key, value);
        return this;
    }

    /** SQLite: how long to wait for a lock held by another connection; default 5 s; 1 ms to 24 h. */
    public JdbcStoreBuilder busyTimeout(Duration value) {
        this.busyTimeout = duration("busyTimeout", value, Duration.ofMillis(1), Duration.ofHours(24), false);
        return this;
    }

    /** SQLite: size of the read connection pool; default 4; 1 to 64. */
    public JdbcStoreBuilder readConnections(int value) {
        this.readConnections = range("readConnections", value, 1, 64);
        return this;
    }

    /** Largest number of writes committed in one transaction; default 256; 1 to 10000. */
    public JdbcStoreBuilder maxBatch(int value) {
        this.maxBatch = range("maxBatch", value, 1, 10_000);
        return this;
    }

    /**
     * Opens the store: creates the SQLite file, or the PostgreSQL schema / MySQL database and the tables, when
     * missing; checks the schema version; opens the pools and starts the writer threads.
     *
     * @throws StoreUnavailableException when the database cannot be reached or used, saying what to check
     * @throws IllegalStateException     when no database was chosen, or settings contradict each other
     */
    public JdbcTransactionStore build() {
        requireDatabase();
        if (dialect == SqlDialect.SQLITE) {
            return StoreFactory.sqlite(directory, busyTimeout, readConnections, maxBatch);
        }
        return StoreFactory.server(serverSettings());
    }

    /**
     * Reads what the chosen database holds (schema version, DTM's tables) over one connection, without
     * creating, migrating or locking anything: what {@code dtm check} reports.
     *
     * @throws StoreUnavailableException when the database cannot be reached, saying what to check
     * @throws IllegalStateException     as {@link #build()}
     */
    public SchemaStatus inspect() {
        requireDatabase();
        return dialect == SqlDialect.SQLITE ? StoreFactory.inspectSqlite(directory)
                : StoreFactory.inspectServer(serverSettings());
    }

    private void requireDatabase() {
        if (dialect == null) {
            throw new IllegalStateException("choose a database first: builder().sqlite(directory),"
                    + " .postgres(host, port, database, schema) or .mysql(host, port, database)");
        }
    }

    private ServerConnections.StoreSettings serverSettings() {
        if (user == null || user.isEmpty()) {
            throw new IllegalStateException("user is required for " + dialect.productName()
                    + ": builder().user(name)");
        }
        if (maxOpenConns <= writers) {
            throw new IllegalStateException("maxOpenConns (" + maxOpenConns + ") must exceed writers ("
                    + writers + "): the writers hold that many connections and reads need at least one");
        }
        if (maxIdleConns > maxOpenConns) {
            throw new IllegalStateException("maxIdleConns (" + maxIdleConns + ") must not exceed maxOpenConns ("
                    + maxOpenConns + ")");
        }
        return new ServerConnections.StoreSettings(dialect, host, port, database, schema, user, password,
                maxOpenConns, maxIdleConns, connMaxLifetime, connectTimeout, socketTimeout, writers, maxBatch,
                driverProperties);
    }

    private void server(SqlDialect d, String h, int p, String db) {
        this.host = check("host", h, HOST);
        this.port = range("port", p, 1, 65_535);
        this.database = check("database", db, DATABASE);
        this.dialect = d;
    }

    private static String check(String name, String value, Pattern pattern) {
        Objects.requireNonNull(value, name);
        if (!pattern.matcher(value).matches()) {
            throw new IllegalArgumentException(name + " must match " + pattern.pattern() + ", got '" + value
                    + "'");
        }
        return value;
    }

    private static int range(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be " + min + " to " + max + ", got " + value);
        }
        return value;
    }

    private static Duration duration(String name, Duration value, Duration min, Duration max, boolean zero) {
        Objects.requireNonNull(value, name);
        if (zero && value.isZero()) {
            return value;
        }
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(name + " must be " + (zero ? "0 or " : "") + min + " to " + max
                    + ", got " + value);
        }
        return value;
    }
}
