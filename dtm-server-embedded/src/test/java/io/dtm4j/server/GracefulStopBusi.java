package io.dtm4j.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A slow branch service for the graceful-stop test: routes {@code TransOut}, {@code TransIn}, {@code TransOutRevert}
 * and {@code TransInRevert} under {@code /api/slow/} each work for a delay and then answer SUCCESS; a payload
 * {@code {"slow_first_ms":n}} makes the first call of each key work {@code n} ms instead. The work
 * applies the branch's business effect once per idempotency key (gid, branch, op), as a barrier does, before the
 * answer is sent: a caller that is gone by then loses the answer but not the effect, so it must call again and the
 * repeated call is absorbed. Every call is recorded with when it arrived and when it answered. Thread-safe.
 */
final class GracefulStopBusi implements AutoCloseable {
    /** One call that worked to its end: its idempotency key {@code gid/branch/op}, when it arrived and answered. */
    record Call(String key, String route, long arrivedNanos, long answeredNanos) {
    }

    private static final Pattern SLOW_FIRST = Pattern.compile("\"slow_first_ms\"\\s*:\\s*(\\d+)");

    private final Duration delay;
    private final HttpServer server;
    private final ExecutorService threads;
    private final List<Call> calls = new ArrayList<>();
    private final Set<String> seen = new HashSet<>();
    private final Set<String> applied = new HashSet<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private int absorbed;

    GracefulStopBusi(Duration delay) {
        this.delay = delay;
        AtomicInteger n = new AtomicInteger();
        threads = Executors.newFixedThreadPool(32, r -> {
            Thread t = new Thread(r, "graceful-busi-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        } catch (IOException e) {
            threads.shutdownNow();
            throw new UncheckedIOException("cannot start the branch service on 127.0.0.1", e);
        }
        server.setExecutor(threads);
        server.createContext("/api/slow/", this::handle);
        server.start();
    }

    String url(String route) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/slow/" + route;
    }

    /** Calls working now. */
    int inFlight() {
        return inFlight.get();
    }

    /** Waits up to {@code max} until at least {@code n} calls work at once; true when they do. */
    boolean awaitInFlight(int n, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (inFlight.get() < n) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /** Waits up to {@code max} until no call works; true when none does. */
    boolean awaitIdle(Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (inFlight.get() > 0) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /** Every call answered so far, oldest first. */
    synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    /** The idempotency keys whose effect was applied, {@code gid/branch/op}. */
    synchronized Set<String> applied() {
        return Set.copyOf(applied);
    }

    /** Calls whose key's effect had already been applied: what the barrier absorbed. */
    synchronized int absorbed() {
        return absorbed;
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        long arrived = System.nanoTime();
        inFlight.incrementAndGet();
        try {
            Map<String, String> q = query(ex.getRequestURI().getRawQuery());
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String route = ex.getRequestURI().getPath().substring("/api/slow/".length());
            String key = q.getOrDefault("gid", "") + "/" + q.getOrDefault("branch_id", "") + "/"
                    + q.getOrDefault("op", "");
            boolean first;
            synchronized (this) {
                first = seen.add(key);
            }
            Matcher slow = SLOW_FIRST.matcher(body);
            long millis = first && slow.find() ? Long.parseLong(slow.group(1)) : delay.toMillis();
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return; // closed: no effect, no answer
            }
            synchronized (this) {
                if (!applied.add(key)) {
                    absorbed++;
                }
            }
            synchronized (this) {
                calls.add(new Call(key, route, arrived, System.nanoTime()));
            }
            reply(ex, "{\"dtm_result\":\"SUCCESS\"}");
        } finally {
            inFlight.decrementAndGet();
            ex.close();
        }
    }

    private static void reply(HttpExchange ex, String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        try (OutputStream out = ex.getResponseBody()) {
            ex.sendResponseHeaders(200, b.length);
            out.write(b);
        } catch (IOException e) {
            // the caller is gone: its answer is lost, the effect stays applied
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> m = new TreeMap<>();
        if (raw == null || raw.isEmpty()) {
            return m;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            m.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return m;
    }
}
