package io.dtm4j.server;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Loads {@link ServerConfig} as DTM does: built-in defaults, then environment variables (DTM's names, e.g.
 * {@code HTTP_PORT}, {@code STORE_DRIVER}), then the YAML file on top. Keys are case-sensitive, as in DTM.
 * Keys of DTM's configuration (and of the seed manual) that dtm4j does not support yet are reported as
 * warnings; any other key is an error that names it. Every error is one line with the file, line and column.
 */
final class ConfigLoader {

    /** A configuration problem; the message is one line, fit to print as it is. */
    static final class ConfigException extends Exception {
        private static final long serialVersionUID = 1L;

        ConfigException(String message) {
            super(message, null, false, false);
        }
    }

    /** The settings and the warnings to log once logging is set up. */
    record Loaded(ServerConfig config, List<String> warnings) {
    }

    /** A scalar (or list) value of the file with where it was. */
    private record Value(String text, boolean list, JsonLocation where) {
    }

    private static final Set<String> SUPPORTED = Set.of("HttpPort", "HTTPServer.Port", "HTTPServer.Address",
            "Store.Driver", "Store.DataDir", "RetryInterval", "TimeoutToFail", "RequestTimeout", "LogLevel",
            "Log.Level", "HTTPServer.MaxBodyBytes");
    /** DTM's (and the seed manual's) other keys: accepted so existing files load, but not used yet. */
    private static final Set<String> NOT_YET = Set.of("Store.Host", "Store.Port", "Store.User", "Store.Password",
            "Store.Db", "Store.Database", "Store.Schema", "Store.MaxOpenConns", "Store.MaxIdleConns",
            "Store.ConnMaxLifeTime", "Store.DataExpire", "Store.FinishedDataExpire", "Store.RedisPrefix",
            "TransCronInterval", "GrpcPort", "JsonRpcPort", "MicroService.Driver", "MicroService.Target",
            "MicroService.EndPoint", "HttpMicroService.Driver", "HttpMicroService.RegistryType",
            "HttpMicroService.RegistryAddress", "HttpMicroService.RegistryOptions", "HttpMicroService.Target",
            "HttpMicroService.EndPoint", "UpdateBranchSync", "UpdateBranchAsyncGoroutineNum", "Log.Outputs",
            "Log.RotationEnable", "Log.RotationConfigJSON", "TimeZoneOffset", "ConfigUpdateInterval",
            "AlertRetryLimit", "AlertWebHook", "AdminBasePath", "GrpcServiceConfig", "HTTPServer.ReadTimeout",
            "HTTPServer.WriteTimeout");
    private static final Map<String, String> ENV = Map.of("HttpPort", "HTTP_PORT", "Store.Driver", "STORE_DRIVER",
            "Store.DataDir", "STORE_DATA_DIR", "RetryInterval", "RETRY_INTERVAL", "TimeoutToFail", "TIMEOUT_TO_FAIL",
            "RequestTimeout", "REQUEST_TIMEOUT", "LogLevel", "LOG_LEVEL",
            "HTTPServer.MaxBodyBytes", "HTTP_SERVER_MAX_BODY_BYTES");
    private static final Set<String> UNSUPPORTED_DRIVERS = Set.of("redis", "mysql", "postgres", "sqlserver");
    private static final Set<String> LOG_LEVELS = Set.of("debug", "info", "warn", "error");

    private final String source;
    private final List<String> warnings = new ArrayList<>();
    private int port = ServerConfig.DEFAULT_HTTP_PORT;
    private String host = ServerConfig.DEFAULT_HOST;
    private String driver = ServerConfig.DRIVER_SQLITE;
    private Path dataDir = ServerConfig.DEFAULT_DATA_DIR;
    private Duration retryInterval = ServerConfig.DEFAULT_RETRY_INTERVAL;
    private Duration timeoutToFail = ServerConfig.DEFAULT_TIMEOUT_TO_FAIL;
    private Duration requestTimeout = ServerConfig.DEFAULT_REQUEST_TIMEOUT;
    private String logLevel = ServerConfig.DEFAULT_LOG_LEVEL;
    private int maxBodyBytes = DtmServer.DEFAULT_MAX_BODY_BYTES;

    private ConfigLoader(String source) {
        this.source = source;
    }

    /**
     * Loads the settings.
     *
     * @param file the YAML file, or null for none
     * @param env  the environment (System.getenv() in production)
     * @throws ConfigException with a one-line message naming the file, line and column, or the variable
     */
    static Loaded load(Path file, Map<String, String> env) throws ConfigException {
        ConfigLoader envLoader = new ConfigLoader("environment");
        for (Map.Entry<String, String> e : ENV.entrySet()) {
            String v = env.get(e.getValue());
            if (v != null && !v.isBlank()) {
                envLoader.apply(e.getKey(), new Value(v.trim(), false, null), e.getValue());
            }
        }
        ConfigLoader loader = envLoader;
        if (file != null) {
            loader = envLoader.copyTo(file.toString());
            loader.readFile(file);
        }
        return new Loaded(loader.validated(), List.copyOf(loader.warnings));
    }

    private ConfigLoader copyTo(String newSource) {
        ConfigLoader c = new ConfigLoader(newSource);
        c.port = port;
        c.host = host;
        c.driver = driver;
        c.dataDir = dataDir;
        c.retryInterval = retryInterval;
        c.timeoutToFail = timeoutToFail;
        c.requestTimeout = requestTimeout;
        c.logLevel = logLevel;
        c.maxBodyBytes = maxBodyBytes;
        return c;
    }

    private void readFile(Path file) throws ConfigException {
        Map<String, Value> values = new LinkedHashMap<>();
        try (JsonParser p = new YAMLFactory().createParser(Files.newBufferedReader(file))) {
            JsonToken first = p.nextToken();
            if (first == null) {
                return; // an empty file configures nothing
            }
            if (first != JsonToken.START_OBJECT) {
                throw new ConfigException(at(p.currentLocation()) + "the file must be a mapping of keys "
                        + "(e.g. 'HttpPort: 36789'), got " + describe(first));
            }
            readMapping(p, "", values);
        } catch (NoSuchFileException e) {
            throw new ConfigException(source + ": no such file; give an existing config.yml with -c");
        } catch (JsonProcessingException e) {
            throw new ConfigException(at(e.getLocation()) + "not valid YAML: " + yamlProblem(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new ConfigException(source + ": cannot read the file: " + oneLine(e.getMessage()));
        }
        for (Map.Entry<String, Value> e : values.entrySet()) {
            apply(e.getKey(), e.getValue(), e.getKey());
        }
    }

    private void readMapping(JsonParser p, String prefix, Map<String, Value> out) throws IOException,
            ConfigException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            JsonLocation keyAt = p.currentTokenLocation();
            String key = prefix + p.currentName();
            JsonToken t = p.nextToken();
            if (t == JsonToken.START_OBJECT) {
                readMapping(p, key + ".", out);
            } else if (t == JsonToken.START_ARRAY) {
                List<String> items = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    items.add(p.getText());
                    p.skipChildren();
                }
                out.put(key, new Value(String.join(",", items), true, keyAt));
            } else {
                out.put(key, new Value(t == JsonToken.VALUE_NULL ? "" : p.getText(), false, keyAt));
            }
        }
    }

    private void apply(String key, Value v, String name) throws ConfigException {
        String where = v.where() == null ? source + " " + name + ": " : at(v.where()) + key + ": ";
        if (NOT_YET.contains(key)) {
            warnings.add(where + "ignored, not supported by dtm4j yet");
            return;
        }
        if (!SUPPORTED.contains(key)) {
            throw new ConfigException(where + "unknown key" + suggestion(key) + "; known keys: "
                    + String.join(", ", new TreeSet<>(SUPPORTED)));
        }
        if (v.list()) {
            throw new ConfigException(where + "must be a single value, not a list");
        }
        String s = v.text().trim();
        if (s.isEmpty()) {
            return; // an empty value keeps the default, as in DTM
        }
        switch (key) {
            case "HttpPort", "HTTPServer.Port" -> port = (int) number(where, s, 0, 65535);
            case "HTTPServer.Address" -> host = s;
            case "Store.Driver" -> driver = driver(where, s);
            case "Store.DataDir" -> dataDir = Path.of(s);
            case "RetryInterval" -> retryInterval = Duration.ofSeconds(number(where, s, 1, 86_400));
            case "TimeoutToFail" -> timeoutToFail = Duration.ofSeconds(number(where, s, 1, 31_536_000));
            case "RequestTimeout" -> requestTimeout = Duration.ofSeconds(number(where, s, 1, 3_600));
            case "LogLevel", "Log.Level" -> logLevel = logLevel(where, s);
            case "HTTPServer.MaxBodyBytes" -> maxBodyBytes = (int) number(where, s, 1024, 256L << 20);
            default -> throw new IllegalStateException("unhandled supported key " + key);
        }
    }

    private static String suggestion(String key) {
        for (String k : SUPPORTED) {
            if (k.equalsIgnoreCase(key)) {
                return " (did you mean '" + k + "'? keys are case-sensitive)";
            }
        }
        return "";
    }

    private static long number(String where, String s, long min, long max) throws ConfigException {
        try {
            long n = Long.parseLong(s);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException(where + "must be a whole number from " + min + " to " + max + ", got '"
                + abbreviate(s) + "'");
    }

    private static String driver(String where, String s) throws ConfigException {
        String d = s.toLowerCase(Locale.ROOT);
        if (d.equals("sqlite") || d.equals("boltdb")) {
            return ServerConfig.DRIVER_SQLITE; // boltdb is DTM's embedded default; SQLite is ours
        }
        if (d.equals("mem")) {
            return ServerConfig.DRIVER_MEM;
        }
        if (UNSUPPORTED_DRIVERS.contains(d)) {
            throw new ConfigException(where + "'" + d + "' is not supported by this build yet; use sqlite or mem");
        }
        throw new ConfigException(where + "must be sqlite (or boltdb, read as sqlite) or mem, got '"
                + abbreviate(s) + "'");
    }

    private static String logLevel(String where, String s) throws ConfigException {
        String l = s.toLowerCase(Locale.ROOT);
        if (!LOG_LEVELS.contains(l)) {
            throw new ConfigException(where + "must be debug, info, warn or error, got '" + abbreviate(s) + "'");
        }
        return l;
    }

    private ServerConfig validated() throws ConfigException {
        if (timeoutToFail.compareTo(retryInterval) < 0) {
            throw new ConfigException(source + ": TimeoutToFail (" + timeoutToFail.toSeconds()
                    + " s) must not be shorter than RetryInterval (" + retryInterval.toSeconds() + " s)");
        }
        return new ServerConfig(port, host, driver, dataDir, retryInterval, timeoutToFail, requestTimeout,
                logLevel, maxBodyBytes);
    }

    private String at(JsonLocation loc) {
        if (loc == null || loc.getLineNr() < 1) {
            return source + ": ";
        }
        return source + ": line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ": ";
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case START_ARRAY -> "a list";
            case VALUE_STRING -> "a string";
            default -> "a single value";
        };
    }

    /**
     * SnakeYAML's message interleaves its statements with indented source snippets and "in 'reader', line.."
     * marks; the statements alone make a readable line (the location is already in front).
     */
    private static String yamlProblem(String message) {
        if (message == null) {
            return "unknown problem";
        }
        List<String> statements = new ArrayList<>();
        for (String line : message.split("\\R")) {
            if (!line.isBlank() && !Character.isWhitespace(line.charAt(0))) {
                statements.add(line.strip());
            }
        }
        return statements.isEmpty() ? oneLine(message) : oneLine(String.join("; ", statements));
    }

    private static String oneLine(String s) {
        if (s == null) {
            return "unknown problem";
        }
        String line = s.replaceAll("\\s+", " ").trim();
        return line.length() > 160 ? line.substring(0, 160) + "..." : line;
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
