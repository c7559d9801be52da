package io.dtm4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.dtm4j.core.testing.ItEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/operations.md}, executed: every {@code sh} block runs in a sandbox standing in for a host (see
 * {@link OpsSandbox} and the guide's last section for the substitutions), against the release tarball the package
 * phase built, the PostgreSQL and MariaDB of {@code scripts/services-up.sh} and a Redis of its own; the
 * backup/restore sections are drilled with a transaction written before the backup, deleted, and found after the
 * restore; every troubleshooting row is produced and matched against what the server prints. A missing store or
 * tool skips the test, or fails it with {@code -Ddtm.it.required=true}.
 */
class OperationsGuideIT {
    private static final Set<String> TOOLS = Set.of("bash", "curl", "tar", "timeout", "tail", "xargs", "pg_dump",
            "pg_restore", "psql", "createdb", "mysqldump", "mysql", "redis-cli", "redis-server");
    private static final int MAX_SYSTEMD_BLOCKS = 3;
    private static final Pattern METRIC = Pattern.compile("\\b(?:dtm4j|dtm)_[a-z0-9_]*[a-z0-9]\\b");
    private static final Pattern SELECTOR = Pattern.compile("\\b([a-z_][a-z0-9_]*)\\{([^}]*)}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final OpsGuide guide = OpsGuide.read(OpsGuide.locate());

    OperationsGuideIT() throws IOException {
    }

    @Test
    void everyCommandOfTheGuideRuns() throws Exception {
        requireTools();
        OpsTroubles.Sql pg = sql(ItEnvironment.postgresUrl());
        OpsTroubles.Sql mariadb = sql(ItEnvironment.mariadbUrl());
        ItEnvironment.redisHost(); // the guide's Redis is the test's own, but the environment must have Redis
        String db = "ops_guide_" + letters(10);
        String redisSecret = "ops-secret-" + letters(16);
        String payloadMark = "ops-payload-" + letters(16);
        Path root = Files.createTempDirectory("dtm-ops-");
        boolean passed = false;
        long t0 = System.nanoTime();
        try (OpsSandbox box = OpsSandbox.create(root, OpsGuideRun.closedPort())) {
            int redisPort = OpsGuideRun.closedPort();
            box.replace("dtm-\\d+\\.\\d+\\.\\d+\\.tar\\.gz", PackagingIT.findTarball().toString());
            box.replace("\\bpg\\.example\\.internal\\b", pg.host());
            box.replace("\\b5432\\b", Integer.toString(pg.port()));
            box.replace("\\bmysql\\.example\\.internal\\b", mariadb.host());
            box.replace("\\b3306\\b", Integer.toString(mariadb.port()));
            box.replace("\\bredis\\.example\\.internal\\b", "127.0.0.1");
            box.replace("\\b6379\\b", Integer.toString(redisPort));
            box.replace("\\b6380\\b", Integer.toString(OpsGuideRun.closedPort()));
            box.replace("\\b[a-z0-9-]+\\.example\\.internal\\b", "127.0.0.1");
            box.replace("\\bdtm_prod\\b", db);
            box.replace("(?<=-U |-u |User: )dtm\\b", pg.user());
            box.replace("\\bchange-me\\b", pg.password());
            box.setenv("DB_PASSWORD", pg.password());
            box.setenv("REDIS_PASSWORD", redisSecret);
            Process redis = startRedis(box, redisPort, redisSecret);

            OpsGuideRun run = new OpsGuideRun(guide, box, payloadMark);
            try {
                run.runAll();
            } finally {
                System.out.println("OperationsGuideIT blocks:\n" + String.join("\n", run.timings));
            }
            assertThat(run.drilled).as("store drills").containsExactlyInAnyOrder("sqlite backup", "sqlite restore",
                    "postgres backup", "postgres restore", "mysql backup", "mysql restore", "redis backup",
                    "redis restore");
            assertMetricsNamedExist(run);
            assertSystemdBlocksInstallTheShippedUnit(run.systemd, box);
            assertNoSecretsInLogs(root, redisSecret, payloadMark);
            List<Long> left = new ArrayList<>(box.marked());
            left.remove(redis.pid());
            assertThat(left).as("processes the guide's blocks left running").isEmpty();
            System.out.printf("OperationsGuideIT: %d sh blocks run, %d sh-systemd blocks not run, %d s%n",
                    run.shBlocksRun, run.systemd.size(), (System.nanoTime() - t0) / 1_000_000_000);
            passed = true;
        } finally {
            dropDatabase(pg, "postgres", db);
            dropDatabase(mariadb, "mariadb", db);
            if (passed && !Boolean.getBoolean("dtm.ops.keep")) {
                deleteTree(root);
            } else {
                System.err.println("OperationsGuideIT: sandbox kept (-Ddtm.ops.keep=true, or a failure): " + root);
            }
        }
    }

    @Test
    void troubleshootingRowsAreTheLinesTheServerPrints() throws Exception {
        requireTools();
        OpsTroubles.Sql pg = sql(ItEnvironment.postgresUrl());
        OpsTroubles.Sql mariadb = sql(ItEnvironment.mariadbUrl());
        List<OpsGuide.Row> rows = guide.rows();
        assertThat(rows).as("rows of %s", OpsGuide.TROUBLESHOOTING).hasSizeGreaterThan(10);
        Path root = Files.createTempDirectory("dtm-ops-troubles-");
        List<OpsTroubles.Line> lines = new ArrayList<>();
        try (OpsSandbox box = OpsSandbox.create(root, OpsGuideRun.closedPort())) {
            install(box);
            ExecutorService pool = Executors.newFixedThreadPool(6);
            try {
                List<Future<List<OpsTroubles.Line>>> done = new ArrayList<>();
                for (Callable<List<OpsTroubles.Line>> s : new OpsTroubles(box, pg, mariadb).scenarios().values()) {
                    done.add(pool.submit(s));
                }
                for (Future<List<OpsTroubles.Line>> f : done) {
                    lines.addAll(f.get(3, TimeUnit.MINUTES));
                }
            } finally {
                pool.shutdownNow();
            }
        }
        List<String> problems = new ArrayList<>();
        Set<OpsGuide.Row> matched = new java.util.HashSet<>();
        for (OpsTroubles.Line l : lines) {
            List<OpsGuide.Row> picked = rows.stream().filter(r -> r.printed().contains(l.hint())).toList();
            if (picked.size() != 1) {
                problems.add(l.scenario() + ": hint \"" + l.hint() + "\" picks " + picked.size() + " rows");
            } else if (!picked.get(0).pattern().matcher(l.line().strip()).matches()) {
                problems.add(l.scenario() + ": the server printed\n    " + l.line().strip()
                        + "\n  but the row says\n    " + picked.get(0));
            } else {
                matched.add(picked.get(0));
            }
        }
        rows.stream().filter(r -> !matched.contains(r)).forEach(r -> problems.add("no scenario produces " + r));
        assertThat(problems).as("troubleshooting table vs. the server's output").isEmpty();
        deleteTree(root);
    }

    @Test
    void systemdBlocksAreFewAndSayTheyAreNotTested() throws IOException {
        List<OpsGuide.Block> systemd = guide.blocks().stream().filter(b -> b.lang().equals("sh-systemd")).toList();
        assertThat(systemd).hasSizeBetween(1, MAX_SYSTEMD_BLOCKS);
        assertThat(oneLine(guide.text())).contains("Not exercised by the test suite: needs systemd");
        String unit = Files.readString(shippedUnit());
        for (String line : List.of("ExecStart=/opt/dtm/bin/dtm -c /etc/dtm/config.yml",
                "EnvironmentFile=-/etc/dtm/dtm.env", "WorkingDirectory=/var/lib/dtm", "User=dtm")) {
            assertThat(unit).as("the shipped dtm.service").contains(line);
        }
        assertThat(oneLine(guide.section("## 3."))).as("what the guide says of the unit").contains(
                "ExecStart=/opt/dtm/bin/dtm -c /etc/dtm/config.yml", "EnvironmentFile=-/etc/dtm/dtm.env",
                "working directory `/var/lib/dtm`", "user `dtm`");
        assertThat(systemd.get(0).text()).contains("cp /opt/dtm/dtm.service /etc/systemd/system/dtm.service");
    }

    /** The guide's metric names, in section 4 and in its Prometheus rules, are in a real scrape. */
    private void assertMetricsNamedExist(OpsGuideRun run) throws IOException {
        String scrape = run.scrape;
        assertThat(scrape).as("the metrics block's output").contains("# TYPE ");
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC.matcher(guide.section("## 4."));
        while (m.find()) {
            names.add(m.group());
        }
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        List<String> exprs = new ArrayList<>();
        for (OpsGuide.Block b : run.prometheus) {
            JsonNode doc = yaml.readTree(b.text());
            doc.path("scrape_configs").forEach(sc -> {
                assertThat(sc.path("metrics_path").asText()).as(b + " metrics_path").isEqualTo("/api/metrics");
                sc.path("static_configs").forEach(c -> c.path("targets").forEach(
                        t -> assertThat(t.asText()).as(b + " target").endsWith(":36789")));
            });
            doc.path("groups").forEach(g -> g.path("rules").forEach(r -> exprs.add(r.path("expr").asText())));
        }
        assertThat(exprs).as("alert expressions").isNotEmpty();
        for (String e : exprs) {
            Matcher n = METRIC.matcher(e);
            while (n.find()) {
                names.add(n.group());
            }
        }
        assertThat(names).contains("dtm_branch_process_total", "dtm_server_process_total");
        List<String> lines = scrape.lines().toList();
        for (String name : names) {
            assertThat(lines).as("metric %s in the scrape", name).anyMatch(l -> l.startsWith("# TYPE " + name + " ")
                    || l.startsWith(name + "{") || l.startsWith(name + " "));
        }
        assertThat(lines).anyMatch(l -> l.startsWith("jvm_")).anyMatch(l -> l.startsWith("process_"));
        for (String e : exprs) {
            Matcher s = SELECTOR.matcher(e);
            while (s.find()) {
                String metric = s.group(1);
                for (String label : s.group(2).split(",")) {
                    String want = label.strip();
                    assertThat(lines).as("a sample %s{%s} for the rule %s", metric, want, e)
                            .anyMatch(l -> l.startsWith(metric + "{") && l.contains(want));
                }
            }
        }
    }

    /** The unit the guide copies is the one install.sh put in /opt/dtm, i.e. the shipped one. */
    private static void assertSystemdBlocksInstallTheShippedUnit(List<OpsGuide.Block> systemd, OpsSandbox box)
            throws IOException {
        assertThat(systemd).hasSizeBetween(1, MAX_SYSTEMD_BLOCKS);
        Path installed = box.path("/opt/dtm/dtm.service");
        assertThat(installed).as("the unit the guide's systemd block copies").exists();
        assertThat(Files.readString(installed)).isEqualTo(Files.readString(shippedUnit()));
    }

    private static void assertNoSecretsInLogs(Path root, String secret, String payload) throws IOException {
        List<String> leaks = new ArrayList<>();
        List<Path> outputs;
        try (Stream<Path> files = Files.walk(root)) {
            outputs = files.filter(Files::isRegularFile).filter(OperationsGuideIT::isOutput).toList();
        }
        for (Path f : outputs) {
            String text = Files.readString(f, StandardCharsets.ISO_8859_1);
            if (text.contains(secret) || text.contains(payload)) {
                leaks.add(root.relativize(f).toString());
            }
        }
        assertThat(outputs).as("logs and outputs scanned").hasSizeGreaterThan(20);
        assertThat(leaks).as("logs and outputs holding the Redis password or a payload").isEmpty();
    }

    private static boolean isOutput(Path f) {
        String n = f.getFileName().toString();
        return n.endsWith(".log") || n.endsWith(".out") || n.endsWith(".err") || n.matches(".*\\.log\\.\\d+");
    }

    private static Process startRedis(OpsSandbox box, int port, String secret) throws Exception {
        Path dir = Files.createDirectories(box.root.resolve("redis"));
        Process p = box.scriptInBackground("redis-server", "exec redis-server --port " + port
                + " --bind 127.0.0.1 --requirepass '" + secret + "' --appendonly yes --appendfsync everysec --save ''"
                + " --dir '" + dir + "' --logfile '" + dir.resolve("redis.log") + "'");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError("redis-server exited: " + OpsSandbox.read(dir.resolve("redis.log")));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                s.setSoTimeout(2000);
                OutputStream out = s.getOutputStream();
                out.write(("AUTH " + secret + "\r\nPING\r\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                InputStream in = s.getInputStream();
                byte[] buf = new byte[64];
                StringBuilder got = new StringBuilder();
                for (int n; !got.toString().contains("PONG") && (n = in.read(buf)) > 0; ) {
                    got.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
                if (got.toString().contains("PONG")) {
                    return p;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("redis-server on " + port + " did not answer within 20 s");
    }

    /** install.sh of the tarball into the sandbox, as the guide's section 1 does. */
    private static void install(OpsSandbox box) throws Exception {
        String script = "mkdir -p rel && tar xzf '" + PackagingIT.findTarball() + "' -C rel\n./rel/install.sh --prefix '"
                + box.path("/opt/dtm") + "' --bin-dir '" + box.bin + "'\n";
        OpsSandbox.Result r = box.script("install", script, OpsGuideRun.BLOCK_BOUND);
        assertThat(r.exit()).as("install: %s", r.describe()).isZero();
    }


    private static Path shippedUnit() {
        return Paths.get("src/assembly/dtm/dtm.service").toAbsolutePath();
    }

    private static void requireTools() throws Exception {
        List<String> missing = new ArrayList<>();
        for (String t : TOOLS) {
            Process p = new ProcessBuilder("bash", "-c", "command -v " + t).redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                missing.add(t);
            }
        }
        String msg = "commands the operator's guide runs are missing: " + missing + " (scripts/services-up.sh "
                + "installs the servers and their clients: postgresql, mariadb-server, redis-server)";
        if (!missing.isEmpty() && ItEnvironment.required()) {
            throw new IllegalStateException(msg);
        }
        Assumptions.assumeTrue(missing.isEmpty(), msg);
    }

    private static OpsTroubles.Sql sql(String jdbcUrl) {
        URI u = URI.create(jdbcUrl.substring("jdbc:".length()));
        return new OpsTroubles.Sql(u.getHost(), u.getPort(), ItEnvironment.dbUser(), ItEnvironment.dbPassword());
    }

    private static void dropDatabase(OpsTroubles.Sql at, String kind, String db) {
        String url = kind.equals("postgres") ? "jdbc:postgresql://" + at.host() + ":" + at.port() + "/postgres"
                : "jdbc:mariadb://" + at.host() + ":" + at.port() + "/?sslMode=disable";
        String sql = kind.equals("postgres") ? "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)"
                : "DROP DATABASE IF EXISTS " + db;
        try (Connection c = DriverManager.getConnection(url, at.user(), at.password());
             Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (Exception e) {
            System.err.println("OperationsGuideIT: could not drop " + kind + " database " + db + ": " + e);
        }
    }

    private static String oneLine(String text) {
        return text.replaceAll("\\s+", " ");
    }

    private static String letters(int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.append((char) ('a' + RANDOM.nextInt(26)));
        }
        return s.toString();
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
