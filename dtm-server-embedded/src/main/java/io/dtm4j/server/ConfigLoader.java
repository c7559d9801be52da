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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Loads {@link ServerConfig} as DTM does: built-in defaults, then environment variables (DTM's names, e.g.
 * {@code HTTP_PORT}, {@code STORE_DRIVER}), then the YAML file on top, then DTM's checks. Keys are
 * case-sensitive, as in DTM; the supported ones are the table in {@link ConfigKeys}. File values may hold
 * {@code ${VAR}} placeholders. Keys of DTM's configuration (and of the seed manual) that dtm4j does not support
 * yet, and store keys the chosen driver does not use, are reported as warnings; any other key is an error that
 * names it. Every error is one line with the file, line and column (or the variable), never a password.
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

    /** DTM's (and the seed manual's) other keys: accepted so existing files load, but not used yet. */
    private static final Set<String> NOT_YET = Set.of("TransCronInterval", "GrpcPort", "JsonRpcPort",
            "MicroService.Target", "MicroService.EndPoint", "HttpMicroService.Driver",
            "HttpMicroService.RegistryType", "HttpMicroService.RegistryAddress", "HttpMicroService.RegistryOptions",
            "HttpMicroService.Target", "HttpMicroService.EndPoint", "UpdateBranchSync",
            "UpdateBranchAsyncGoroutineNum", "TimeZoneOffset", "ConfigUpdateInterval", "AlertRetryLimit", "AlertWebHook",
            "GrpcServiceConfig", "HTTPServer.WriteTimeout");

    /** Keys whose value is a comma list, which the file may also give as a YAML list. */
    private static final Set<String> LIST_KEYS = Set.of("Log.Outputs", "Auth.Tokens", "BranchUrl.Allow",
            "BranchUrl.Deny");

    private final String source;
    private final Map<String, String> env;
    private final ConfigKeys.Draft draft = new ConfigKeys.Draft();
    private final List<String> warnings = new ArrayList<>();
    /** Key name -> where it was given (environment or file position), for the warnings about ignored keys. */
    private final Map<String, String> given = new LinkedHashMap<>();
    /** Setting -> the key name that gave it in the file, to refuse two names of one setting. */
    private final Map<String, String> fileSettings = new HashMap<>();

    private ConfigLoader(String source, Map<String, String> env) {
        this.source = source;
        this.env = env;
    }

    /**
     * Loads the settings: defaults, then DTM's environment variables, then the file, whose values may hold
     * {@code ${VAR}} placeholders ({@link Placeholders}).
     *
     * @param file the YAML file, or null for none
     * @param env  the environment (System.getenv() in production)
     * @throws ConfigException with a one-line message naming the file, line and column, or the variable; never
     *                         the password
     */
    static Loaded load(Path file, Map<String, String> env) throws ConfigException {
        ConfigLoader loader = new ConfigLoader(file == null ? "environment" : file.toString(), env);
        loader.readEnvironment();
        if (file != null) {
            loader.readFile(file);
        }
        return new Loaded(loader.validated(), List.copyOf(loader.warnings));
    }

    private void readEnvironment() throws ConfigException {
        for (ConfigKeys.Key k : ConfigKeys.KEYS) {
            String v = k.env().isEmpty() ? null : env.get(k.env());
            if (v != null && !v.isBlank()) {
                String where = "environment " + k.env() + ": ";
                given.put(k.name(), where);
                set(k, where, v);
            }
        }
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
            apply(e.getKey(), e.getValue());
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

    private void apply(String key, Value v) throws ConfigException {
        String where = at(v.where()) + key + ": ";
        if (NOT_YET.contains(key)) {
            warnings.add(where + "ignored, not supported by dtm4j yet");
            return;
        }
        ConfigKeys.Key k = ConfigKeys.find(key).orElseThrow(() -> new ConfigException(where + "unknown key"
                + suggestion(key) + "; known keys: " + knownNear(key)));
        if (v.list() && !LIST_KEYS.contains(k.name())) { // these may also be YAML lists
            throw new ConfigException(where + "must be a single value, not a list");
        }
        String first = fileSettings.putIfAbsent(k.setting(), key);
        if (first != null) {
            throw new ConfigException(where + "sets the same as " + first + "; give only one of them");
        }
        given.put(key, where);
        set(k, where, Placeholders.expand(v.text(), env, where));
    }

    private void set(ConfigKeys.Key k, String where, String text) throws ConfigException {
        String s = k.secret() ? text : text.trim();
        if (s.isBlank()) {
            return; // an empty value keeps the default, as in DTM
        }
        k.setter().set(draft, where, s);
    }

    /** A did-you-mean for an unknown key, among the supported keys and those accepted but not used yet. */
    private static String suggestion(String key) {
        List<String> names = new ArrayList<>();
        ConfigKeys.KEYS.forEach(k -> names.add(k.name()));
        names.addAll(new TreeSet<>(NOT_YET));
        for (String n : names) {
            if (n.equalsIgnoreCase(key)) {
                return " (did you mean '" + n + "'? keys are case-sensitive)";
            }
        }
        return DidYouMean.hint(key, names);
    }

    /** The supported keys of the same section ({@code Store.}...), else the top-level keys and the sections. */
    private static String knownNear(String key) {
        int dot = key.indexOf('.');
        String section = dot > 0 ? key.substring(0, dot + 1) : "";
        Set<String> near = new TreeSet<>();
        for (ConfigKeys.Key k : ConfigKeys.KEYS) {
            if (!section.isEmpty() && k.name().startsWith(section)) {
                near.add(k.name());
            }
        }
        if (near.isEmpty()) {
            for (ConfigKeys.Key k : ConfigKeys.KEYS) {
                int d = k.name().indexOf('.');
                near.add(d > 0 ? k.name().substring(0, d) + ".*" : k.name());
            }
        }
        return String.join(", ", near);
    }

    private ServerConfig validated() throws ConfigException {
        ServerConfig cfg = draft.build();
        if (cfg.timeoutToFail().compareTo(cfg.retryInterval()) < 0) {
            throw new ConfigException(source + ": TimeoutToFail (" + cfg.timeoutToFail().toSeconds()
                    + " s) must not be shorter than RetryInterval (" + cfg.retryInterval().toSeconds() + " s)");
        }
        StoreConfig store = cfg.store();
        store.validate(source);
        given.forEach((key, where) -> {
            if (store.networked() ? key.equals("Store.DataDir") : ConfigKeys.NETWORK_ONLY.contains(key)) {
                warnings.add(where + "ignored, Store.Driver is " + store.driver());
            }
        });
        return cfg;
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

    static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
