package io.dtm4j.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dtm4j.core.spi.PoolStats;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * How a PostgreSQL or MySQL store connects: the JDBC URL and driver properties, the first connection that
 * prepares the schema (creating the PostgreSQL schema or the MySQL database when missing), and the two HikariCP
 * pools, one for the writer threads (autocommit off) and one for reads. Every connection is READ COMMITTED; MySQL
 * sessions use UTC ({@code time_zone = '+00:00'}) and strict mode, so a value too long fails instead of being cut.
 * Immutable once built; thread-safe.
 */
final class ServerConnections {

    /** MySQL's "unknown database" error code. */
    private static final int MYSQL_UNKNOWN_DATABASE = 1049;
    private static final long MIN_VALIDATION_MILLIS = 250;
    private static final long MIN_IDLE_MILLIS = 10_000;
    private static final long MAX_IDLE_MILLIS = 600_000;
    private static final long KEEPALIVE_MILLIS = 120_000;
    /** The shortest answer bound of a write connection, so that a short connect timeout cannot fail slow commits. */
    private static final Duration MIN_WRITE_ANSWER = Duration.ofSeconds(5);
    /** UTC, and strict: a value too long fails instead of being cut. */
    private static final String MYSQL_SESSION = "SET time_zone = '+00:00', sql_mode = IF(@@sql_mode = '',"
            + " 'STRICT_ALL_TABLES', CONCAT(@@sql_mode, ',STRICT_ALL_TABLES'))";

    private final StoreSettings s;
    private final String url;
    /** Driver properties without the credentials (HikariCP adds those itself). */
    private final Properties properties;
    /** The same with user and password, for {@link DriverManager}. */
    private final Properties login;

    ServerConnections(StoreSettings settings) {
        this.s = settings;
        this.url = url(settings, settings.database());
        this.properties = properties(settings, settings.socketTimeout());
        this.login = withLogin(properties);
    }

    /** A copy of {@code driverProperties} with user and password, for {@link DriverManager}. */
    private Properties withLogin(Properties driverProperties) {
        Properties p = new Properties();
        p.putAll(driverProperties);
        p.put("user", s.user());
        if (s.password() != null) {
            p.put("password", s.password());
        }
        return p;
    }

    /** {@code postgres://host:port/db?schema=s} or {@code mysql://host:port/db}: no user, no password. */
    static String describe(StoreSettings s) {
        String base = s.dialect().scheme() + "://" + address(s) + "/" + s.database();
        return s.dialect() == SqlDialect.POSTGRES ? base + "?schema=" + s.schema() : base;
    }

    /** {@code host:port}, IPv6 hosts in brackets. */
    static String address(StoreSettings s) {
        String host = s.host().contains(":") && !s.host().startsWith("[") ? "[" + s.host() + "]" : s.host();
        return host + ":" + s.port();
    }

    /**
     * Opens one connection for schema work: creates the PostgreSQL schema or the MySQL database when it is
     * missing. The caller closes it.
     */
    Connection openForSchema() throws SQLException {
        if (s.dialect() == SqlDialect.MYSQL) {
            try {
                return session(DriverManager.getConnection(url, login));
            } catch (SQLException e) {
                if (e.getErrorCode() != MYSQL_UNKNOWN_DATABASE) {
                    throw e;
                }
            }
            try (Connection server = DriverManager.getConnection(url(s, ""), login);
                 Statement st = server.createStatement()) {
                st.execute("CREATE DATABASE IF NOT EXISTS `" + s.database() + "` DEFAULT CHARACTER SET utf8mb4");
            }
            return session(DriverManager.getConnection(url, login));
        }
        Connection c = DriverManager.getConnection(url, login);
        try {
            createSchemaIfMissing(c);
            return c;
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /**
     * Opens one connection to the configured database as it is, creating nothing.
     *
     * @return empty when the MySQL database does not exist
     */
    Optional<Connection> openExisting() throws SQLException {
        try {
            Connection c = DriverManager.getConnection(url, login);
            return Optional.of(s.dialect() == SqlDialect.MYSQL ? session(c) : c);
        } catch (SQLException e) {
            if (s.dialect() == SqlDialect.MYSQL && e.getErrorCode() == MYSQL_UNKNOWN_DATABASE) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * The connections of the writer threads: a pool of {@code writers}, autocommit off. They wait for an answer at
     * most {@link #writeAnswerTimeout}, not the socket timeout: a writer whose statement is in flight when the
     * database hangs (SIGSTOP, a frozen VM, a dead link without a reset) would otherwise hold every write queued
     * behind its batch for the whole socket timeout; failing it frees the thread and fails the queued writes at once.
     */
    Source writeSource() {
        Properties props = properties(s, writeAnswerTimeout(s));
        HikariConfig config = config("write", props);
        config.setMaximumPoolSize(s.writers());
        config.setMinimumIdle(s.writers());
        config.setIdleTimeout(0); // a fixed-size pool retires nothing for idleness; HikariCP warns if it is set
        config.setAutoCommit(false);
        return new Source(new HikariDataSource(config), false, withLogin(props));
    }

    /**
     * How long a write connection waits for any answer: twice the connect timeout, at least 5 s, at most the socket
     * timeout (none when the socket timeout is zero). Writes are single rows in short batches, so an answer that
     * takes longer means the database hangs; {@link #allowLongAnswers} lifts it for the one write that may take long.
     */
    static Duration writeAnswerTimeout(StoreSettings s) {
        if (s.socketTimeout().isZero()) {
            return Duration.ZERO;
        }
        Duration bound = s.connectTimeout().multipliedBy(2);
        bound = bound.compareTo(MIN_WRITE_ANSWER) < 0 ? MIN_WRITE_ANSWER : bound;
        return bound.compareTo(s.socketTimeout()) > 0 ? s.socketTimeout() : bound;
    }

    /** The connections of reads: a pool of up to {@code maxOpenConns - writers}, {@code maxIdleConns} kept open. */
    Source readSource() {
        HikariConfig config = config("read", properties);
        int size = s.maxOpenConns() - s.writers();
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(Math.min(size, s.maxIdleConns()));
        config.setAutoCommit(true);
        return new Source(new HikariDataSource(config), true, login);
    }

    /**
     * Connections from a HikariCP pool, or, when the pool has none because it could not connect, one made directly.
     * After an outage HikariCP retries in the background with a back-off of up to 5 s, longer than the connect
     * timeout; connecting directly then lets a call succeed as soon as the database answers, and fail with the
     * current error (not the pool's last one) while it does not. A pool that is merely busy is waited for, never
     * bypassed, so {@code maxOpenConns} holds. Thread-safe.
     */
    final class Source implements JdbcTransactionStore.ReadConnections {
        private final HikariDataSource pool;
        private final boolean autoCommit;
        /** Driver properties with the credentials, for a direct connection. */
        private final Properties direct;

        private Source(HikariDataSource pool, boolean autoCommit, Properties direct) {
            this.pool = pool;
            this.autoCommit = autoCommit;
            this.direct = direct;
        }

        /** A connection; closing it gives it back to the pool (or closes a direct one). */
        @Override
        public Connection get() throws SQLException {
            try {
                return pool.getConnection();
            } catch (SQLTransientConnectionException e) {
                if (e.getCause() == null) {
                    throw e;
                }
                Connection c;
                try {
                    c = DriverManager.getConnection(url, direct);
                } catch (SQLException failed) {
                    failed.addSuppressed(e);
                    throw failed;
                }
                try {
                    c.setAutoCommit(autoCommit);
                    c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                    return s.dialect() == SqlDialect.MYSQL ? session(c) : c;
                } catch (SQLException | RuntimeException setup) {
                    c.close();
                    throw setup;
                }
            }
        }

        /**
         * Lets {@code c} wait for an answer up to the socket timeout until it goes back to the pool (HikariCP then
         * restores the pool's bound), for a write that may take long: deleting every row of a big store.
         */
        void allowLongAnswers(Connection c) throws SQLException {
            c.setNetworkTimeout(Runnable::run, (int) Math.min(Integer.MAX_VALUE, s.socketTimeout().toMillis()));
        }

        /** The pool's connections now. */
        PoolStats stats() {
            return HikariStats.of(pool);
        }

        @Override
        public void close() {
            pool.close();
        }
    }

    private HikariConfig config(String role, Properties driverProperties) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("dtm-" + s.dialect().scheme() + "-" + role);
        config.setJdbcUrl(url);
        config.setDataSourceProperties(driverProperties);
        config.setUsername(s.user());
        if (s.password() != null) {
            config.setPassword(s.password());
        }
        long connect = s.connectTimeout().toMillis();
        config.setConnectionTimeout(connect);
        config.setValidationTimeout(Math.max(MIN_VALIDATION_MILLIS, connect / 2));
        long lifetime = s.connMaxLifetime().toMillis();
        config.setMaxLifetime(lifetime);
        // HikariCP wants both shorter than maxLifetime (0 = unlimited), and ignores them with a warning otherwise.
        config.setIdleTimeout(lifetime == 0 ? MAX_IDLE_MILLIS : Math.max(MIN_IDLE_MILLIS,
                Math.min(MAX_IDLE_MILLIS, lifetime / 2)));
        config.setKeepaliveTime(lifetime == 0 || lifetime >= 2 * KEEPALIVE_MILLIS ? KEEPALIVE_MILLIS : 0);
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        // Never fail at construction: the schema step already connected, and a later outage must not stop a restart.
        config.setInitializationFailTimeout(-1);
        if (s.dialect() == SqlDialect.MYSQL) {
            config.setConnectionInitSql(MYSQL_SESSION);
        }
        return config;
    }

    private static Connection session(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(MYSQL_SESSION);
            return c;
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }

    private void createSchemaIfMissing(Connection c) throws SQLException {
        // Unquoted, as PostgreSQL reads search_path: the name folds to lower case.
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
            ps.setString(1, s.schema().toLowerCase(Locale.ROOT));
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
        }
        try (Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + s.schema());
        }
    }

    private static String url(StoreSettings s, String database) {
        String prefix = s.dialect() == SqlDialect.POSTGRES ? "jdbc:postgresql://" : "jdbc:mariadb://";
        return prefix + address(s) + "/" + database;
    }

    private static Properties properties(StoreSettings s, Duration socketTimeout) {
        Map<String, String> p = new LinkedHashMap<>();
        long connectMillis = s.connectTimeout().toMillis();
        long socketMillis = socketTimeout.toMillis();
        if (s.dialect() == SqlDialect.POSTGRES) {
            // pgjdbc takes whole seconds; round up so a short timeout is not "none".
            String connectSeconds = Long.toString((connectMillis + 999) / 1000);
            p.put("connectTimeout", connectSeconds);
            p.put("loginTimeout", connectSeconds);
            p.put("socketTimeout", Long.toString((socketMillis + 999) / 1000));
            p.put("currentSchema", s.schema());
            p.put("ApplicationName", "dtm4j");
            p.put("tcpKeepAlive", "true");
            p.put("reWriteBatchedInserts", "true");
            // Keep row values (payloads) out of exception messages.
            p.put("logServerErrorDetail", "false");
        } else {
            p.put("connectTimeout", Long.toString(connectMillis));
            p.put("socketTimeout", Long.toString(socketMillis));
            // As DTM: no TLS unless asked for (driverProperty("sslMode", "verify-full")); 4.x would insist on it.
            p.put("sslMode", "disable");
            p.put("tcpKeepAlive", "true");
        }
        p.putAll(s.driverProperties());
        Properties props = new Properties();
        props.putAll(p);
        return props;
    }

    /** The settings of a PostgreSQL or MySQL store, validated by the builder. */
    record StoreSettings(SqlDialect dialect, String host, int port, String database, String schema, String user,
                         String password, int maxOpenConns, int maxIdleConns, Duration connMaxLifetime,
                         Duration connectTimeout, Duration socketTimeout, int writers, int maxBatch,
                         Map<String, String> driverProperties) {

        StoreSettings {
            driverProperties = Map.copyOf(driverProperties);
        }

        @Override
        public String toString() {
            return describe(this) + " user=" + user;
        }
    }
}
