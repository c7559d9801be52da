package io.dtm4j.server;

import io.dtm4j.store.jdbc.JdbcTransactionStore;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code Store.*} settings of the standalone server (DTM's names and units, plus a few of dtm4j's). Immutable;
 * {@link #toString()} and {@link #summary()} never show the password.
 *
 * @param driver              {@code Store.Driver}: sqlite, mem, postgres, mysql, mariadb or redis
 * @param dataDir             {@code Store.DataDir}: the SQLite directory
 * @param host                {@code Store.Host}; for redis, {@code h1:p1,h2:p2} is a cluster (or, with
 *                            {@code redisSentinelMaster}, the sentinels)
 * @param port                {@code Store.Port}; 0 = not set
 * @param user                {@code Store.User}
 * @param password            {@code Store.Password}; empty = none
 * @param database            {@code Store.Db} (the manual's {@code Store.Database}); for redis, the database
 *                            number (DTM's default {@code dtm} reads as 0)
 * @param schema              {@code Store.Schema}: PostgreSQL schema
 * @param maxOpenConns        {@code Store.MaxOpenConns}: SQL pool size; {@link #NOT_SET} = the store's default
 * @param maxIdleConns        {@code Store.MaxIdleConns}: idle SQL connections kept; {@link #NOT_SET} = the
 *                            store's default
 * @param connMaxLifetime     {@code Store.ConnMaxLifeTime}: SQL connections are replaced after this; zero = never
 * @param connectTimeout      {@code Store.ConnectTimeout} (dtm4j): wait for a connection (SQL) or an answer
 *                            (Redis)
 * @param dataExpire          {@code Store.DataExpire}: Redis TTL of a transaction's keys
 * @param finishedDataExpire  {@code Store.FinishedDataExpire}: Redis TTL once it finished
 * @param redisPrefix         {@code Store.RedisPrefix}: Redis key prefix
 * @param redisSentinelMaster {@code Store.RedisSentinelMaster} (dtm4j): the master name; set = Sentinel mode
 * @param finishedRetention   {@code Store.FinishedRetention} (dtm4j): finished transactions are removed this
 *                            long after they finished; zero = never
 * @param startupTimeout      {@code Store.StartupTimeout} (dtm4j): how long start-up waits for the store
 */
record StoreConfig(String driver, Path dataDir, String host, int port, String user, String password,
                   String database, String schema, int maxOpenConns, int maxIdleConns, Duration connMaxLifetime,
                   Duration connectTimeout, Duration dataExpire, Duration finishedDataExpire, String redisPrefix,
                   String redisSentinelMaster, Duration finishedRetention, Duration startupTimeout) {

    static final String SQLITE = "sqlite";
    static final String MEM = "mem";
    static final String POSTGRES = "postgres";
    static final String MYSQL = "mysql";
    static final String MARIADB = "mariadb";
    static final String REDIS = "redis";

    /** {@code maxOpenConns} and {@code maxIdleConns} when the file does not set them. */
    static final int NOT_SET = -1;
    static final Path DEFAULT_DATA_DIR = Path.of("dtm-data");
    /** DTM's defaults. */
    static final String DEFAULT_DATABASE = "dtm";
    static final String DEFAULT_SCHEMA = "public";
    static final Duration DEFAULT_CONN_MAX_LIFETIME = Duration.ofMinutes(5);
    static final Duration DEFAULT_DATA_EXPIRE = Duration.ofSeconds(604_800);
    static final Duration DEFAULT_FINISHED_DATA_EXPIRE = Duration.ofSeconds(86_400);
    static final String DEFAULT_REDIS_PREFIX = "{a}";
    /** dtm4j's defaults. */
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(3);
    static final Duration DEFAULT_FINISHED_RETENTION = Duration.ofDays(7);
    static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(60);

    static StoreConfig defaults() {
        return new StoreConfig(SQLITE, DEFAULT_DATA_DIR, "", 0, "", "", DEFAULT_DATABASE, DEFAULT_SCHEMA, NOT_SET,
                NOT_SET, DEFAULT_CONN_MAX_LIFETIME, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DATA_EXPIRE,
                DEFAULT_FINISHED_DATA_EXPIRE, DEFAULT_REDIS_PREFIX, "", DEFAULT_FINISHED_RETENTION,
                DEFAULT_STARTUP_TIMEOUT);
    }

    /** True for the stores reached over the network (they are waited for at start-up). */
    boolean networked() {
        return isSql() || REDIS.equals(driver);
    }

    boolean isSql() {
        return POSTGRES.equals(driver) || MYSQL.equals(driver) || MARIADB.equals(driver);
    }

    boolean sentinel() {
        return REDIS.equals(driver) && !redisSentinelMaster.isEmpty();
    }

    /** Redis Cluster: DTM's rule, a comma in {@code Store.Host}. */
    boolean cluster() {
        return REDIS.equals(driver) && !sentinel() && host.contains(",");
    }

    /** What runs there, for operators: "PostgreSQL", "Redis Cluster", ... */
    String product() {
        return switch (driver) {
            case POSTGRES -> "PostgreSQL";
            case MYSQL -> "MySQL";
            case MARIADB -> "MariaDB";
            case REDIS -> sentinel() ? "Redis Sentinel" : cluster() ? "Redis Cluster" : "Redis";
            case SQLITE -> "SQLite";
            default -> driver;
        };
    }

    /** {@code host:port}, or the node list of a Redis cluster or the sentinels. */
    String address() {
        if (REDIS.equals(driver) && (host.contains(",") || sentinel())) {
            return String.join(",", redisNodes());
        }
        return host + ":" + port;
    }

    /** Redis nodes as {@code host:port}: each entry of {@code Store.Host}, with {@code Store.Port} if it has none. */
    List<String> redisNodes() {
        List<String> nodes = new ArrayList<>();
        for (String h : host.split(",")) {
            String s = h.strip();
            if (!s.isEmpty()) {
                nodes.add(hasPort(s) ? s : s + ":" + port);
            }
        }
        return nodes;
    }

    /**
     * The Redis database index from {@code Store.Db}: 0 while it is DTM's default {@code dtm} (DTM's Redis store
     * uses no database number); -1 when it is not a number.
     */
    int redisDatabase() {
        if (DEFAULT_DATABASE.equals(database)) {
            return 0;
        }
        try {
            int n = Integer.parseInt(database);
            return n >= 0 ? n : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static boolean hasPort(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return colon > 0 && colon < hostPort.length() - 1 && !hostPort.endsWith("]")
                && hostPort.substring(colon + 1).chars().allMatch(Character::isDigit);
    }

    /**
     * Checks what DTM checks (SQL stores need host, port and user, PostgreSQL a schema; Redis needs host and
     * port) and a few more things, with messages naming the key.
     *
     * @param source where the settings came from, the front of each message
     */
    void validate(String source) throws ConfigLoader.ConfigException {
        String d = "when Store.Driver is " + driver;
        if (!networked()) {
            return;
        }
        require(source, !host.isBlank(), "Store.Host is required " + d + " (e.g. Host: 'localhost')");
        if (isSql()) {
            require(source, !host.contains(","), "Store.Host must be one host " + d + ", got a list");
            require(source, port != 0, "Store.Port is required " + d + " (" + product() + " listens on "
                    + (POSTGRES.equals(driver) ? 5432 : 3306) + " by default)");
            require(source, !user.isBlank(), "Store.User is required " + d);
            require(source, !POSTGRES.equals(driver) || !schema.isBlank(), "Store.Schema is required " + d
                    + " (default public)");
            require(source, maxOpenConns == NOT_SET || maxIdleConns <= maxOpenConns, "Store.MaxIdleConns ("
                    + maxIdleConns + ") must not be larger than Store.MaxOpenConns (" + maxOpenConns + ")");
            return;
        }
        require(source, redisDatabase() >= 0, "Store.Db must be a Redis database number (e.g. 0) " + d
                + ", got '" + ConfigLoader.abbreviate(database) + "'");
        for (String node : host.split(",")) {
            String s = node.strip();
            require(source, !s.isEmpty(), "Store.Host has an empty entry in its list");
            require(source, hasPort(s) || port != 0, "Store.Port is required " + d + " unless every entry of "
                    + "Store.Host is host:port (Redis listens on " + (sentinel() ? 26379 : 6379) + " by default)");
        }
    }

    private static void require(String source, boolean ok, String message) throws ConfigLoader.ConfigException {
        if (!ok) {
            throw new ConfigLoader.ConfigException(source + ": " + message);
        }
    }

    /** The settings that matter for this driver, for the start-up line and {@code check}; no password. */
    String summary() {
        StringBuilder s = new StringBuilder("Store.Driver=").append(driver);
        switch (driver) {
            case SQLITE -> s.append(" Store.DataDir=").append(dataDir);
            case MEM -> { }
            case REDIS -> s.append(" Store.Host=").append(host).append(port != 0 ? " Store.Port=" + port : "")
                    .append(sentinel() ? " Store.RedisSentinelMaster=" + redisSentinelMaster : "")
                    .append(redisDatabase() > 0 ? " Store.Db=" + redisDatabase() : "")
                    .append(" Store.RedisPrefix=").append(redisPrefix);
            default -> s.append(" Store.Host=").append(host).append(" Store.Port=").append(port)
                    .append(" Store.User=").append(user).append(" Store.Db=").append(database)
                    .append(POSTGRES.equals(driver) ? " Store.Schema=" + schema : "")
                    .append(maxOpenConns != NOT_SET ? " Store.MaxOpenConns=" + maxOpenConns : "")
                    .append(maxIdleConns != NOT_SET ? " Store.MaxIdleConns=" + maxIdleConns : "");
        }
        if (networked()) {
            s.append(" Store.Password=").append(password.isEmpty() ? "(none)" : "***");
        }
        s.append(" Store.FinishedRetention=").append(finishedRetention.isZero() ? "off"
                : finishedRetention.toSeconds() + "s");
        return s.toString();
    }

    /** Where the transactions live, in words for a confirmation prompt; no password. */
    String where() {
        return switch (driver) {
            case SQLITE -> "SQLite " + dataDir.resolve(JdbcTransactionStore.DATABASE_FILE).toAbsolutePath();
            case MEM -> "memory";
            case REDIS -> product() + " " + host + (port != 0 ? ":" + port : "") + " database " + redisDatabase()
                    + ", the keys under prefix " + redisPrefix;
            case POSTGRES -> product() + " " + host + ":" + port + "/" + database + ", schema " + schema;
            default -> product() + " " + host + ":" + port + "/" + database;
        };
    }

    /** Hides the password, if it appears, in a message from a driver or a store. */
    String redact(String message) {
        if (message == null) {
            return "";
        }
        if (password.length() < 3) {
            return message;
        }
        // Only where it stands alone: a password 'dtm' must not turn 'dtm4j' into '***4j'.
        return message.replaceAll("(?<![A-Za-z0-9])" + Pattern.quote(password) + "(?![A-Za-z0-9])",
                Matcher.quoteReplacement("***"));
    }

    @Override
    public String toString() {
        return "StoreConfig[" + summary() + "]";
    }
}
