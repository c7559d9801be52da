package io.dtm4j.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The standalone server ({@code dtm.jar}) in a child JVM on a free loopback port, with a YAML config written into the
 * work directory and its output appended to {@code <name>.log} there. JVM flags are fixed for every run (spec
 * performance.md 4.6): {@code -Xms = -Xmx}, {@code -XX:+AlwaysPreTouch}, G1, logging at WARN. {@link #kill()} is
 * SIGKILL (no shutdown hook runs); {@link #restart()} starts the same config again. Not thread-safe.
 */
final class ServerProcess implements AutoCloseable {
    private static final Duration START_BOUND = Duration.ofSeconds(60);

    private final Path jar;
    private final Path config;
    private final Path log;
    private final int port;
    private final int heapMib;
    private Process process;

    private ServerProcess(Path jar, Path config, Path log, int port, int heapMib) {
        this.jar = jar;
        this.config = config;
        this.log = log;
        this.port = port;
        this.heapMib = heapMib;
    }

    /**
     * Starts {@code dtm.jar} with the store lines {@code storeConfig} (and {@code extraConfig}) and a heap of
     * {@code heapMib}; returns once {@code /api/ping} answers.
     */
    static ServerProcess start(Path jar, Path workDir, String name, List<String> storeConfig, List<String> extraConfig,
                               int heapMib) {
        int port = freePort();
        List<String> lines = new ArrayList<>();
        lines.add("HttpPort: " + port);
        lines.add("HTTPServer:");
        lines.add("  Address: 127.0.0.1");
        lines.add("LogLevel: warn");
        lines.addAll(extraConfig);
        lines.addAll(storeConfig);
        Path config = workDir.resolve(name + ".yml");
        try {
            Files.writeString(config, String.join("\n", lines) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ServerProcess s = new ServerProcess(jar, config, workDir.resolve(name + ".log"), port, heapMib);
        s.launch();
        return s;
    }

    /** Starts the same server again (after {@link #kill()}); returns once it answers. */
    void restart() {
        launch();
    }

    private void launch() {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms" + heapMib + "m", "-Xmx" + heapMib + "m", "-XX:+AlwaysPreTouch", "-XX:+UseG1GC",
                "-Duser.timezone=UTC", "-jar", jar.toString(), "-c", config.toString());
        try {
            process = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + jar, e);
        }
        long deadline = System.nanoTime() + START_BOUND.toNanos();
        while (!pings()) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the server exited during start-up (exit " + process.exitValue()
                        + "); see " + log);
            }
            if (System.nanoTime() > deadline) {
                close();
                throw new IllegalStateException("the server did not answer within " + START_BOUND.toSeconds()
                        + " s; see " + log);
            }
            Sleep.of(Duration.ofMillis(20));
        }
    }

    /** The API prefix, e.g. {@code http://127.0.0.1:40000/api/dtmsvr}. */
    String apiUrl() {
        return "http://127.0.0.1:" + port + "/api/dtmsvr";
    }

    long pid() {
        return process.pid();
    }

    int heapMib() {
        return heapMib;
    }

    /** SIGKILL, then waits until the process is gone. */
    void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the server (pid " + pid() + ") is alive 30 s after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** True when {@code /api/ping} answers 200. */
    boolean pings() {
        try {
            HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + "/api/ping")
                    .openConnection();
            c.setConnectTimeout(200);
            c.setReadTimeout(1000);
            int status = c.getResponseCode();
            c.disconnect();
            return status == 200;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            kill();
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }
}
