package io.dtm4j.server;

import io.dtm4j.server.ConfigLoader.ConfigException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.ObjIntConsumer;

/**
 * The table of supported configuration keys: YAML name, DTM's environment variable, parser and where the value
 * goes. Two names of one setting (an alias such as {@code Store.Database} for DTM's {@code Store.Db}) share a
 * {@code setting}. Immutable.
 */
final class ConfigKeys {

    /** Receives a parsed value. */
    @FunctionalInterface
    interface Setter {
        /**
         * @param where the front of an error message (source, line, column, key)
         * @param value the trimmed, non-empty text
         */
        void set(Draft draft, String where, String value) throws ConfigException;
    }

    /**
     * One key.
     *
     * @param name    the YAML path, e.g. {@code Store.MaxOpenConns}
     * @param env     DTM's environment variable, or empty when the key has none
     * @param setting the setting it configures; aliases share one
     * @param setter  parses and stores the value
     * @param secret  true for a password: the value is taken as written (not trimmed) and never shown
     */
    record Key(String name, String env, String setting, Setter setter, boolean secret) {
    }

    /** The settings while they are being read; every field starts at its default. Not thread-safe. */
    static final class Draft {
        int port = ServerConfig.DEFAULT_HTTP_PORT;
        String host = ServerConfig.DEFAULT_HOST;
        Duration retryInterval = ServerConfig.DEFAULT_RETRY_INTERVAL;
        Duration timeoutToFail = ServerConfig.DEFAULT_TIMEOUT_TO_FAIL;
        Duration requestTimeout = ServerConfig.DEFAULT_REQUEST_TIMEOUT;
        String logLevel = ServerConfig.DEFAULT_LOG_LEVEL;
        int maxBodyBytes = DtmServer.DEFAULT_MAX_BODY_BYTES;
        private static final StoreConfig S = StoreConfig.defaults();
        String driver = S.driver();
        Path dataDir = S.dataDir();
        String storeHost = S.host();
        int storePort = S.port();
        String user = S.user();
        String password = S.password();
        String database = S.database();
        String schema = S.schema();
        int maxOpenConns = S.maxOpenConns();
        int maxIdleConns = S.maxIdleConns();
        Duration connMaxLifetime = S.connMaxLifetime();
        Duration connectTimeout = S.connectTimeout();
        Duration dataExpire = S.dataExpire();
        Duration finishedDataExpire = S.finishedDataExpire();
        String redisPrefix = S.redisPrefix();
        String sentinelMaster = S.redisSentinelMaster();
        Duration finishedRetention = S.finishedRetention();
        Duration startupTimeout = S.startupTimeout();

        ServerConfig build() {
            StoreConfig store = new StoreConfig(driver, dataDir, storeHost, storePort, user, password, database,
                    schema, maxOpenConns, maxIdleConns, connMaxLifetime, connectTimeout, dataExpire,
                    finishedDataExpire, redisPrefix, sentinelMaster, finishedRetention, startupTimeout);
            return new ServerConfig(port, host, store, retryInterval, timeoutToFail, requestTimeout, logLevel,
                    maxBodyBytes);
        }
    }

    private static final long YEAR_SECONDS = 31_536_000;
    private static final long TEN_YEARS_SECONDS = 10 * YEAR_SECONDS;
    private static final Set<String> LOG_LEVELS = Set.of("debug", "info", "warn", "error");

    /** Every supported key, in the order the environment is read. */
    static final List<Key> KEYS = List.of(
            key("HttpPort", "HTTP_PORT", "port", whole(0, 65535, (d, v) -> d.port = v)),
            key("HTTPServer.Port", "", "port", whole(0, 65535, (d, v) -> d.port = v)),
            key("HTTPServer.Address", "", "host", text((d, v) -> d.host = v)),
            key("HTTPServer.MaxBodyBytes", "HTTP_SERVER_MAX_BODY_BYTES", "maxBodyBytes",
                    whole(1024, 256L << 20, (d, v) -> d.maxBodyBytes = v)),
            key("RetryInterval", "RETRY_INTERVAL", "retryInterval", seconds(1, 86_400, (d, v) -> d.retryInterval = v)),
            key("TimeoutToFail", "TIMEOUT_TO_FAIL", "timeoutToFail",
                    seconds(1, YEAR_SECONDS, (d, v) -> d.timeoutToFail = v)),
            key("RequestTimeout", "REQUEST_TIMEOUT", "requestTimeout",
                    seconds(1, 3_600, (d, v) -> d.requestTimeout = v)),
            key("LogLevel", "LOG_LEVEL", "logLevel", ConfigKeys::logLevel),
            key("Log.Level", "", "logLevel", ConfigKeys::logLevel),
            key("Store.Driver", "STORE_DRIVER", "driver", ConfigKeys::driver),
            key("Store.DataDir", "STORE_DATA_DIR", "dataDir", (d, w, v) -> d.dataDir = Path.of(v)),
            key("Store.Host", "STORE_HOST", "storeHost", text((d, v) -> d.storeHost = v)),
            key("Store.Port", "STORE_PORT", "storePort", whole(0, 65535, (d, v) -> d.storePort = v)),
            key("Store.User", "STORE_USER", "user", text((d, v) -> d.user = v)),
            new Key("Store.Password", "STORE_PASSWORD", "password", (d, w, v) -> d.password = v, true),
            key("Store.Db", "STORE_DB", "database", text((d, v) -> d.database = v)),
            key("Store.Database", "", "database", text((d, v) -> d.database = v)),
            key("Store.Schema", "STORE_SCHEMA", "schema", text((d, v) -> d.schema = v)),
            key("Store.MaxOpenConns", "STORE_MAX_OPEN_CONNS", "maxOpenConns",
                    whole(2, 10_000, (d, v) -> d.maxOpenConns = v)),
            key("Store.MaxIdleConns", "STORE_MAX_IDLE_CONNS", "maxIdleConns",
                    whole(0, 10_000, (d, v) -> d.maxIdleConns = v)),
            key("Store.ConnMaxLifeTime", "STORE_CONN_MAX_LIFE_TIME", "connMaxLifetime",
                    whole(0, 1_440, (d, v) -> d.connMaxLifetime = Duration.ofMinutes(v))),
            key("Store.ConnectTimeout", "STORE_CONNECT_TIMEOUT", "connectTimeout",
                    seconds(1, 300, (d, v) -> d.connectTimeout = v)),
            key("Store.DataExpire", "STORE_DATA_EXPIRE", "dataExpire",
                    seconds(1, TEN_YEARS_SECONDS, (d, v) -> d.dataExpire = v)),
            key("Store.FinishedDataExpire", "STORE_FINISHED_DATA_EXPIRE", "finishedDataExpire",
                    seconds(1, TEN_YEARS_SECONDS, (d, v) -> d.finishedDataExpire = v)),
            key("Store.RedisPrefix", "STORE_REDIS_PREFIX", "redisPrefix", text((d, v) -> d.redisPrefix = v)),
            key("Store.RedisSentinelMaster", "STORE_REDIS_SENTINEL_MASTER", "sentinelMaster",
                    text((d, v) -> d.sentinelMaster = v)),
            key("Store.FinishedRetention", "STORE_FINISHED_RETENTION", "finishedRetention",
                    seconds(0, TEN_YEARS_SECONDS, (d, v) -> d.finishedRetention = v)),
            key("Store.StartupTimeout", "STORE_STARTUP_TIMEOUT", "startupTimeout",
                    seconds(0, 86_400, (d, v) -> d.startupTimeout = v)));

    /** Keys used only by the networked stores (ignored, with a warning, for sqlite and mem). */
    static final Set<String> NETWORK_ONLY = Set.of("Store.Host", "Store.Port", "Store.User", "Store.Password",
            "Store.Db", "Store.Database", "Store.Schema", "Store.MaxOpenConns", "Store.MaxIdleConns",
            "Store.ConnMaxLifeTime", "Store.ConnectTimeout", "Store.DataExpire", "Store.FinishedDataExpire",
            "Store.RedisPrefix", "Store.RedisSentinelMaster", "Store.StartupTimeout");

    private static final Map<String, Key> BY_NAME = index();

    private ConfigKeys() {
    }

    private static Map<String, Key> index() {
        Map<String, Key> m = new LinkedHashMap<>();
        KEYS.forEach(k -> m.put(k.name(), k));
        return Map.copyOf(m);
    }

    static Optional<Key> find(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    private static Key key(String name, String env, String setting, Setter setter) {
        return new Key(name, env, setting, setter, false);
    }

    private static Setter text(BiConsumer<Draft, String> to) {
        return (d, w, v) -> to.accept(d, v);
    }

    private static Setter whole(long min, long max, ObjIntConsumer<Draft> to) {
        return (d, w, v) -> to.accept(d, (int) number(w, v, min, max));
    }

    private static Setter seconds(long min, long max, BiConsumer<Draft, Duration> to) {
        return (d, w, v) -> to.accept(d, Duration.ofSeconds(number(w, v, min, max)));
    }

    static long number(String where, String s, long min, long max) throws ConfigException {
        try {
            long n = Long.parseLong(s);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException(where + "must be a whole number from " + min + " to " + max + ", got '"
                + ConfigLoader.abbreviate(s) + "'");
    }

    private static void driver(Draft d, String where, String s) throws ConfigException {
        String v = s.toLowerCase(Locale.ROOT);
        d.driver = switch (v) {
            case "sqlite", "boltdb" -> StoreConfig.SQLITE; // boltdb is DTM's embedded default; SQLite is ours
            case "mem", "postgres", "mysql", "mariadb", "redis" -> v;
            case "postgresql" -> StoreConfig.POSTGRES;
            case "sqlserver" -> throw new ConfigException(where + "'sqlserver' is not supported by dtm4j; use "
                    + "postgres, mysql, mariadb, redis, sqlite or mem");
            default -> throw new ConfigException(where + "must be sqlite (or boltdb, read as sqlite), mem, postgres, "
                    + "mysql, mariadb or redis, got '" + ConfigLoader.abbreviate(s) + "'");
        };
    }

    private static void logLevel(Draft d, String where, String s) throws ConfigException {
        String l = s.toLowerCase(Locale.ROOT);
        if (!LOG_LEVELS.contains(l)) {
            throw new ConfigException(where + "must be debug, info, warn or error, got '" + ConfigLoader.abbreviate(s)
                    + "'");
        }
        d.logLevel = l;
    }
}
