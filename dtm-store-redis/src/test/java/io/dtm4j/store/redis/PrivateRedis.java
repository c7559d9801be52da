package io.dtm4j.store.redis;

import io.dtm4j.core.testing.ItEnvironment;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway Redis of this test class alone, on a free port with its own data directory, started and stopped
 * by the project's {@code scripts/services-up.sh} / {@code services-down.sh} (AOF on, as for the shared one).
 * Tests that stop Redis, flush its script cache or read its server-wide command counts use it, so the shared
 * Redis of other test runs is never disturbed. Not thread-safe.
 */
final class PrivateRedis implements AutoCloseable {
    private static final long SCRIPT_SECONDS = 120;

    private final Path scripts;
    private final Path dir;
    private final int port;

    private PrivateRedis(Path scripts, Path dir, int port) {
        this.scripts = scripts;
        this.dir = dir;
        this.port = port;
    }

    /**
     * Starts one. Where the shared test Redis is not configured, the test is skipped (or fails with
     * {@code -Ddtm.it.required=true}) as every integration test is.
     */
    static PrivateRedis start() throws IOException, InterruptedException {
        ItEnvironment.redisHost(); // skip or fail like the other integration tests when there is no test Redis
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path dir = Files.createTempDirectory("dtm4j-redis-it-");
        PrivateRedis redis = new PrivateRedis(findScripts(), dir, port);
        redis.up();
        return redis;
    }

    int port() {
        return port;
    }

    /** {@code services-up.sh redis}: starts it, on its existing data after a {@link #down()}. */
    void up() throws IOException, InterruptedException {
        run("services-up.sh", "redis");
    }

    /** {@code services-down.sh redis}: a clean shutdown, data kept. */
    void down() throws IOException, InterruptedException {
        run("services-down.sh", "redis");
    }

    /** {@code services-down.sh --kill redis}: SIGKILL, a crash of Redis (what it had written stays). */
    void kill() throws IOException, InterruptedException {
        run("services-down.sh", "--kill", "redis");
    }

    /** The pid of the running server. */
    long pid() throws IOException {
        return Long.parseLong(Files.readString(dir.resolve("redis/redis.pid")).trim());
    }

    /** Sends {@code signal} (e.g. {@code STOP}, {@code CONT}) to the server process this class started. */
    void signal(String signal) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("kill -" + signal + " of redis pid " + pid() + " failed");
        }
    }

    /** {@code services-down.sh --purge redis}: stops it and removes its data. */
    @Override
    public void close() throws IOException {
        try {
            run("services-down.sh", "--purge", "redis");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the private Redis on port " + port, e);
        }
    }

    private void run(String script, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", scripts.resolve(script).toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("DTM_SVC_DIR", dir.toString());
        pb.environment().put("REDIS_PORT", Integer.toString(port));
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(SCRIPT_SECONDS, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " (DTM_SVC_DIR=" + dir + " REDIS_PORT=" + port
                    + ") failed:\n" + output);
        }
    }

    private static Path findScripts() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("scripts/services-up.sh"))) {
                return p.resolve("scripts");
            }
        }
        throw new IllegalStateException("scripts/services-up.sh not found above " + Path.of("").toAbsolutePath());
    }
}
