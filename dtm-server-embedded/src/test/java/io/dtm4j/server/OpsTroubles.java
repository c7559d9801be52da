package io.dtm4j.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * The troubleshooting scenarios: each makes the installed {@code dtm} print one line of the guide's table (or a
 * reply body, for the HTTP rows) and says which row it must match, by a hint that is part of that row's text.
 * Each scenario has a directory and ports of its own, so they may run in parallel.
 */
final class OpsTroubles {
    private static final Duration BOUND = Duration.ofSeconds(60);

    /** A printed line and the hint that picks its row. */
    record Line(String scenario, String hint, String line) {
    }

    /** Where the SQL servers of the IT environment are. */
    record Sql(String host, int port, String user, String password) {
    }

    private final OpsSandbox box;
    private final Sql pg;
    private final Sql mariadb;

    OpsTroubles(OpsSandbox box, Sql pg, Sql mariadb) {
        this.box = box;
        this.pg = pg;
        this.mariadb = mariadb;
    }

    /** Every scenario, by name. */
    Map<String, Callable<List<Line>>> scenarios() {
        Map<String, Callable<List<Line>>> s = new LinkedHashMap<>();
        s.put("port-in-use", this::portInUse);
        s.put("yaml", () -> configError("yaml", "Store:\n  Driver: sqlite\n Host: x\n", "not valid YAML"));
        s.put("unknown-key", () -> configError("unknown-key", "Store:\n  Drivr: sqlite\n",
                "unknown key (did you mean"));
        s.put("driver", () -> configError("driver", "Store:\n  Driver: mysq\n", "Store.Driver: must be"));
        s.put("required", () -> configError("required", "Store:\n  Driver: postgres\n",
                "is required when Store.Driver"));
        s.put("unset-var", () -> configError("unset-var", sqlConfig("postgres", pg, "'${OPS_UNSET_PASSWORD}'", "dtm"),
                "environment variable <VAR> is not set"));
        s.put("micro-service", () -> configError("micro-service", "MicroService:\n  Driver: dtm-driver-gozero\n",
                "MicroService.Driver: '<driver>'"));
        s.put("no-file", () -> List.of(line("no-file", "no such file", dtm("no-file", "", Map.of(), 2, "-c",
                "missing.yml", "check"))));
        s.put("not-yet", () -> warning("not-yet", "GrpcPort: 36790\n", "not supported by dtm4j yet"));
        s.put("ignored", () -> warning("ignored", "Store:\n  Driver: sqlite\n  Host: x\n", "ignored, Store.Driver is"));
        s.put("bad-flag", () -> List.of(line("bad-flag", "Unknown options", dtm("bad-flag", "", Map.of(), 2,
                "--log-levl", "debug"))));
        s.put("bad-port", () -> List.of(line("bad-port", "-p must be a port", dtm("bad-port", "", Map.of(), 2,
                "-p", "70000"))));
        s.put("start-unreachable", this::startUnreachable);
        s.put("check-unreachable", () -> store("check-unreachable", "Store:\n  Driver: redis\n  Host: 127.0.0.1\n"
                + "  Port: " + closedPort() + "\n", "running at <address>? <cause>"));
        s.put("pg-password", () -> store("pg-password", sqlConfig("postgres", pg, "wrong-ops-password", "dtm"),
                "refused user"));
        s.put("mariadb-password", () -> store("mariadb-password", sqlConfig("mariadb", mariadb, "wrong-ops-password",
                "dtm"), "refused user"));
        s.put("pg-no-database", () -> store("pg-no-database", sqlConfig("postgres", pg, pg.password(),
                "ops_no_such_db"), "does not exist at"));
        s.put("newer-schema", this::newerSchema);
        s.put("foreign-sqlite", this::foreignSqlite);
        s.put("data-dir", this::dataDir);
        s.put("log-file", this::logFile);
        s.put("reset-not-confirmed", this::resetNotConfirmed);
        s.put("backup-exists", this::backupExists);
        s.put("backup-no-store", () -> List.of(line("backup-no-store", "no SQLite store at", dtm("backup-no-store",
                "", Map.of(), 2, "-c", write("backup-no-store", "Store:\n  Driver: sqlite\n").toString(), "backup",
                "copy.db"))));
        s.put("backup-driver", () -> List.of(line("backup-driver", "backup copies the sqlite store only",
                dtm("backup-driver", "", Map.of("DB_PASSWORD", pg.password()), 2, "-c",
                        write("backup-driver", sqlConfig("postgres", pg, "'${DB_PASSWORD}'", "dtm")).toString(),
                        "backup", "copy.db"))));
        s.put("java-not-found", this::javaNotFound);
        s.put("store-outage", this::storeOutage);
        s.put("tokens", this::tokens);
        s.put("admin-listener", this::adminListener);
        return s;
    }

    private List<Line> portInUse() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Path cfg = write("port-in-use", "HTTPServer:\n  Address: 127.0.0.1\n");
            return List.of(line("port-in-use", "is already in use", dtm("port-in-use", "", Map.of(), 2, "-c",
                    cfg.toString(), "-p", Integer.toString(taken.getLocalPort()))));
        }
    }

    private List<Line> configError(String name, String yaml, String hint) throws Exception {
        return List.of(line(name, hint, dtm(name, "", Map.of(), 2, "-c", write(name, yaml).toString(), "check")));
    }

    private List<Line> warning(String name, String yaml, String hint) throws Exception {
        OpsSandbox.Result r = dtm(name, "", Map.of(), 0, "-c", write(name, yaml).toString(), "check");
        String w = r.stdout().lines().filter(l -> l.startsWith("warning: ")).findFirst()
                .orElseThrow(() -> new AssertionError(name + ": no warning line; " + r.describe()));
        return List.of(new Line(name, hint, w));
    }

    /** {@code check} of a store that fails: exit 1. */
    private List<Line> store(String name, String yaml, String hint) throws Exception {
        return List.of(line(name, hint, dtm(name, "", Map.of(), 1, "-c", write(name, yaml).toString(), "check")));
    }

    private List<Line> startUnreachable() throws Exception {
        String yaml = "HTTPServer:\n  Address: 127.0.0.1\nStore:\n  Driver: postgres\n  Host: 127.0.0.1\n  Port: "
                + closedPort() + "\n  User: dtm\n  StartupTimeout: 4\n";
        OpsSandbox.Result r = dtm("start-unreachable", "", Map.of(), 2, "-c", write("start-unreachable", yaml)
                .toString(), "-p", Integer.toString(closedPort()));
        String warn = r.stderr().lines().filter(l -> l.contains(" WARN ") && l.contains("StoreOpener")).findFirst()
                .orElseThrow(() -> new AssertionError("start-unreachable: no WARN line; " + r.describe()));
        return List.of(new Line("start-unreachable", "retrying in 3 s", warn),
                line("start-unreachable", "gave up after", r));
    }

    private List<Line> newerSchema() throws Exception {
        Path dir = dir("newer-schema");
        sqlite(dir.resolve("dtm-data/dtm.db"), "PRAGMA user_version = 99", "CREATE TABLE t (x INTEGER)");
        Path cfg = write("newer-schema", "HTTPServer:\n  Address: 127.0.0.1\n");
        return List.of(
                line("newer-schema", "cannot use the store: <store url>: the database has schema version",
                        dtm("newer-schema", "", Map.of(), 2, "-c", cfg.toString(), "-p", port())),
                line("newer-schema", "was written by a newer dtm4j",
                        dtm("newer-schema", "", Map.of(), 1, "-c", cfg.toString(), "check")));
    }

    private List<Line> foreignSqlite() throws Exception {
        Path dir = dir("foreign-sqlite");
        sqlite(dir.resolve("dtm-data/dtm.db"), "CREATE TABLE trans_global (x INTEGER)");
        Path cfg = write("foreign-sqlite", "HTTPServer:\n  Address: 127.0.0.1\n");
        return List.of(line("foreign-sqlite", "no dtm4j schema version", dtm("foreign-sqlite", "", Map.of(), 2,
                "-c", cfg.toString(), "-p", port())));
    }

    private List<Line> dataDir() throws Exception {
        Path file = Files.writeString(dir("data-dir").resolve("a-file"), "");
        Path cfg = write("data-dir", "HTTPServer:\n  Address: 127.0.0.1\nStore:\n  DataDir: " + file + "/data\n");
        return List.of(line("data-dir", "cannot create Store.DataDir", dtm("data-dir", "", Map.of(), 2, "-c",
                cfg.toString(), "-p", port())));
    }

    private List<Line> logFile() throws Exception {
        Path file = Files.writeString(dir("log-file").resolve("a-file"), "");
        Path cfg = write("log-file", "HTTPServer:\n  Address: 127.0.0.1\nLog:\n  Outputs: " + file + "/dtm.log\n");
        return List.of(line("log-file", "cannot open the log file", dtm("log-file", "", Map.of(), 2, "-c",
                cfg.toString(), "-p", port())));
    }

    private List<Line> resetNotConfirmed() throws Exception {
        Path dir = dir("reset-not-confirmed");
        Files.createDirectories(dir.resolve("dtm-data"));
        Files.writeString(dir.resolve("dtm-data/dtm.db"), ""); // exists: -r asks before it opens anything
        Path cfg = write("reset-not-confirmed", "HTTPServer:\n  Address: 127.0.0.1\n");
        return List.of(line("reset-not-confirmed", "-r not confirmed", dtm("reset-not-confirmed", "no\n", Map.of(),
                2, "-c", cfg.toString(), "-p", port(), "-r")));
    }

    private List<Line> backupExists() throws Exception {
        Path dir = dir("backup-exists");
        Files.createDirectories(dir.resolve("dtm-data"));
        Files.writeString(dir.resolve("dtm-data/dtm.db"), ""); // a store, so that the target is what is wrong
        Files.writeString(dir.resolve("dtm-today.db"), "");
        Path cfg = write("backup-exists", "Store:\n  Driver: sqlite\n");
        return List.of(line("backup-exists", "already exists; give a new file name", dtm("backup-exists", "",
                Map.of(), 2, "-c", cfg.toString(), "backup", "dtm-today.db")));
    }

    /** The launcher with neither JAVA_HOME nor java on the PATH (only the tools it needs). */
    private List<Line> javaNotFound() throws Exception {
        Path tools = Files.createDirectories(dir("java-not-found").resolve("tools"));
        for (String t : List.of("readlink", "dirname")) {
            Path real = Path.of("/usr/bin", t);
            Files.createSymbolicLink(tools.resolve(t), Files.exists(real) ? real : Path.of("/bin", t));
        }
        OpsSandbox.Result r = box.exec("java-not-found", List.of("/bin/sh", box.bin.resolve("dtm").toString(),
                "version"), dir("java-not-found"), Map.of("PATH", tools.toString(), "JAVA_HOME", ""), "", BOUND);
        return List.of(line("java-not-found", "java not found", r, 1));
    }

    /** A Redis of its own, killed under a running server: the API answers 503 and names the store. */
    private List<Line> storeOutage() throws Exception {
        int redisPort = closedPort();
        Path dir = dir("store-outage");
        Process redis = new ProcessBuilder("redis-server", "--port", Integer.toString(redisPort), "--bind",
                "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        try {
            Path cfg = write("store-outage", "HTTPServer:\n  Address: 127.0.0.1\nStore:\n  Driver: redis\n"
                    + "  Host: 127.0.0.1\n  Port: " + redisPort + "\n  StartupTimeout: 20\n");
            OpsSandbox.Server server = box.server("store-outage-dtm", cfg, List.of(), Integer.parseInt(port()));
            redis.destroyForcibly();
            redis.waitFor(10, TimeUnit.SECONDS);
            OpsSandbox.Reply ready = server.get("/api/ready");
            for (long end = System.nanoTime() + BOUND.toNanos(); ready.status() != 503 && System.nanoTime() < end; ) {
                Thread.sleep(200);
                ready = server.get("/api/ready");
            }
            OpsSandbox.Reply submit = server.post("/api/dtmsvr/submit", "{\"gid\":\"ops-outage\",\"trans_type\":"
                    + "\"saga\",\"steps\":[{\"action\":\"http://127.0.0.1:9/a\","
                    + "\"compensate\":\"http://127.0.0.1:9/c\"}],\"payloads\":[\"{}\"]}");
            server.stop();
            if (ready.status() != 503 || submit.status() != 503) {
                throw new AssertionError("store-outage: expected 503 from /api/ready and submit, got " + ready + " and "
                        + submit + "; server log:\n" + server.log());
            }
            return List.of(new Line("store-outage", "cannot reach Redis (<driver message>)", submit.body()),
                    new Line("store-outage", "\"status\":\"unavailable\"", ready.body()));
        } finally {
            redis.destroyForcibly();
        }
    }

    /** With Auth.Tokens: no token is 401, a viewer token on a client route is 403. */
    private List<Line> tokens() throws Exception {
        String[] viewer = token("tokens-viewer", "prometheus", "viewer");
        String[] api = token("tokens-api", "orders", "api");
        Path cfg = write("tokens", "HTTPServer:\n  Address: 127.0.0.1\nAuth:\n  Tokens:\n    - '" + viewer[1] + "'\n"
                + "    - '" + api[1] + "'\n");
        OpsSandbox.Server server = box.server("tokens-dtm", cfg, List.of(), Integer.parseInt(port()));
        OpsSandbox.Reply none = server.get("/api/metrics");
        OpsSandbox.Reply wrongRole = box.send(server.port, "/api/dtmsvr/newGid", viewer[0]);
        OpsSandbox.Reply right = box.send(server.port, "/api/dtmsvr/newGid", api[0]);
        server.stop();
        if (none.status() != 401 || wrongRole.status() != 403 || right.status() != 200) {
            throw new AssertionError("tokens: expected 401, 403, 200, got " + none + ", " + wrongRole + ", " + right);
        }
        return List.of(new Line("tokens", "a valid bearer token is required", none.body()),
                new Line("tokens", "may not call <api>", wrongRole.body()));
    }

    /** With Admin.Address the public port answers 404 for the admin surface; BranchUrl.Allow refuses a branch. */
    private List<Line> adminListener() throws Exception {
        Path cfg = write("admin-listener", "HTTPServer:\n  Address: 127.0.0.1\nAdmin:\n  Address: 127.0.0.1:" + port()
                + "\nBranchUrl:\n  Allow: '10.0.0.0/8'\n");
        OpsSandbox.Server server = box.server("admin-listener-dtm", cfg, List.of(), Integer.parseInt(port()));
        OpsSandbox.Reply metrics = server.get("/api/metrics");
        OpsSandbox.Reply refused = server.post("/api/dtmsvr/submit", "{\"gid\":\"ops-branch-url\",\"trans_type\":"
                + "\"saga\",\"steps\":[{\"action\":\"http://127.0.0.1:9/a\",\"compensate\":\"http://10.1.1.1:9/c\"}],"
                + "\"payloads\":[\"{}\"]}");
        server.stop();
        if (metrics.status() != 404 || refused.status() != 400) {
            throw new AssertionError("admin-listener: expected 404 and 400, got " + metrics + " and " + refused);
        }
        return List.of(new Line("admin-listener", "not served on this port", metrics.body()),
                new Line("admin-listener", "branch URL '<url>' refused", refused.body()));
    }

    /** {@code dtm token NAME ROLE}: the token and its Auth.Tokens entry. */
    private String[] token(String name, String holder, String role) throws Exception {
        OpsSandbox.Result r = dtm(name, "", Map.of(), 0, "token", holder, role);
        String token = r.stdout().lines().filter(l -> l.startsWith("token "))
                .map(l -> l.substring(l.lastIndexOf(' ') + 1)).findFirst().orElseThrow(() -> new AssertionError(name + ": no token line; " + r.describe()));
        String entry = r.stdout().lines().filter(l -> l.startsWith("Auth.Tokens entry: "))
                .map(l -> l.substring("Auth.Tokens entry: ".length())).findFirst()
                .orElseThrow(() -> new AssertionError(name + ": no entry line; " + r.describe()));
        return new String[] {token, entry};
    }

    private OpsSandbox.Result dtm(String name, String stdin, Map<String, String> env, int exit, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(box.bin.resolve("dtm").toString()));
        cmd.addAll(List.of(args));
        OpsSandbox.Result r = box.exec(name, cmd, dir(name), env, stdin, BOUND);
        if (r.exit() != exit) {
            throw new AssertionError(name + ": expected exit " + exit + " from dtm " + String.join(" ", args) + "; "
                    + r.describe());
        }
        return r;
    }

    private static Line line(String name, String hint, OpsSandbox.Result r) {
        return line(name, hint, r, r.exit());
    }

    private static Line line(String name, String hint, OpsSandbox.Result r, int exit) {
        if (r.exit() != exit) {
            throw new AssertionError(name + ": expected exit " + exit + "; " + r.describe());
        }
        String l = r.lastErrLine("dtm: ").orElseThrow(() -> new AssertionError(name + ": no 'dtm: ' line; "
                + r.describe()));
        return new Line(name, hint, l);
    }

    private static String sqlConfig(String driver, Sql at, String password, String db) {
        return "Store:\n  Driver: " + driver + "\n  Host: " + at.host() + "\n  Port: " + at.port() + "\n  User: "
                + at.user() + "\n  Password: " + password + "\n  Db: " + db + "\n  StartupTimeout: 0\n";
    }

    private Path dir(String name) throws IOException {
        return Files.createDirectories(box.root.resolve("troubles").resolve(name));
    }

    private Path write(String name, String yaml) throws IOException {
        return Files.writeString(dir(name).resolve("config.yml"), yaml);
    }

    private static String port() throws IOException {
        return Integer.toString(closedPort());
    }

    private static int closedPort() throws IOException {
        return OpsGuideRun.closedPort();
    }

    private static void sqlite(Path file, String... statements) throws Exception {
        Files.createDirectories(file.getParent());
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            for (String sql : statements) {
                st.execute(sql);
            }
        }
    }
}
