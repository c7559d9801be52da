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
import java.util.regex.Pattern;

/**
 * Starts, kills and restarts one instance of the test stores through the project's own
 * {@code scripts/services-up.sh} and {@code scripts/services-down.sh}: {@code --kill} then {@code up} is a store
 * crash and a restart on the same data. The fault tests use an instance of their own (its own
 * {@code DTM_SVC_DIR} and ports), so that killing it never breaks other suites running against the shared
 * instance at the same time. {@link #freeze} and {@link #thaw} hang the store instead ({@code kill -STOP/-CONT}).
 * Every script run is bounded.
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
        return ownInstance("outage", 6392, 5442, 3312);
    }

    /**
     * An instance of its own named {@code name}: under {@code /tmp/dtm-services-<name>} with the given ports, each
     * changeable with {@code -Ddtm.<name>.dir}, {@code -Ddtm.<name>.redisPort}, {@code -Ddtm.<name>.pgPort} and
     * {@code -Ddtm.<name>.mysqlPort}; nothing is started until {@link #up}. Fault tests that may run at the same
     * time as others' take a name of their own, so that one's fault never hits the other.
     */
    static StoreServices ownInstance(String name, int redisPort, int pgPort, int mysqlPort) {
        String p = "dtm." + name + ".";
        Path base = Paths.get(System.getProperty(p + "dir", "/tmp/dtm-services-" + name));
        return new StoreServices(findScripts(), base, Map.of(
                ItStore.REDIS, Integer.getInteger(p + "redisPort", redisPort),
                ItStore.POSTGRES, Integer.getInteger(p + "pgPort", pgPort),
                ItStore.MARIADB, Integer.getInteger(p + "mysqlPort", mysqlPort)));
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

    /**
     * Freezes the store's server with {@code kill -STOP}: its sockets stay open and connects still complete (the
     * kernel accepts them), but nothing answers. The processes are found as {@code services-down.sh} finds them:
     * the pid file's process, and for PostgreSQL also its children (one backend per connection), stopped after
     * the postmaster so that no new one is forked meanwhile. Always {@link #thaw} the store in a {@code finally}.
     *
     * @return the processes stopped, the main one first
     */
    List<Long> freeze(ItStore store) throws IOException, InterruptedException {
        List<Long> pids = new ArrayList<>(List.of(mainPid(store)));
        signal("-STOP", pids);
        if (store == ItStore.POSTGRES) {
            pids.addAll(children(pids.get(0)));
            signal("-STOP", pids.subList(1, pids.size()));
        }
        return pids;
    }

    /** {@code kill -CONT} of every process of the store ({@link #freeze}), children first. */
    void thaw(ItStore store) throws IOException, InterruptedException {
        long main = mainPid(store);
        List<Long> pids = new ArrayList<>(children(main));
        pids.add(main);
        signal("-CONT", pids);
    }

    private static List<Long> children(long pid) {
        return ProcessHandle.of(pid).map(h -> h.children().map(ProcessHandle::pid).toList()).orElse(List.of());
    }

    /** The pid in the store's pid file (the PostgreSQL postmaster), checked to be a live process of that server. */
    long mainPid(ItStore store) throws IOException {
        Path file = switch (store) {
            case REDIS -> base.resolve("redis/redis.pid");
            case POSTGRES -> base.resolve("postgres/data/postmaster.pid");
            case MARIADB -> base.resolve("mariadb/mariadb.pid");
        };
        String first = Files.readAllLines(file, StandardCharsets.UTF_8).stream().findFirst().orElse("").trim();
        long pid = Long.parseLong(first.replaceAll("[^0-9]", ""));
        Path comm = Paths.get("/proc", Long.toString(pid), "comm");
        String command = Files.isReadable(comm) ? Files.readString(comm, StandardCharsets.UTF_8).trim() : "";
        String expected = switch (store) {
            case REDIS -> "redis-server";
            case POSTGRES -> "postgres";
            case MARIADB -> "mariadbd|mysqld";
        };
        // like services-down.sh: never signal a recycled pid
        if (!Pattern.compile(expected).matcher(command).find()) {
            throw new AssertionError(store.service + ": pid " + pid + " from " + file + " is '" + command
                    + "', not " + expected);
        }
        return pid;
    }

    private static void signal(String signal, List<Long> pids) throws IOException, InterruptedException {
        if (pids.isEmpty()) {
            return;
        }
        List<String> cmd = new ArrayList<>(List.of("kill", signal));
        pids.forEach(p -> cmd.add(Long.toString(p)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish within 10 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        // a child that exited meanwhile is no failure; anything else is
        if (p.exitValue() != 0 && !out.contains("No such process")) {
            throw new AssertionError(String.join(" ", cmd) + " exited with " + p.exitValue() + ": " + out);
        }
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
