package io.dtm4j.server;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A temporary directory standing in for a host: {@code opt}, {@code bin}, {@code etc/dtm}, {@code var/lib/dtm},
 * {@code var/log/dtm}, {@code backup} and a working directory; a table of substitutions from the guide's paths,
 * hosts and ports to these; and an environment without DTM's variables, with the {@code bin} directory first in
 * {@code PATH}. Every process it starts carries {@link #MARKER} in its environment, so {@link #close()} finds and
 * kills them all, also those a script left running in the background (by pid, after reading
 * {@code /proc/<pid>/environ}). Every wait is bounded. Thread-safe.
 */
final class OpsSandbox implements AutoCloseable {
    /** The environment variable that marks the processes of a sandbox; its value is the sandbox's directory. */
    static final String MARKER = "DTM_OPS_SANDBOX";
    /** How long a server may take until it is ready. */
    static final Duration START_BOUND = Duration.ofSeconds(40);
    /** How long a server may take to stop after SIGTERM (its grace is 5 s). */
    static final Duration STOP_BOUND = Duration.ofSeconds(20);

    /** What a command did. */
    record Result(int exit, String stdout, String stderr, long millis) {
        /** The last stderr line that starts with {@code prefix}, or empty. */
        Optional<String> lastErrLine(String prefix) {
            List<String> lines = stderr.lines().filter(l -> l.startsWith(prefix)).toList();
            return lines.isEmpty() ? Optional.empty() : Optional.of(lines.get(lines.size() - 1));
        }

        String describe() {
            return "exit " + exit + " after " + millis + " ms\n--- stdout:\n" + stdout + "--- stderr:\n" + stderr;
        }
    }

    /** An HTTP reply. */
    record Reply(int status, String body) {
    }

    final Path root;
    final Path work;
    final Path bin;
    final Path outputs;
    /** The port that replaces 36789. */
    final int port;
    private final Map<String, String> env = new HashMap<>();
    private final List<Map.Entry<Pattern, String>> substitutions = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();
    private final AtomicInteger serial = new AtomicInteger();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1).build();

    private OpsSandbox(Path root, int port) throws IOException {
        this.root = root;
        this.port = port;
        this.work = Files.createDirectories(root.resolve("work"));
        this.bin = Files.createDirectories(root.resolve("bin"));
        this.outputs = Files.createDirectories(root.resolve("outputs"));
        for (String d : List.of("opt", "etc", "var/lib", "var/log", "backup", "home", "tmp")) {
            Files.createDirectories(root.resolve(d));
        }
        env.putAll(System.getenv());
        ConfigKeys.KEYS.forEach(k -> env.remove(k.env()));
        for (String v : List.of("PGPASSWORD", "PGPASSFILE", "MYSQL_PWD", "REDISCLI_AUTH", "DB_PASSWORD",
                "REDIS_PASSWORD", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS")) {
            env.remove(v);
        }
        env.put("PATH", bin + File.pathSeparator + System.getenv("PATH"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        // short-lived JVMs: start fast (documented in the guide's substitution table)
        env.put("JAVA_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx256m -Duser.timezone=UTC");
        env.put("HOME", root.resolve("home").toString());
        env.put("TMPDIR", root.resolve("tmp").toString());
        env.put(MARKER, root.toString());
        replace("\\bsudo\\s+", "");
        for (String p : List.of("/opt/dtm", "/usr/local/bin", "/etc/dtm", "/var/lib/dtm", "/var/log/dtm")) {
            Path local = p.equals("/usr/local/bin") ? bin : root.resolve(p.substring(1).replace("usr/local/", ""));
            replace("(?<![\\w./-])" + Pattern.quote(p) + "(?![\\w.-])", local.toString());
        }
        replace("(?<![\\w./-])/backup(?![\\w.-])", root.resolve("backup").toString());
        replace("\\b36789\\b", Integer.toString(port));
        replace("\\b0\\.0\\.0\\.0\\b", "127.0.0.1");
    }

    /** A sandbox in {@code root} (created), whose server port is {@code port}. */
    static OpsSandbox create(Path root, int port) throws IOException {
        return new OpsSandbox(Files.createDirectories(root), port);
    }

    /** Adds a substitution, applied after the ones added before it. */
    void replace(String regex, String replacement) {
        synchronized (substitutions) {
            substitutions.add(Map.entry(Pattern.compile(regex), replacement));
        }
    }

    /** Sets a variable of every command's environment. */
    void setenv(String name, String value) {
        synchronized (env) {
            env.put(name, value);
        }
    }

    /** The guide's text with the sandbox's paths, hosts, ports and names. */
    String substitute(String text) {
        String s = text;
        synchronized (substitutions) {
            for (Map.Entry<Pattern, String> e : substitutions) {
                s = e.getKey().matcher(s).replaceAll(Matcher.quoteReplacement(e.getValue()));
            }
        }
        return s;
    }

    /** A path of the guide ({@code /etc/dtm/config.yml}) in the sandbox. */
    Path path(String guidePath) {
        return Path.of(substitute(guidePath));
    }

    /** Runs a script (already substituted) with {@code bash -e -o pipefail} in the working directory. */
    Result script(String name, String script, Duration bound) throws IOException, InterruptedException {
        Path file = outputs.resolve(name + ".sh");
        Files.writeString(file, "set -e -o pipefail\n" + script);
        return exec(name, List.of("bash", file.toString()), work, Map.of(), "", bound);
    }

    /** Starts a script in the background; the caller waits for it (see {@link #await}). */
    Process scriptInBackground(String name, String script) throws IOException {
        Path file = outputs.resolve(name + ".sh");
        Files.writeString(file, "set -e -o pipefail\n" + script);
        return start(name, List.of("bash", file.toString()), work, Map.of(), null);
    }

    /**
     * Runs a command and waits for it; kills it (and what it started) when it outlives {@code bound}.
     *
     * @param stdin what the command reads; empty = end of input at once
     */
    Result exec(String name, List<String> command, Path dir, Map<String, String> extraEnv, String stdin,
                Duration bound) throws IOException, InterruptedException {
        Path in = outputs.resolve(name + "-" + serial.incrementAndGet() + ".in");
        Files.writeString(in, stdin);
        long t0 = System.nanoTime();
        Process p = start(name, command, dir, extraEnv, in);
        return await(name, p, bound, t0);
    }

    /** Waits for a process of {@link #start}/{@link #scriptInBackground}; kills it after {@code bound}. */
    Result await(String name, Process p, Duration bound, long startedNanos) throws IOException, InterruptedException {
        boolean done = p.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        Result r = new Result(done ? p.exitValue() : -1, read(outputs.resolve(name + ".out")),
                read(outputs.resolve(name + ".err")), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos));
        if (!done) {
            throw new AssertionError(name + " did not finish within " + bound + "; " + r.describe());
        }
        return r;
    }

    private Process start(String name, List<String> command, Path dir, Map<String, String> extraEnv, Path stdin)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(outputs.resolve(name + ".out").toFile())
                .redirectError(outputs.resolve(name + ".err").toFile())
                .redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new File("/dev/null"))
                        : ProcessBuilder.Redirect.from(stdin.toFile()));
        synchronized (env) {
            pb.environment().clear();
            pb.environment().putAll(env);
        }
        pb.environment().putAll(extraEnv);
        Process p = pb.start();
        synchronized (processes) {
            processes.add(p);
        }
        return p;
    }

    /**
     * Starts {@code <bin>/dtm -c config -p port extra...} in the background on the sandbox's port, its output in
     * {@code name.out} and {@code name.err}, and waits until {@code /api/ready} answers 200.
     */
    Server server(String name, Path config, List<String> extra) throws IOException, InterruptedException {
        return server(name, config, extra, port);
    }

    /** {@link #server(String, Path, List)} on another port. */
    Server server(String name, Path config, List<String> extra, int serverPort)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(bin.resolve("dtm").toString(), "-c", config.toString(), "-p",
                Integer.toString(serverPort)));
        cmd.addAll(extra);
        Process p = start(name, cmd, work, Map.of(), null);
        Server s = new Server(name, p, serverPort);
        s.awaitReady();
        return s;
    }

    /** A server started by {@link #server}. */
    final class Server {
        final String name;
        final Process process;
        final int port;

        private Server(String name, Process process, int port) {
            this.name = name;
            this.process = process;
            this.port = port;
        }

        private void awaitReady() throws InterruptedException {
            long deadline = System.nanoTime() + START_BOUND.toNanos();
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new AssertionError(name + " exited with " + process.exitValue() + ": " + log());
                }
                if (get("/api/ready").status() == 200) {
                    return;
                }
                Thread.sleep(100);
            }
            throw new AssertionError(name + " not ready within " + START_BOUND + ": " + log());
        }

        Reply get(String path) throws InterruptedException {
            return OpsSandbox.this.get(port, path);
        }

        Reply post(String path, String json) throws InterruptedException {
            return OpsSandbox.this.post(port, path, json);
        }

        /** SIGTERM; the server must exit 0 within {@link #STOP_BOUND}. */
        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(STOP_BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(name + " still running " + STOP_BOUND + " after SIGTERM: " + log());
            }
            if (process.exitValue() != 0) {
                throw new AssertionError(name + " exited " + process.exitValue() + " after SIGTERM: " + log());
            }
        }

        /** What it printed so far. */
        String log() {
            return read(outputs.resolve(name + ".err")) + read(outputs.resolve(name + ".out"));
        }
    }

    /** {@code GET http://127.0.0.1:<port><path>} on the sandbox's port; status -1 when nothing answers. */
    Reply get(String path) throws InterruptedException {
        return get(port, path);
    }

    Reply get(int serverPort, String path) throws InterruptedException {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + serverPort + path)).GET());
    }

    /** {@code GET} with {@code Authorization: Bearer <token>}. */
    Reply send(int serverPort, String path, String bearer) throws InterruptedException {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + serverPort + path))
                .header("Authorization", "Bearer " + bearer).GET());
    }

    /** {@code POST} of a JSON body. */
    Reply post(int serverPort, String path, String json) throws InterruptedException {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + serverPort + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private Reply send(HttpRequest.Builder b) throws InterruptedException {
        try {
            HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Reply(r.statusCode(), r.body());
        } catch (IOException e) {
            return new Reply(-1, e.toString());
        }
    }

    static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Kills every process this sandbox started, and every process that carries its marker. */
    @Override
    public void close() {
        List<ProcessHandle> victims = new ArrayList<>();
        synchronized (processes) {
            processes.forEach(p -> {
                victims.addAll(p.descendants().toList());
                victims.add(p.toHandle());
            });
        }
        String mark = MARKER + "=" + root;
        ProcessHandle.allProcesses().filter(h -> h.pid() != ProcessHandle.current().pid())
                .filter(h -> environ(h.pid()).contains(mark)).forEach(victims::add);
        victims.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle h : victims) {
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // reported below if it survived
            }
        }
        List<Long> alive = victims.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList();
        if (!alive.isEmpty()) {
            System.err.println("OpsSandbox: still alive after SIGKILL: " + alive);
        }
    }

    /** The processes of this sandbox still running. */
    List<Long> marked() {
        String mark = MARKER + "=" + root;
        return ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
                .filter(h -> environ(h.pid()).contains(mark)).map(ProcessHandle::pid).toList();
    }

    private static List<String> environ(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ"));
            return List.of(new String(raw, StandardCharsets.UTF_8).split("\0"));
        } catch (IOException | RuntimeException e) {
            return List.of(); // gone, or not ours to read
        }
    }
}
