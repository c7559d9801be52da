package io.dtm4j.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One standalone server ({@code DtmMain}) in a child JVM for the fault tests: started with a YAML config in a
 * directory of the test, its output appended to a log file there, stopped with {@code destroyForcibly()}
 * (SIGKILL: no shutdown hook) or with {@link #terminate} (SIGTERM: a graceful stop). Children use IPv4 sockets
 * only, so that {@link SocketOwners} can tell from {@code /proc/net/tcp} which child made a branch call. Every
 * wait is bounded. Not thread-safe, except {@link #rawGet}, {@link #rawPost} and {@link #dtm}, which may be used
 * from any thread.
 */
final class DtmChild implements AutoCloseable {
    /** How long a child may take until {@code /api/ping} answers. */
    static final Duration START_BOUND = Duration.ofSeconds(40);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final int LOG_TAIL_LINES = 80;

    final String name;
    final int port;
    final Process process;
    final Path log;
    final DtmHttp dtm;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1).build();

    /** A raw reply with how long it took. */
    record Timed(int status, String body, long millis) {
        @Override
        public String toString() {
            return status + " in " + millis + " ms: " + (body.length() > 300 ? body.substring(0, 300) + "..." : body);
        }
    }

    private DtmChild(String name, int port, Process process, Path log) {
        this.name = name;
        this.port = port;
        this.process = process;
        this.log = log;
        this.dtm = new DtmHttp(port);
    }

    /**
     * Starts {@code DtmMain -p <free port> -c <dir>/<name>.yml} with {@code configLines} (the port is added) and
     * waits until {@code /api/ping} answers 200.
     */
    static DtmChild start(Path dir, String name, List<String> configLines) throws IOException, InterruptedException {
        return start(dir, name, configLines, freePort());
    }

    /**
     * Like {@link #start(Path, String, List)} on a given port, e.g. the port of a killed child, so that a restart
     * keeps the address its clients were given.
     */
    static DtmChild start(Path dir, String name, List<String> configLines, int port)
            throws IOException, InterruptedException {
        return start(dir, name, configLines, port, List.of());
    }

    /**
     * Like {@link #start(Path, String, List)} with {@code jvmArgs} (e.g. {@code -Ddtm4j.crashAt=after-intent})
     * on the child's command line before its main class.
     */
    static DtmChild start(Path dir, String name, List<String> configLines, List<String> jvmArgs)
            throws IOException, InterruptedException {
        return start(dir, name, configLines, freePort(), jvmArgs);
    }

    private static DtmChild start(Path dir, String name, List<String> configLines, int port, List<String> jvmArgs)
            throws IOException, InterruptedException {
        Path config = dir.resolve(name + ".yml");
        List<String> lines = new ArrayList<>(configLines);
        lines.add(0, "HttpPort: " + port);
        Files.writeString(config, String.join("\n", lines) + "\n");
        Path log = dir.resolve(name + ".log");
        List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-Duser.timezone=UTC", "-Xmx256m",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true"));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", classpath(), "io.dtm4j.server.DtmMain", "-p", Integer.toString(port), "-c",
                config.toString()));
        Files.writeString(log, "=== " + name + ": " + String.join(" ", jvmArgs) + (jvmArgs.isEmpty() ? "" : " ")
                + "DtmMain -p " + port + " -c " + config + "\n"
                + String.join("\n", lines) + "\n===\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        DtmChild child = new DtmChild(name, port, p, log);
        try {
            child.awaitPing();
        } catch (AssertionError | IOException | InterruptedException | RuntimeException e) {
            child.close();
            throw e;
        }
        return child;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGKILL, then waits (bounded) until the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError(name + " (pid " + pid() + ") still alive 10 s after SIGKILL");
        }
    }

    /**
     * SIGTERM ({@code destroy()}: the shutdown hook runs, a graceful stop), then waits up to {@code bound} for the
     * process to exit.
     *
     * @return the exit code; -1 when it is still running after {@code bound}
     */
    int terminate(Duration bound) throws InterruptedException {
        process.destroy();
        return process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /**
     * Threads of the child whose name starts with {@code namePrefix} and whose stack contains {@code frame}, from a
     * thread dump ({@code jcmd <pid> Thread.print}) written to a file in {@code dir}; each as its first 12 lines.
     * A dump that does not finish within 20 s is reported as one such thread.
     */
    List<String> threadsInside(Path dir, String namePrefix, String frame) throws IOException, InterruptedException {
        return threadsInside(dir, namePrefix, frame, 12);
    }

    /** {@link #threadsInside(Path, String, String)} with the first {@code lines} lines of each stack. */
    List<String> threadsInside(Path dir, String namePrefix, String frame, int lines)
            throws IOException, InterruptedException {
        Path jcmd = Paths.get(System.getProperty("java.home"), "bin", "jcmd");
        Path out = dir.resolve(name + "-threads-" + System.nanoTime() + ".txt");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid()), "Thread.print")
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return List.of("(thread dump timed out)");
        }
        List<String> found = new ArrayList<>();
        for (String block : Files.readString(out, StandardCharsets.UTF_8).split("\\R\\R")) {
            if (block.startsWith("\"" + namePrefix) && block.contains(frame)) {
                found.add(String.join("\n", block.lines().limit(lines).toList()));
            }
        }
        return found;
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** {@code GET http://127.0.0.1:<port><path>} with a bound of {@code timeout}; a timeout is status -1. */
    Timed rawGet(String path, Duration timeout) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET(), timeout);
    }

    /** {@code POST} of a JSON body with a bound of {@code timeout}; a timeout is status -1. */
    Timed rawPost(String path, String json, Duration timeout) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)), timeout);
    }

    private Timed send(HttpRequest.Builder b, Duration timeout) {
        long t0 = System.nanoTime();
        try {
            HttpResponse<String> r = client.send(b.timeout(timeout).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Timed(r.statusCode(), r.body(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        } catch (HttpTimeoutException e) {
            return new Timed(-1, "no answer within " + timeout.toMillis() + " ms",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        } catch (IOException e) {
            throw new UncheckedIOException(name + ": call failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private void awaitPing() throws InterruptedException, IOException {
        long deadline = System.nanoTime() + START_BOUND.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited with " + process.exitValue() + " while starting; log:\n"
                        + logTail());
            }
            try {
                if (rawGet("/api/ping", Duration.ofSeconds(2)).status() == 200) {
                    return;
                }
            } catch (UncheckedIOException e) {
                // not listening yet
            }
            Thread.sleep(POLL.toMillis());
        }
        throw new AssertionError(name + " did not answer /api/ping within " + START_BOUND + "; log:\n" + logTail());
    }

    /** The last lines of the child's log. */
    String logTail() {
        try {
            if (!Files.exists(log)) {
                return "(no log)";
            }
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** Lines of the child's log that contain {@code text}. */
    List<String> logLines(String text) {
        try {
            return Files.readAllLines(log, StandardCharsets.UTF_8).stream().filter(l -> l.contains(text)).toList();
        } catch (IOException e) {
            return List.of("(cannot read " + log + ": " + e + ")");
        }
    }

    static int freePort() throws IOException {
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
    static String classpath() {
        try {
            Path classes = Paths.get(DtmMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path target = classes.getParent();
            Path jar = target == null ? null : target.resolve("dtm.jar");
            if (jar != null && Files.isRegularFile(jar)
                    && Files.getLastModifiedTime(jar).compareTo(Files.getLastModifiedTime(classes)) >= 0) {
                return jar.toString();
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            // fall back to the class path
        }
        return System.getProperty("java.class.path");
    }
}
