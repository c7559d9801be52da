package io.dtm4j.store.redis;

import io.dtm4j.core.testing.ItEnvironment;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway three-master Redis Cluster on free loopback ports, started from the {@code redis-server} and
 * {@code redis-cli} that {@code scripts/services-up.sh} installs, in a temporary directory, without
 * persistence. The processes are this class's own and are destroyed by {@link #close()}. Not thread-safe.
 */
final class LocalCluster implements AutoCloseable {
    private static final int NODES = 3;
    private static final long WAIT_MILLIS = 30_000;

    private final Path dir;
    private final List<Integer> ports = new ArrayList<>();
    private final List<Process> servers = new ArrayList<>();

    private LocalCluster(Path dir) {
        this.dir = dir;
    }

    /** Starts the nodes and joins them into one cluster covering every slot. */
    static LocalCluster start() throws IOException, InterruptedException {
        ItEnvironment.redisHost(); // skip or fail like the other integration tests when there is no test Redis
        LocalCluster c = new LocalCluster(Files.createTempDirectory("dtm4j-redis-cluster-"));
        try {
            for (int i = 0; i < NODES; i++) {
                c.startNode();
            }
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            c.nodes().forEach(create::add);
            create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
            run(create);
            for (int port : c.ports) {
                c.awaitOutput(List.of("redis-cli", "-p", Integer.toString(port), "cluster", "info"),
                        "cluster_state:ok");
            }
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            try {
                c.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** The nodes as {@code 127.0.0.1:port}. */
    List<String> nodes() {
        return ports.stream().map(p -> "127.0.0.1:" + p).toList();
    }

    private void startNode() throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path nodeDir = Files.createDirectories(dir.resolve(Integer.toString(port)));
        servers.add(new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--cluster-enabled", "yes", "--cluster-config-file", nodeDir.resolve("nodes.conf").toString(),
                "--dir", nodeDir.toString(), "--save", "", "--appendonly", "no", "--protected-mode", "no")
                .redirectErrorStream(true).redirectOutput(nodeDir.resolve("redis.log").toFile()).start());
        ports.add(port);
        awaitOutput(List.of("redis-cli", "-p", Integer.toString(port), "ping"), "PONG");
    }

    private void awaitOutput(List<String> command, String expected) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            last = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() == 0 && last.contains(expected)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(String.join(" ", command) + " did not answer " + expected + " within "
                + WAIT_MILLIS + " ms; last answer: " + last);
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(WAIT_MILLIS, TimeUnit.MILLISECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
        }
    }

    /** Stops the nodes and removes their directory. */
    @Override
    public void close() throws IOException {
        for (Process p : servers) {
            p.destroy();
        }
        try {
            for (Process p : servers) {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the cluster nodes " + ports, e);
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
