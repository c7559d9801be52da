package io.dtm4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release tarball (built by maven-assembly-plugin in the package phase, before failsafe runs): unpack it,
 * install it under a temporary prefix, run {@code dtm version} through the command link, start the server,
 * ping it and stop it with SIGTERM.
 */
class PackagingIT {

    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    @Test
    void tarballInstallsRunsAndStops() throws Exception {
        Path tarball = findTarball();
        Path unpacked = Files.createDirectories(tmp.resolve("unpacked"));
        run(unpacked, List.of("tar", "xzf", tarball.toString()));
        assertThat(unpacked.resolve("install.sh")).isExecutable();
        assertThat(unpacked.resolve("dtm/bin/dtm")).isExecutable();
        assertThat(unpacked.resolve("dtm/lib/dtm.jar")).isRegularFile();
        assertThat(unpacked.resolve("dtm/config.example.yml")).isRegularFile();
        assertThat(Files.readString(unpacked.resolve("dtm/dtm.service")))
                .contains("SuccessExitStatus=143", "User=dtm", "EnvironmentFile=");

        Path prefix = tmp.resolve("opt");
        Path binDir = tmp.resolve("bin");
        List<String> install = List.of(unpacked.resolve("install.sh").toString(),
                "--prefix", prefix.toString(), "--bin-dir", binDir.toString());
        run(unpacked, install);
        run(unpacked, install); // idempotent
        Path command = binDir.resolve("dtm");
        assertThat(Files.isSymbolicLink(command)).isTrue();

        Path work = Files.createDirectories(tmp.resolve("work"));
        String version = run(work, List.of(command.toString(), "version"));
        assertThat(version).contains("dtm version");

        int port = freePort();
        Path log = tmp.resolve("server.log");
        // 127.0.0.1 only (the default address is 0.0.0.0); Store.Driver stays the default, sqlite in ./dtm-data
        Path config = Files.writeString(work.resolve("config.yml"), "HTTPServer:\n  Address: 127.0.0.1\n");
        Process server = builder(work, List.of(command.toString(), "-c", config.toString(),
                        "-p", Integer.toString(port)))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            HttpRequest ping = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/ping"))
                    .timeout(Duration.ofSeconds(2)).build();
            long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
            int status = -1;
            while (System.nanoTime() < deadline && server.isAlive()) {
                try {
                    status = http.send(ping, HttpResponse.BodyHandlers.ofString()).statusCode();
                    if (status == 200) {
                        break;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(200);
            }
            assertThat(status).as("ping status; server log:%n%s", readLog(log)).isEqualTo(200);
            assertThat(work.resolve("dtm-data/dtm.db")).as("sqlite store in the working directory").exists();

            server.destroy(); // SIGTERM
            assertThat(server.waitFor(STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                    .as("stopped within %s; log:%n%s", STEP_TIMEOUT, readLog(log)).isTrue();
            assertThat(server.exitValue()).as("exit code; log:%n%s", readLog(log)).isZero();
        } finally {
            if (server.isAlive()) {
                server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** The release tarball the package phase built, in {@code target/}. */
    static Path findTarball() throws IOException {
        Path target = Paths.get(System.getProperty("project.build.directory", "target"));
        try (Stream<Path> files = Files.list(target)) {
            List<Path> found = files.filter(p -> p.getFileName().toString().matches("dtm-.*\\.tar\\.gz")).toList();
            assertThat(found).as("dtm-<version>.tar.gz in %s (run mvn package first)", target).hasSize(1);
            return found.get(0).toAbsolutePath();
        }
    }

    private ProcessBuilder builder(Path dir, List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("JAVA_OPTS");
        return pb;
    }

    private String run(Path dir, List<String> command) throws Exception {
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Process p = builder(dir, command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean done = p.waitFor(STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String output = Files.readString(out);
        assertThat(done).as("%s finished in time; output:%n%s", command, output).isTrue();
        assertThat(p.exitValue()).as("exit code of %s; output:%n%s", command, output).isZero();
        return output;
    }

    private static String readLog(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
