package io.dtm4j.server;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The coordinator of {@link BankInvariantIT}: one standalone server in a child JVM ({@link DtmChild}) that the
 * nemesis kills with SIGKILL and restarts on the same store and the same port, or pauses with SIGSTOP and resumes
 * with SIGCONT. Workers ask {@link #awaitUp} before they start a transfer, so that a restart does not turn the
 * rest of the plan into refused connections. Thread-safe.
 */
final class BankCoordinator implements AutoCloseable {
    /** How often a restart is tried while the port is not free yet. */
    private static final int START_ATTEMPTS = 5;

    private final Path dir;
    private final List<String> config;
    private final int port;
    private final DtmHttp dtm;
    private volatile DtmChild child;
    private volatile boolean up;
    private volatile boolean paused;

    private BankCoordinator(Path dir, List<String> config, DtmChild child) {
        this.dir = dir;
        this.config = List.copyOf(config);
        this.child = child;
        this.port = child.port;
        this.dtm = child.dtm;
        this.up = true;
    }

    /** Starts the server with {@code config} (the port is added) in {@code dir}. */
    static BankCoordinator start(Path dir, List<String> config) throws IOException, InterruptedException {
        return new BankCoordinator(dir, config, DtmChild.start(dir, "dtm", config));
    }

    /** The API prefix the SDK is given: {@code http://127.0.0.1:<port>/api/dtmsvr}. */
    String apiUrl() {
        return dtm.prefix();
    }

    /** Raw calls to the current server; the port stays the same across restarts. */
    DtmHttp dtm() {
        return dtm;
    }

    /** Waits until the server is up (not between a kill and its restart), at most {@code bound}. */
    boolean awaitUp(Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!up) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    /** SIGKILL, {@code downMillis} of nothing, then a new server on the same store and port; waits for its ping. */
    synchronized void killAndRestart(long downMillis) throws IOException, InterruptedException {
        up = false;
        child.kill();
        Thread.sleep(downMillis);
        for (int attempt = 1; ; attempt++) {
            try {
                child = DtmChild.start(dir, "dtm", config, port);
                break;
            } catch (AssertionError e) {
                // the port may still be held for a moment by the killed process's sockets
                if (attempt == START_ATTEMPTS) {
                    throw e;
                }
                Thread.sleep(1000);
            }
        }
        up = true;
    }

    /** SIGSTOP for {@code millis}, then SIGCONT: calls in flight hang, nothing is lost. */
    synchronized void pause(long millis) throws IOException, InterruptedException {
        signal("STOP");
        paused = true;
        try {
            Thread.sleep(millis);
        } finally {
            signal("CONT");
            paused = false;
        }
    }

    /** The server's log, for failures. */
    String logTail() {
        return child.logTail();
    }

    private void signal(String sig) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(child.pid())).inheritIO().start();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("kill -" + sig + " " + child.pid() + " failed");
        }
    }

    @Override
    public void close() {
        if (paused) {
            try {
                signal("CONT");
            } catch (IOException e) {
                // the process is destroyed below anyway
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        child.close();
    }
}
