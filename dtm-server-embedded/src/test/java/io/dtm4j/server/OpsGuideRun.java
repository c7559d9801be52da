package io.dtm4j.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Runs the guide's blocks in order in a sandbox: {@code sh} blocks with bash, {@code yaml} blocks through
 * {@code dtm check}; keeps the {@code sh-systemd} and {@code yaml prometheus} blocks for the caller. Around the
 * {@code <!-- store: <driver> backup|restore -->} blocks it drills the backup: a transaction written before the
 * backup, every transaction deleted after it with {@code dtm -r --yes}, the transaction found again after the
 * restore. Before the {@code metrics} block it submits a saga whose branch cannot be reached. Not thread-safe.
 */
final class OpsGuideRun {
    /** Time bound of one block. */
    static final Duration BLOCK_BOUND = Duration.ofSeconds(90);
    /** The saga the guide's log and metrics sections look for. */
    static final String SAGA_GID = "order-4711";
    private static final Pattern BASH_LIKE = Pattern.compile("bash|shell|console|shell-session|zsh");

    private final OpsGuide guide;
    private final OpsSandbox box;
    private final String payloadMark;
    /** The sh-systemd blocks, not run. */
    final List<OpsGuide.Block> systemd = new ArrayList<>();
    /** The yaml prometheus blocks. */
    final List<OpsGuide.Block> prometheus = new ArrayList<>();
    /** What ran, how long it took. */
    final List<String> timings = new ArrayList<>();
    /** "sqlite backup", "sqlite restore", ...: the drill steps done. */
    final Set<String> drilled = new TreeSet<>();
    /** The output of the metrics block. */
    String scrape = "";
    int shBlocksRun;
    private OpsSandbox.Server drillServer;
    private String savedConfig;

    OpsGuideRun(OpsGuide guide, OpsSandbox box, String payloadMark) {
        this.guide = guide;
        this.box = box;
        this.payloadMark = payloadMark;
    }

    void runAll() throws Exception {
        for (OpsGuide.Block b : guide.blocks()) {
            if (BASH_LIKE.matcher(b.lang()).matches()) {
                throw new AssertionError(b + ": tag shell commands sh (run by this test) or sh-systemd, not "
                        + b.lang());
            }
            switch (b.lang()) {
                case "sh" -> sh(b);
                case "sh-systemd" -> systemd.add(b);
                case "yaml" -> {
                    if (b.info().equals("prometheus")) {
                        prometheus.add(b);
                    } else {
                        checkConfig(b);
                    }
                }
                default -> { } // text, sql, java, ini: shown, not run
            }
        }
    }

    private void sh(OpsGuide.Block b) throws Exception {
        OpsExpect expect = OpsExpect.of(b);
        Optional<String> drill = b.comment("store");
        String name = "block-" + b.line();
        String script = box.substitute(b.text());
        long t0 = System.nanoTime();
        if (drill.isPresent()) {
            beforeDrill(drill.get());
        }
        if (expect.metrics()) {
            submitFailingSaga();
        }
        OpsSandbox.Result r = expect.serves() ? serve(b, name, script) : box.script(name, script, BLOCK_BOUND);
        String wrong = expect.mismatch(r);
        if (wrong != null) {
            throw new AssertionError(b + " (" + b.section() + "): " + wrong + "\n--- script:\n" + script
                    + r.describe());
        }
        if (expect.metrics()) {
            scrape = r.stdout();
        }
        if (drill.isPresent()) {
            afterDrill(drill.get());
        }
        shBlocksRun++;
        timings.add(String.format("%5d ms  %s%s", (System.nanoTime() - t0) / 1_000_000, b,
                expect.serves() ? " (serves)" : drill.map(d -> " (drill: " + d + ")").orElse("")));
    }

    /** A server in the foreground: waits for /api/ping, sends SIGINT (Ctrl-C) to the JVM, returns the result. */
    private OpsSandbox.Result serve(OpsGuide.Block b, String name, String script) throws Exception {
        long t0 = System.nanoTime();
        Process p = box.scriptInBackground(name, script);
        long deadline = t0 + OpsSandbox.START_BOUND.toNanos();
        while (box.get("/api/ping").status() != 200) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                OpsSandbox.Result r = box.await(name, p, Duration.ofSeconds(5), t0);
                throw new AssertionError(b + ": the server did not answer /api/ping; " + r.describe());
            }
            Thread.sleep(100);
        }
        List<ProcessHandle> jvms = new ArrayList<>(p.descendants().filter(OpsGuideRun::isJava).toList());
        if (isJava(p.toHandle())) {
            jvms.add(p.toHandle());
        }
        if (jvms.size() != 1) {
            throw new AssertionError(b + ": expected one JVM under the block, found " + jvms.size());
        }
        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(jvms.get(0).pid())).start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError(b + ": kill -INT " + jvms.get(0).pid() + " failed");
        }
        return box.await(name, p, OpsSandbox.STOP_BOUND, t0);
    }

    private static boolean isJava(ProcessHandle h) {
        return h.info().command().map(c -> c.endsWith("/java")).orElse(false);
    }

    /** A yaml example is a configuration: dtm check must accept it (exit 0 unless the comment says otherwise). */
    private void checkConfig(OpsGuide.Block b) throws Exception {
        Path file = box.work.resolve("example-" + b.line() + ".yml");
        Files.writeString(file, box.substitute(b.text()));
        String name = "yaml-" + b.line();
        OpsSandbox.Result r = box.exec(name, List.of(box.bin.resolve("dtm").toString(), "-c", file.toString(),
                "check"), box.work, java.util.Map.of(), "", BLOCK_BOUND);
        String wrong = OpsExpect.of(b).mismatch(r);
        if (wrong != null) {
            throw new AssertionError(b + " (dtm -c <it> check): " + wrong + "\n" + r.describe());
        }
        timings.add(String.format("%5d ms  %s (dtm check)", r.millis(), b));
    }

    private Path config() {
        return box.path("/etc/dtm/config.yml");
    }

    private void beforeDrill(String step) throws Exception {
        String[] s = step.split("\\s+");
        String driver = s[0];
        if (!s[1].equals("backup")) {
            return; // a restore runs with dtm stopped, as the guide says
        }
        if (!driver.equals("sqlite")) {
            savedConfig = Files.readString(config());
            Files.writeString(config(), exampleConfig(driver));
        }
        // the redis server logs at debug: the secrets must stay out of its log even then
        drillServer = box.server("drill-" + driver + "-backup", config(),
                driver.equals("redis") ? List.of("-d") : List.of());
        String gid = drillGid(driver);
        OpsSandbox.Reply put = drillServer.post("/api/dtmsvr/prepare", preparedMsg(gid));
        require(put.status() == 200 && put.body().contains("SUCCESS"), step + ": prepare " + gid + ": " + put);
        OpsSandbox.Reply found = drillServer.get("/api/dtmsvr/query?gid=" + gid);
        require(found.status() == 200 && found.body().contains(gid), step + ": query " + gid + ": " + found);
    }

    private void afterDrill(String step) throws Exception {
        String[] s = step.split("\\s+");
        String driver = s[0];
        String gid = drillGid(driver);
        if (s[1].equals("backup")) {
            drillServer.stop();
            OpsSandbox.Server reset = box.server("drill-" + driver + "-reset", config(), List.of("-r", "--yes"));
            OpsSandbox.Reply gone = reset.get("/api/dtmsvr/query?gid=" + gid);
            reset.stop();
            // DTM's answer for a gid it does not know: 200 with a null transaction
            require(gone.status() == 200 && gone.body().contains("\"transaction\":null"),
                    step + ": after dtm -r --yes, query " + gid + " answered " + gone);
            require(reset.log().contains("-r: deleted"), step + ": dtm -r logged no deletion: " + reset.log());
        } else {
            OpsSandbox.Server restored = box.server("drill-" + driver + "-restored", config(), List.of());
            OpsSandbox.Reply back = restored.get("/api/dtmsvr/query?gid=" + gid);
            restored.stop();
            require(back.status() == 200 && back.body().contains("\"gid\":\"" + gid + "\""),
                    step + ": after the restore, query " + gid + " answered " + back);
            if (!driver.equals("sqlite")) {
                Files.writeString(config(), savedConfig);
            }
        }
        drilled.add(step);
    }

    /** The guide's first yaml example of the driver, on 127.0.0.1 only. */
    private String exampleConfig(String driver) {
        Pattern d = Pattern.compile("(?m)^\\s*Driver:\\s*" + Pattern.quote(driver) + "\\s*$");
        String yaml = guide.blocks().stream().filter(b -> b.lang().equals("yaml") && b.info().isEmpty())
                .map(OpsGuide.Block::text).filter(t -> d.matcher(t).find()).findFirst()
                .orElseThrow(() -> new AssertionError("the guide has no yaml example with Driver: " + driver));
        return box.substitute(yaml) + (yaml.contains("HTTPServer:") ? "" : "HTTPServer:\n  Address: 127.0.0.1\n");
    }

    private static String drillGid(String driver) {
        return "ops-guide-" + driver;
    }

    /** A prepared msg stays as it is for TimeoutToFail (35 s): nothing is called meanwhile. */
    private String preparedMsg(String gid) throws IOException {
        String nowhere = "http://127.0.0.1:" + closedPort();
        return "{\"gid\":\"" + gid + "\",\"trans_type\":\"msg\",\"query_prepared\":\"" + nowhere + "/query\","
                + "\"steps\":[{\"action\":\"" + nowhere + "/api/busi/TransIn\"}],"
                + "\"payloads\":[\"{\\\"amount\\\":30,\\\"note\\\":\\\"" + payloadMark + "\\\"}\"]}";
    }

    /** The guide's saga: its branch cannot be reached, so branch calls fail and are retried. */
    private void submitFailingSaga() throws Exception {
        String nowhere = "http://127.0.0.1:" + closedPort() + "/api/busi/";
        String saga = "{\"gid\":\"" + SAGA_GID + "\",\"trans_type\":\"saga\",\"steps\":[{\"action\":\"" + nowhere
                + "TransOut\",\"compensate\":\"" + nowhere + "TransOutRevert\"}],"
                + "\"payloads\":[\"{\\\"amount\\\":30,\\\"note\\\":\\\"" + payloadMark + "\\\"}\"]}";
        OpsSandbox.Reply r = box.post(box.port, "/api/dtmsvr/submit", saga);
        require(r.status() == 200, "submit of " + SAGA_GID + ": " + r);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            String m = box.get("/api/metrics").body();
            if (m.lines().anyMatch(l -> l.startsWith("dtm_branch_process_total{") && l.contains("status=\"fail\""))) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no failed branch call of " + SAGA_GID + " in /api/metrics within 20 s");
    }

    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }
}
