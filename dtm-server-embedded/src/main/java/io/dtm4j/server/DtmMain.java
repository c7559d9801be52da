package io.dtm4j.server;

import io.dtm4j.core.DtmException;
import io.dtm4j.core.ListQuery;
import io.dtm4j.core.StoreUnavailableException;
import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.store.jdbc.JdbcTransactionStore;
import io.dtm4j.store.jdbc.SchemaStatus;
import io.dtm4j.store.jdbc.SqlDialect;
import io.dtm4j.store.jdbc.SqliteBackup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * The {@code dtm} command: runs the standalone server with DTM's flags ({@code -c config.yml}, {@code -p},
 * {@code -d}, {@code -v}, {@code -r} to delete every transaction before starting, after a typed {@code yes} or with
 * {@code --yes}), plus {@code version} and {@code check} as in the seed manual. Exit codes: 0 after
 * SIGTERM/SIGINT (a graceful stop) or a successful check; 2 for a usage or configuration error and for every
 * failure to start (a port in use, a store that cannot be opened or did not answer within
 * {@code Store.StartupTimeout}); 1 when {@code check} finds a problem with the store. Errors are one line on
 * stderr, never a stack trace or a password.
 *
 * <p>Precedence: defaults, then DTM's environment variables, then {@code config.yml}, then {@code -p},
 * {@code --log-level} and {@code -d}. One instance per process; not thread-safe.
 */
@Command(name = "dtm", sortOptions = false, versionProvider = DtmMain.Version.class,
        description = "DTM for Java: a distributed transaction manager speaking DTM's HTTP API.",
        footer = "%nCommands: 'dtm version' prints the version; 'dtm -c config.yml check' validates the file and "
                + "connects to the store; 'dtm -c config.yml backup FILE' copies the sqlite store while it runs; "
                + "'dtm token NAME ROLE' makes a bearer token; 'dtm schema-sql postgres' prints the tables' DDL.")
public final class DtmMain implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(DtmMain.class);
    /** {@code check} found a problem with the store (the configuration itself is fine). */
    static final int EXIT_CHECK_STORE = 1;
    /** A usage or configuration error, and every start-up failure, the store's included (as the README says). */
    static final int EXIT_USAGE = 2;
    static final int EXIT_START = EXIT_USAGE;

    @Option(names = {"-c", "--config"}, paramLabel = "config.yml", description = "YAML configuration file")
    Path config;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", description = "HTTP port (default 36789; 0 = any free)")
    Integer port;

    @Option(names = "-d", description = "debug logging")
    boolean debug;

    @Option(names = "--log-level", paramLabel = "LEVEL", description = "debug, info, warn or error")
    String logLevel;

    @Option(names = {"-r", "--reset"}, description = "delete every transaction in the store before starting "
            + "(DTM's -r); asks for 'yes' on stdin unless --yes")
    boolean reset;

    @Option(names = "--yes", description = "with -r: do not ask for confirmation")
    boolean yes;

    @Option(names = {"-v", "--version"}, versionHelp = true, description = "print the version and exit")
    boolean versionRequested;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help and exit")
    boolean helpRequested;

    /** Prints {@code dtm version: v...}, as DTM's {@code -v}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"dtm version: " + DtmServer.buildVersion()};
        }
    }

    private DtmMain() {
    }

    /** Runs the command line; exits only on errors or when a one-shot command is done. */
    public static void main(String[] args) {
        int code = commandLine().execute(args);
        System.exit(code);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new DtmMain());
        cl.setParameterExceptionHandler(DtmMain::usageError);
        return cl;
    }

    /** A bad flag or argument: one line with the closest flag or command, not the whole usage. */
    private static int usageError(CommandLine.ParameterException e, String[] args) {
        String hint = "";
        if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            List<String> names = new ArrayList<>(e.getCommandLine().getCommandSpec().optionsMap().keySet());
            names.addAll(e.getCommandLine().getSubcommands().keySet());
            hint = DidYouMean.hint(u.getUnmatched().get(0), names);
        }
        fail(EXIT_USAGE, e.getMessage() + hint + "; run 'dtm --help' for the flags");
        return EXIT_USAGE;
    }

    /** {@code dtm version}. */
    @Command(name = "version", description = "print the version and exit")
    int versionCommand() {
        out().println(new Version().getVersion()[0]);
        out().flush();
        return 0;
    }

    /**
     * {@code dtm -c config.yml check}: loads and validates the configuration, then connects to the store once
     * and reports what it found. Exit 0 when both are fine, 2 for a configuration problem, 1 for a store one.
     */
    @Command(name = "check", description = "validate the configuration, connect to the store once and exit")
    int checkCommand() {
        ServerConfig cfg;
        try {
            ConfigLoader.Loaded loaded = load();
            cfg = loaded.config();
            loaded.warnings().forEach(w -> out().println("warning: " + w));
            out().println("configuration OK: " + cfg.summary());
        } catch (ConfigLoader.ConfigException e) {
            return fail(EXIT_USAGE, e.getMessage());
        }
        return checkStore(cfg.store());
    }

    /**
     * {@code dtm schema-sql postgres|mysql|sqlite}: prints the DDL of the current schema, for a DBA who creates the
     * tables ahead (the server then runs no DDL).
     */
    @Command(name = "schema-sql", description = "print the DDL of the store's tables for a DBA, and exit")
    int schemaSqlCommand(@CommandLine.Parameters(paramLabel = "DIALECT", description = "postgres, mysql (also "
            + "MariaDB) or sqlite") String dialect) {
        String d = dialect.toLowerCase(java.util.Locale.ROOT);
        SqlDialect chosen = switch (d) {
            case "postgres", "postgresql" -> SqlDialect.POSTGRES;
            case "mysql", "mariadb" -> SqlDialect.MYSQL;
            case "sqlite" -> SqlDialect.SQLITE;
            default -> null;
        };
        if (chosen == null) {
            return fail(EXIT_USAGE, "schema-sql takes postgres, mysql, mariadb or sqlite, got '" + dialect + "'"
                    + DidYouMean.hint(d, List.of("postgres", "mysql", "mariadb", "sqlite")));
        }
        PrintWriter out = out();
        out.print(JdbcTransactionStore.schemaSql(chosen));
        out.flush();
        return 0;
    }

    /**
     * {@code dtm token NAME ROLE}: prints a new random token and the {@code Auth.Tokens} entry that admits it (only
     * its SHA-256 goes into the configuration).
     */
    @Command(name = "token", description = "make a new bearer token for Auth.Tokens and print it with its entry")
    int tokenCommand(@CommandLine.Parameters(paramLabel = "NAME", description = "who holds it, e.g. alice") String name,
                     @CommandLine.Parameters(paramLabel = "ROLE", description = "viewer, operator or api") String role) {
        String secret = ApiToken.newSecret();
        String entry = name + ":" + role.toLowerCase(java.util.Locale.ROOT) + ":" + secret;
        try {
            ApiToken t = ApiToken.parse(entry);
            out().println("token (give it to " + t.name() + "; it is not stored anywhere): " + secret);
            out().println("Auth.Tokens entry: " + ApiToken.entry(t.name(), t.role(), secret));
            return 0;
        } catch (IllegalArgumentException e) {
            return fail(EXIT_USAGE, e.getMessage());
        }
    }

    /**
     * {@code dtm -c config.yml backup FILE}: an online, consistent copy of the SQLite store (the server may keep
     * running); the other stores are backed up with their own tools, which this names. Exit 0 when the copy is
     * written and checked, 2 for a configuration problem or another driver, 1 when the copy failed.
     */
    @Command(name = "backup", description = "copy the SQLite store consistently to FILE (the server may keep "
            + "running) and exit")
    int backupCommand(@CommandLine.Parameters(paramLabel = "FILE", description = "the copy to write; must not "
            + "exist") Path target) {
        StoreConfig store;
        try {
            store = load().config().store();
        } catch (ConfigLoader.ConfigException e) {
            return fail(EXIT_USAGE, e.getMessage());
        }
        String tool = switch (store.driver()) {
            case StoreConfig.POSTGRES -> "pg_dump";
            case StoreConfig.MYSQL, StoreConfig.MARIADB -> "mysqldump --single-transaction";
            case StoreConfig.REDIS -> "redis-cli --rdb (or the server's RDB/AOF files)";
            case StoreConfig.MEM -> "nothing: the mem store keeps no data across restarts";
            default -> null;
        };
        if (tool != null) {
            return fail(EXIT_USAGE, "backup copies the sqlite store only; Store.Driver is " + store.driver()
                    + ": back it up with " + tool + " (see the operator's guide)");
        }
        try {
            SqliteBackup.Result r = SqliteBackup.copy(store.dataDir(), target);
            out().println("backup OK: " + r.target() + " (" + r.bytes() + " bytes, " + r.transactions()
                    + " transactions, quick_check ok)");
            return 0;
        } catch (IllegalArgumentException e) {
            return fail(EXIT_USAGE, "backup: " + e.getMessage());
        } catch (DtmException e) {
            return fail(EXIT_CHECK_STORE, e.getMessage());
        }
    }

    /**
     * Reports what the store holds without changing it: a SQL store's schema is inspected first, and the store
     * is opened (and a page of transactions read) only when its schema is current, since opening creates or
     * migrates it.
     */
    private static int checkStore(StoreConfig store) {
        if (StoreConfig.MEM.equals(store.driver())) {
            out().println("store OK: mem (in memory; nothing to connect to)");
            return 0;
        }
        try {
            StoreOpener opener = StoreOpener.forConfig(store);
            Optional<SchemaStatus> schema = opener.inspect();
            if (schema.isPresent()) {
                SchemaStatus s = schema.get();
                if (!s.usable()) {
                    return fail(EXIT_CHECK_STORE, "store problem: " + s.store() + ": " + s.describe());
                }
                if (s.version() != s.latest()) {
                    out().println("store OK: " + s.store() + ": " + s.describe());
                    return 0;
                }
            }
            try (TransactionStore opened = opener.openOnce()) {
                opened.list(new ListQuery("", 1, Optional.empty(), Optional.empty(), Optional.empty(),
                        Optional.empty()));
                out().println("store OK: " + opened.describe() + " answers and lists its transactions"
                        + schema.map(s -> "; " + s.describe()).orElse(""));
                return 0;
            }
        } catch (IllegalArgumentException e) {
            return fail(EXIT_USAGE, "the store refused a setting: " + store.redact(e.getMessage()));
        } catch (StoreUnavailableException e) {
            return fail(EXIT_CHECK_STORE, store.redact(e.getMessage()));
        } catch (DtmException | UncheckedIOException e) {
            return fail(EXIT_CHECK_STORE, "store problem: " + store.redact(e.getMessage()));
        }
    }

    @Override
    public Integer call() {
        ServerConfig cfg;
        try {
            ConfigLoader.Loaded loaded = load();
            cfg = loaded.config();
            LogSetup.apply(cfg.logLevel(), cfg.log());
            loaded.warnings().forEach(LOG::warn);
        } catch (ConfigLoader.ConfigException e) {
            return fail(EXIT_USAGE, e.getMessage());
        }
        if (reset) {
            int refused = resetStore(cfg.store());
            if (refused != 0) {
                return refused;
            }
        }
        DtmNode node;
        try {
            node = DtmNode.start(cfg);
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof BindException) {
                return fail(EXIT_USAGE, "port " + cfg.httpPort() + " is already in use (or not allowed); stop the "
                        + "other process or choose another port with -p");
            }
            return fail(EXIT_START, e.getMessage());
        } catch (IllegalArgumentException e) {
            return fail(EXIT_USAGE, "the store refused a setting: " + cfg.store().redact(e.getMessage()));
        } catch (StoreUnavailableException e) {
            return fail(EXIT_START, e.getMessage());
        } catch (DtmException e) {
            return fail(EXIT_START, "cannot open the store: " + cfg.store().redact(e.getMessage()));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(node), "dtm-shutdown"));
        LOG.info("dtm {} listening on http://{}:{} with store {} ({})", node.version(), cfg.host(), node.port(),
                node.storeName(), cfg.summary());
        awaitForever();
        return 0;
    }

    /**
     * {@code -r}: asks on stdin (unless {@code --yes}), then deletes every transaction of the configured store.
     *
     * @return 0 when done (or nothing to do), else the exit code: the operator did not confirm, or the store failed
     */
    private int resetStore(StoreConfig store) {
        if (StoreConfig.MEM.equals(store.driver())) {
            return 0; // nothing survives a restart anyway
        }
        if (StoreConfig.SQLITE.equals(store.driver())
                && !Files.exists(store.dataDir().resolve(JdbcTransactionStore.DATABASE_FILE))) {
            LOG.info("-r: {} does not exist yet; nothing to delete", store.dataDir());
            return 0;
        }
        if (!yes && !confirmed(store)) {
            return fail(EXIT_USAGE, "-r not confirmed; nothing was deleted (type 'yes' at the prompt, or add --yes)");
        }
        try (TransactionStore s = StoreOpener.forConfig(store).openWaiting()) {
            long removed = s.deleteAll();
            LOG.warn("-r: deleted {} transaction(s) and their branches from {}", removed, s.describe());
            return 0;
        } catch (IllegalArgumentException e) {
            return fail(EXIT_USAGE, "the store refused a setting: " + store.redact(e.getMessage()));
        } catch (StoreUnavailableException e) {
            return fail(EXIT_START, "-r: " + e.getMessage());
        } catch (DtmException e) {
            return fail(EXIT_START, "-r: cannot delete the transactions: " + store.redact(e.getMessage()));
        }
    }

    private static boolean confirmed(StoreConfig store) {
        PrintWriter err = new PrintWriter(System.err, true);
        err.print("dtm: -r deletes EVERY transaction, finished or not, in " + store.where() + ". Type 'yes' to go on: ");
        err.flush();
        try {
            String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            err.println();
            return answer != null && answer.trim().equals("yes");
        } catch (IOException e) {
            return false;
        }
    }

    private ConfigLoader.Loaded load() throws ConfigLoader.ConfigException {
        ConfigLoader.Loaded loaded = ConfigLoader.load(config, System.getenv());
        ServerConfig cfg = loaded.config();
        if (port != null) {
            if (port < 0 || port > 65535) {
                throw new ConfigLoader.ConfigException("-p must be a port from 0 to 65535, got " + port);
            }
            cfg = cfg.withHttpPort(port);
        }
        if (logLevel != null) {
            cfg = cfg.withLogLevel(logLevel);
            if (!ConfigKeys.LOG_LEVELS.contains(cfg.logLevel())) {
                throw new ConfigLoader.ConfigException("--log-level must be debug, info, warn or error, got '"
                        + logLevel + "'" + DidYouMean.hint(cfg.logLevel(), ConfigKeys.LOG_LEVELS));
            }
        }
        if (debug) {
            cfg = cfg.withLogLevel("debug");
        }
        return new ConfigLoader.Loaded(cfg, loaded.warnings());
    }

    /** SIGTERM/SIGINT: a graceful stop, then exit 0 (the JVM would otherwise report 143/130). */
    private static void stop(DtmNode node) {
        LOG.info("stopping: no new requests; running ones get up to 5 s");
        node.close();
        LOG.info("stopped");
        System.err.flush();
        Runtime.getRuntime().halt(0);
    }

    private static void awaitForever() {
        try {
            new CountDownLatch(1).await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int fail(int code, String message) {
        PrintWriter err = new PrintWriter(System.err, true);
        err.println("dtm: " + message);
        return code;
    }

    private static PrintWriter out() {
        return new PrintWriter(System.out, true);
    }
}
