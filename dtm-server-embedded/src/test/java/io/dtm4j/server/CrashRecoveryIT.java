package io.dtm4j.server;

import io.dtm4j.server.DtmHttp.Query;
import io.dtm4j.server.DtmHttp.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real crashes: the server runs as a child JVM ({@code DtmMain} on the SQLite store in a temp directory), is
 * killed with {@code destroyForcibly()} (SIGKILL: no shutdown hook, no flush) after a request was
 * acknowledged, and restarted on the same data directory. The acknowledged transaction must complete
 * through the restarted server's own recovery. Every wait is bounded.
 */
@Timeout(240)
class CrashRecoveryIT {
    /** How long a restarted server may take to finish a recovered transaction (DTM: about RetryInterval). */
    private static final Duration RECOVERY_BOUND = Duration.ofSeconds(60);
    private static final Duration START_BOUND = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(200);

    @TempDir
    Path dir;

    private final List<Process> children = new ArrayList<>();
    private BusiService busi;
    private Path dataDir;
    private Path log;
    private String gid;

    @BeforeEach
    void setUp(TestInfo info) throws IOException {
        gid = info.getTestMethod().orElseThrow().getName();
        busi = BusiService.start();
        dataDir = Files.createDirectories(dir.resolve("dtm-data"));
        log = dir.resolve("server.log");
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        for (Process p : children) {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
        busi.close();
    }

    @Test
    void sagaAcknowledgedThenKilledCompletesAfterRestart() throws Exception {
        BusiService.Hold transIn = busi.holdNext("TransIn"); // the saga cannot finish before the kill
        Child first = startServer();
        Reply r = first.dtm.submit(saga().json());
        assertThat(r.status()).as("submit %s", r).isEqualTo(200);
        first.kill(); // right after the 200
        transIn.release();

        Child second = startServer();
        long restarted = System.nanoTime();
        Query q = awaitQuery(second, x -> x.status().equals("succeed"));
        report("saga killed right after the submit reply", restarted);

        assertThat(q.branchStatuses()).containsExactly("prepared", "succeed", "prepared", "succeed");
        assertThat(busi.count("TransOut")).isGreaterThanOrEqualTo(1);
        assertThat(busi.count("TransIn")).isGreaterThanOrEqualTo(1);
        assertThat(busi.count("TransOutRevert") + busi.count("TransInRevert")).as("compensations").isZero();
    }

    @Test
    void sagaKilledWhileBranchInFlightCompletesAfterRestart() throws Exception {
        BusiService.Hold transIn = busi.holdNext("TransIn");
        Child first = startServer();
        Reply r = first.dtm.submit(saga().json());
        assertThat(r.status()).as("submit %s", r).isEqualTo(200);
        assertThat(transIn.awaitArrived(Duration.ofSeconds(20))).as("TransIn called by the first server").isTrue();
        first.kill(); // TransIn is in flight: its answer is lost with the process
        transIn.release();

        Child second = startServer();
        long restarted = System.nanoTime();
        Query q = awaitQuery(second, x -> x.status().equals("succeed"));
        report("saga killed while TransIn was in flight", restarted);

        assertThat(q.branchStatuses()).containsExactly("prepared", "succeed", "prepared", "succeed");
        assertThat(busi.count("TransOut")).isGreaterThanOrEqualTo(1);
        assertThat(busi.count("TransIn")).as("TransIn re-issued after the restart").isGreaterThanOrEqualTo(2);
        assertThat(busi.count("TransOutRevert") + busi.count("TransInRevert")).as("compensations").isZero();
    }

    @Test
    void msgPreparedThenKilledIsBackCheckedAfterRestart() throws Exception {
        Child first = startServer();
        String req = GoTrans.transReq();
        GoTrans msg = GoTrans.msg(gid).add(busi.url() + "/TransOut", req).add(busi.url() + "/TransIn", req)
                .queryPrepared(busi.url() + "/QueryPrepared").timeoutToFail(10);
        Reply r = first.dtm.prepare(msg.json());
        assertThat(r.status()).as("prepare %s", r).isEqualTo(200);
        first.kill();
        assertThat(busi.requests()).as("nothing called before the kill").isEmpty();

        Child second = startServer();
        long restarted = System.nanoTime();
        Query q = awaitQuery(second, x -> x.status().equals("succeed"));
        report("msg killed right after the prepare reply", restarted);

        assertThat(q.branchStatuses()).containsExactly("succeed", "succeed");
        assertThat(busi.count("QueryPrepared")).isGreaterThanOrEqualTo(1);
        assertThat(busi.requests("QueryPrepared").get(0).query()).containsEntry("op", "msg")
                .containsEntry("branch_id", "00");
        assertThat(busi.count("TransOut")).isGreaterThanOrEqualTo(1);
        assertThat(busi.count("TransIn")).isGreaterThanOrEqualTo(1);
    }

    private GoTrans saga() {
        String req = GoTrans.transReq();
        return GoTrans.saga(gid)
                .add(busi.url() + "/TransOut", busi.url() + "/TransOutRevert", req)
                .add(busi.url() + "/TransIn", busi.url() + "/TransInRevert", req);
    }

    private void report(String what, long restartedNanos) {
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartedNanos);
        System.out.printf("CrashRecoveryIT %s: gid=%s final %d ms after the restart was ready%n", what, gid, ms);
    }

    /** Polls {@code query} on the child until {@code done} holds, at most {@link #RECOVERY_BOUND}. */
    private Query awaitQuery(Child child, Predicate<Query> done) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + RECOVERY_BOUND.toNanos();
        Query last = null;
        while (System.nanoTime() < deadline) {
            assertThat(child.process.isAlive()).as("restarted server alive; log:%n%s", logTail()).isTrue();
            last = child.dtm.query(gid);
            if (last.exists() && done.test(last)) {
                return last;
            }
            Thread.sleep(POLL.toMillis());
        }
        throw new AssertionError("gid=" + gid + " not done within " + RECOVERY_BOUND + "; last query: "
                + (last == null ? "none" : last.transaction() + " " + last.branchStatuses())
                + "; busi saw " + busi.endpoints() + "\nserver log:\n" + logTail());
    }

    private final class Child {
        final Process process;
        final DtmHttp dtm;

        Child(Process process, int port) {
            this.process = process;
            this.dtm = new DtmHttp(port);
        }

        void kill() throws InterruptedException {
            process.destroyForcibly();
            assertThat(process.waitFor(10, TimeUnit.SECONDS)).as("killed server exited").isTrue();
        }
    }

    private Child startServer() throws IOException, InterruptedException {
        int port = freePort();
        Path config = dir.resolve("config-" + port + ".yml");
        Files.writeString(config, String.join("\n",
                "HttpPort: " + port,
                "HTTPServer:",
                "  Address: 127.0.0.1",
                "Store:",
                "  Driver: sqlite",
                "  DataDir: " + dataDir.toAbsolutePath(),
                "RetryInterval: 10",
                "RequestTimeout: 3",
                ""));
        List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-Duser.timezone=UTC", "-Xmx256m", "-cp", classpath(),
                "io.dtm4j.server.DtmMain", "-p", Integer.toString(port), "-c", config.toString()));
        Files.writeString(log, "\n=== " + String.join(" ", cmd.subList(0, 3)) + " ... DtmMain -p " + port + "\n",
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        children.add(p);
        Child child = new Child(p, port);
        awaitReady(child);
        return child;
    }

    private void awaitReady(Child child) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + START_BOUND.toNanos();
        while (System.nanoTime() < deadline) {
            if (!child.process.isAlive()) {
                throw new AssertionError("server exited with " + child.process.exitValue() + " while starting; log:\n"
                        + logTail());
            }
            try {
                if (child.dtm.get("version").status() == 200) {
                    return;
                }
            } catch (UncheckedIOException e) {
                // not listening yet
            }
            Thread.sleep(POLL.toMillis());
        }
        throw new AssertionError("server not ready within " + START_BOUND + "; log:\n" + logTail());
    }

    private String logTail() throws IOException {
        if (!Files.exists(log)) {
            return "(no log)";
        }
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String javaBinary() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * The shaded {@code target/dtm.jar} (what operators run) when the build produced it and it is not older
     * than the compiled classes; otherwise the test JVM's own class path, which holds DtmMain and all its
     * dependencies.
     */
    private static String classpath() {
        try {
            Path classes = Paths.get(DtmMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path target = classes.getParent();
            Path jar = target == null ? null : target.resolve("dtm.jar");
            if (jar != null && Files.isRegularFile(jar)
                    && Files.getLastModifiedTime(jar).compareTo(Files.getLastModifiedTime(classes)) >= 0) {
                System.out.println("CrashRecoveryIT runs the shaded jar " + jar);
                return jar.toString();
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            // fall back to the class path
        }
        System.out.println("CrashRecoveryIT runs DtmMain from the test class path");
        return System.getProperty("java.class.path");
    }
}
