package io.dtm4j.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts, kills and restarts one instance of the test stores through the project's own
 * {@code scripts/services-up.sh} and {@code scripts/services-down.sh}: {@code --kill} then {@code up} is a store
 * crash and a restart on the same data. The fault tests use an instance of their own (its own
 * {@code DTM_SVC_DIR} and ports), so that killing it never breaks other suites running against the shared
 * instance at the same time. Every script run is bounded.
 */
final class StoreServices {
    private static final Duration UP_BOUND = Duration.ofSeconds(180);
    private static final Duration DOWN_BOUND = Duration.ofSeconds(60);

    private final Path scripts;
    private final Path base;
    private final Map<String, String> env;
    private final Map<ItStore, Integer> ports;

    private StoreServices(Path scripts, Path base, Map<ItStore, Integer> ports) {
        this.scripts = scripts;
        this.base = base;
        this.ports = Map.copyOf(ports);
        this.env = Map.of("DTM_SVC_DIR", base.toString(), "REDIS_PORT", ports.get(ItStore.REDIS).toString(),
                "PG_PORT", ports.get(ItStore.POSTGRES).toString(), "MYSQL_PORT", ports.get(ItStore.MARIADB).toString(),
                "DTM_DB_USER", "dtm", "DTM_DB_PASS", "dtm", "DTM_DB_NAME", "dtm");
    }

    /**
     * An instance of its own under {@code base} with the given ports; nothing is started until {@link #up}.
     * Ports and directory can be changed with {@code -Ddtm.outage.dir}, {@code -Ddtm.outage.redisPort},
     * {@code -Ddtm.outage.pgPort} and {@code -Ddtm.outage.mysqlPort}.
     */
    static StoreServices ownInstance() {
        Path base = Paths.get(System.getProperty("dtm.outage.dir", "/tmp/dtm-services-outage"));
        return new StoreServices(findScripts(), base, Map.of(
                ItStore.REDIS, Integer.getInteger("dtm.outage.redisPort", 6392),
                ItStore.POSTGRES, Integer.getInteger("dtm.outage.pgPort", 5442),
                ItStore.MARIADB, Integer.getInteger("dtm.outage.mysqlPort", 3312)));
    }

    /** Where the instance's store listens; user and password dtm. */
    ItStore.Endpoint endpoint(ItStore store) {
        boolean sql = store != ItStore.REDIS;
        return new ItStore.Endpoint("127.0.0.1", ports.get(store), sql ? "dtm" : "", sql ? "dtm" : "");
    }

    /** {@code services-up.sh <svc>}: starts the store (again, on its data) and waits until it answers. */
    void up(ItStore store) throws IOException, InterruptedException {
        run(UP_BOUND, "services-up.sh", store.service);
    }

    /** {@code services-down.sh --kill <svc>}: SIGKILL of the store's server (a crash). */
    void kill(ItStore store) throws IOException, InterruptedException {
        run(DOWN_BOUND, "services-down.sh", "--kill", store.service);
    }

    /** {@code services-down.sh <svc>}: a clean stop, keeping the data. */
    void stop(ItStore store) throws IOException, InterruptedException {
        run(DOWN_BOUND, "services-down.sh", store.service);
    }

    private void run(Duration bound, String script, String... args) throws IOException, InterruptedException {
        Files.createDirectories(base);
        Path out = base.resolve("last-" + script + ".log");
        List<String> cmd = new ArrayList<>(List.of("bash", scripts.resolve(script).toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(out.toFile()));
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(bound.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            throw new AssertionError(String.join(" ", cmd) + " did not finish within " + bound + ":\n" + read(out));
        }
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " exited with " + p.exitValue() + ":\n" + read(out));
        }
    }

    private static String read(Path p) throws IOException {
        return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "(no output)";
    }

    /** {@code scripts/} of the project: the module's working directory or one of its parents holds it. */
    private static Path findScripts() {
        for (Path d = Paths.get("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("scripts/services-up.sh"))) {
                return d.resolve("scripts");
            }
        }
        throw new IllegalStateException("scripts/services-up.sh not found above " + Paths.get("").toAbsolutePath());
    }
}
