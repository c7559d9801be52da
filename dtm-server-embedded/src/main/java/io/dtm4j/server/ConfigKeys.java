package io.dtm4j.server;

import io.dtm4j.client.BranchUrlPolicy;
import io.dtm4j.server.ConfigLoader.ConfigException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
        private static final LogSetup.Settings L = LogSetup.Settings.defaults();
        List<String> logOutputs = L.outputs();
        String logFormat = L.format();
        boolean logRotation = L.rotation();
        int logMaxFileSizeMb = L.maxFileSizeMb();
        int logMaxHistory = L.maxHistory();
        int maxBodyBytes = DtmServer.DEFAULT_MAX_BODY_BYTES;
        Duration readTimeout = DtmServer.DEFAULT_READ_TIMEOUT;
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
        private static final SecuritySettings SEC = SecuritySettings.defaults();
        String adminBasePath = SEC.adminBasePath();
        String adminHost = SEC.adminHost();
        int adminPort = SEC.adminPort();
        boolean allowRemote = SEC.allowRemote();
        List<String> tokens = SEC.tokens();
        List<String> branchAllow = SEC.branchAllow();
        List<String> branchDeny = SEC.branchDeny();

        ServerConfig build() {
            StoreConfig store = new StoreConfig(driver, dataDir, storeHost, storePort, user, password, database,
                    schema, maxOpenConns, maxIdleConns, connMaxLifetime, connectTimeout, dataExpire,
                    finishedDataExpire, redisPrefix, sentinelMaster, finishedRetention, startupTimeout);
            LogSetup.Settings log = new LogSetup.Settings(logOutputs, logFormat, logRotation, logMaxFileSizeMb,
                    logMaxHistory);
            SecuritySettings security = new SecuritySettings(adminBasePath, adminHost, adminPort, allowRemote, tokens,
                    branchAllow, branchDeny);
            return new ServerConfig(port, host, store, retryInterval, timeoutToFail, requestTimeout, logLevel,
                    maxBodyBytes, readTimeout, log, security);
        }
    }

    private static final long YEAR_SECONDS = 31_536_000;
    private static final long TEN_YEARS_SECONDS = 10 * YEAR_SECONDS;
    /** 100 GB per file. */
    private static final int MAX_LOG_FILE_MB = 102_400;
    /** Logback's fixed-window rolling keeps at most 20 files. */
    private static final int MAX_LOG_HISTORY = 20;
    /** The log levels, as DTM names them. */
    static final List<String> LOG_LEVELS = List.of("debug", "info", "warn", "error");

    /** Every supported key, in the order the environment is read. */
    static final List<Key> KEYS = List.of(
            key("HttpPort", "HTTP_PORT", "port", whole(0, 65535, (d, v) -> d.port = v)),
            key("HTTPServer.Port", "", "port", whole(0, 65535, (d, v) -> d.port = v)),
            key("HTTPServer.Address", "", "host", text((d, v) -> d.host = v)),
            key("HTTPServer.ReadTimeout", "HTTP_SERVER_READ_TIMEOUT", "readTimeout", ConfigKeys::readTimeout),
            key("HTTPServer.MaxBodyBytes", "HTTP_SERVER_MAX_BODY_BYTES", "maxBodyBytes",
                    whole(1024, 256L << 20, (d, v) -> d.maxBodyBytes = v)),
            key("RetryInterval", "RETRY_INTERVAL", "retryInterval", seconds(1, 86_400, (d, v) -> d.retryInterval = v)),
            key("TimeoutToFail", "TIMEOUT_TO_FAIL", "timeoutToFail",
                    seconds(1, YEAR_SECONDS, (d, v) -> d.timeoutToFail = v)),
            key("RequestTimeout", "REQUEST_TIMEOUT", "requestTimeout",
                    seconds(1, 3_600, (d, v) -> d.requestTimeout = v)),
            key("LogLevel", "LOG_LEVEL", "logLevel", ConfigKeys::logLevel),
            key("Log.Level", "", "logLevel", ConfigKeys::logLevel),
            key("Log.Outputs", "LOG_OUTPUTS", "logOutputs", ConfigKeys::logOutputs),
            key("Log.Format", "LOG_FORMAT", "logFormat", ConfigKeys::logFormat),
            key("Log.RotationEnable", "LOG_ROTATION_ENABLE", "logRotation", ConfigKeys::logRotation),
            key("Log.RotationConfigJSON", "LOG_ROTATION_CONFIG_JSON", "logRotationJson",
                    ConfigKeys::logRotationJson),
            key("Log.MaxFileSize", "LOG_MAX_FILE_SIZE", "logMaxFileSize",
                    whole(1, MAX_LOG_FILE_MB, (d, v) -> d.logMaxFileSizeMb = v)),
            key("Log.MaxHistory", "LOG_MAX_HISTORY", "logMaxHistory",
                    whole(1, MAX_LOG_HISTORY, (d, v) -> d.logMaxHistory = v)),
            key("AdminBasePath", "ADMIN_BASE_PATH", "adminBasePath", ConfigKeys::adminBasePath),
            key("Admin.Address", "ADMIN_ADDRESS", "adminAddress", ConfigKeys::adminAddress),
            key("Admin.AllowRemote", "ADMIN_ALLOW_REMOTE", "allowRemote",
                    (d, w, v) -> d.allowRemote = flag(w, v)),
            new Key("Auth.Tokens", "AUTH_TOKENS", "tokens", ConfigKeys::tokens, true),
            key("BranchUrl.Allow", "BRANCH_URL_ALLOW", "branchAllow", (d, w, v) -> d.branchAllow = hosts(w, v)),
            key("BranchUrl.Deny", "BRANCH_URL_DENY", "branchDeny", (d, w, v) -> d.branchDeny = hosts(w, v)),
            key("MicroService.Driver", "MICRO_SERVICE_DRIVER", "microServiceDriver", ConfigKeys::microServiceDriver),
            key("Store.Driver", "STORE_DRIVER", "driver", ConfigKeys::driver),
            key("Store.DataDir", "STORE_DATA_DIR", "dataDir", (d, w, v) -> d.dataDir = Path.of(v).normalize()),
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

    /** Store.Driver's values (and aliases), for the did-you-mean of a mistyped one. */
    private static final List<String> DRIVERS = List.of("sqlite", "boltdb", "mem", "postgres", "postgresql", "mysql",
            "mariadb", "redis");

    private static void driver(Draft d, String where, String s) throws ConfigException {
        String v = s.toLowerCase(Locale.ROOT);
        d.driver = switch (v) {
            case "sqlite", "boltdb" -> StoreConfig.SQLITE; // boltdb is DTM's embedded default; SQLite is ours
            case "mem", "postgres", "mysql", "mariadb", "redis" -> v;
            case "postgresql" -> StoreConfig.POSTGRES;
            case "sqlserver" -> throw new ConfigException(where + "'sqlserver' is not supported by dtm4j; use "
                    + "postgres, mysql, mariadb, redis, sqlite or mem");
            default -> throw new ConfigException(where + "must be sqlite (or boltdb, read as sqlite), mem, postgres, "
                    + "mysql, mariadb or redis, got '" + ConfigLoader.abbreviate(s) + "'" + DidYouMean.hint(v, DRIVERS));
        };
    }

    /**
     * DTM's service-registry drivers (dtm-driver-gozero, -kratos, -polaris, ...) register the server in etcd,
     * Nacos, Consul...; dtm4j has none yet, so only {@code default} (no registry: clients use the HTTP address)
     * is accepted, and any other value stops check and start-up rather than being silently ignored.
     */
    private static void microServiceDriver(Draft d, String where, String s) throws ConfigException {
        if (!s.equals("default")) {
            throw new ConfigException(where + "'" + ConfigLoader.abbreviate(s) + "' is not supported yet by dtm4j: "
                    + "it registers with no service registry; remove the key or set it to 'default', and point "
                    + "clients at the server's HTTP address");
        }
    }

    private static void logLevel(Draft d, String where, String s) throws ConfigException {
        String l = s.toLowerCase(Locale.ROOT);
        if (!LOG_LEVELS.contains(l)) {
            throw new ConfigException(where + "must be debug, info, warn or error, got '" + ConfigLoader.abbreviate(s)
                    + "'" + DidYouMean.hint(l, LOG_LEVELS));
        }
        d.logLevel = l;
    }

    private static void logOutputs(Draft d, String where, String s) throws ConfigException {
        List<String> outs = new ArrayList<>();
        for (String part : s.split(",")) {
            String o = part.trim();
            if (o.isEmpty()) {
                throw new ConfigException(where + "must be a comma list of stderr, stdout or file paths, with no "
                        + "empty entry, got '" + ConfigLoader.abbreviate(s) + "'");
            }
            String lower = o.toLowerCase(Locale.ROOT);
            outs.add(lower.equals("stderr") || lower.equals("stdout") ? lower : o);
        }
        d.logOutputs = List.copyOf(outs);
    }

    private static void logFormat(Draft d, String where, String s) throws ConfigException {
        String f = s.toLowerCase(Locale.ROOT);
        if (!f.equals(LogSetup.TEXT) && !f.equals(LogSetup.JSON)) {
            throw new ConfigException(where + "must be text or json, got '" + ConfigLoader.abbreviate(s) + "'"
                    + DidYouMean.hint(f, List.of(LogSetup.TEXT, LogSetup.JSON)));
        }
        d.logFormat = f;
    }

    private static void logRotation(Draft d, String where, String s) throws ConfigException {
        d.logRotation = flag(where, s);
    }

    /** DTM's 0/1 switches; true and false read too. */
    private static boolean flag(String where, String s) throws ConfigException {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "1", "true" -> true;
            case "0", "false" -> false;
            default -> throw new ConfigException(where + "must be 0 or 1 (or true/false), got '"
                    + ConfigLoader.abbreviate(s) + "'");
        };
    }

    /** The seed manual writes {@code '30s'}; a bare number is seconds too. */
    private static void readTimeout(Draft d, String where, String s) throws ConfigException {
        String v = s.endsWith("s") ? s.substring(0, s.length() - 1) : s;
        d.readTimeout = Duration.ofSeconds(number(where, v, 1, 3_600));
    }

    private static void adminBasePath(Draft d, String where, String s) throws ConfigException {
        String v = s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
        if (!v.isEmpty() && !v.matches("(/[A-Za-z0-9_-]+)+")) {
            throw new ConfigException(where + "must be a path such as /dtm or /ops/dtm (letters, digits, _ and -), "
                    + "got '" + ConfigLoader.abbreviate(s) + "'");
        }
        d.adminBasePath = v;
    }

    /** {@code host:port}, {@code :port} (loopback) or {@code [v6]:port}. */
    private static void adminAddress(Draft d, String where, String s) throws ConfigException {
        int colon = s.lastIndexOf(':');
        String host = colon < 0 ? "" : s.substring(0, colon);
        if (colon < 0 || host.contains(":") && !host.startsWith("[")) {
            throw new ConfigException(where + "must be host:port, e.g. 127.0.0.1:36788, got '"
                    + ConfigLoader.abbreviate(s) + "'");
        }
        d.adminPort = (int) number(where + "port ", s.substring(colon + 1), 0, 65_535);
        host = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        d.adminHost = host.isEmpty() ? "127.0.0.1" : host;
    }

    private static void tokens(Draft d, String where, String s) throws ConfigException {
        List<String> entries = new ArrayList<>();
        List<String> names = new ArrayList<>();
        int i = 0;
        for (String part : s.split(",")) {
            i++;
            String e = part.strip();
            if (e.isEmpty()) {
                continue;
            }
            try {
                String name = ApiToken.parse(e).name();
                if (names.contains(name)) {
                    throw new ConfigException(where + "two tokens are named '" + name + "'");
                }
                names.add(name);
            } catch (IllegalArgumentException ex) {
                throw new ConfigException(where + "entry " + i + ": " + ex.getMessage());
            }
            entries.add(e);
        }
        d.tokens = List.copyOf(entries);
    }

    private static List<String> hosts(String where, String s) throws ConfigException {
        List<String> entries = new ArrayList<>();
        for (String part : s.split(",")) {
            if (!part.isBlank()) {
                entries.add(part.strip());
            }
        }
        try {
            BranchUrlPolicy.of(entries, List.of(), Optional.empty());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(where + e.getMessage());
        }
        return List.copyOf(entries);
    }

    /** DTM's lumberjack options: maxsize (MB) and maxbackups are used; maxage, localtime, compress are not. */
    private static void logRotationJson(Draft d, String where, String s) throws ConfigException {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(s);
        } catch (JsonProcessingException e) {
            n = null;
        }
        if (n == null || !n.isObject()) {
            throw new ConfigException(where + "must be a JSON object such as {\"maxsize\":100,\"maxbackups\":7}, got '"
                    + ConfigLoader.abbreviate(s) + "'");
        }
        JsonNode size = n.get("maxsize");
        if (size != null && !size.isNull() && size.asLong() != 0) { // 0 is lumberjack's "default"
            d.logMaxFileSizeMb = (int) number(where + "maxsize ", size.asText(), 1, MAX_LOG_FILE_MB);
        }
        JsonNode backups = n.get("maxbackups");
        if (backups != null && !backups.isNull() && backups.asLong() != 0) { // 0 is lumberjack's "keep all"
            d.logMaxHistory = (int) number(where + "maxbackups ", backups.asText(), 1, MAX_LOG_HISTORY);
        }
    }
}
