package io.dtm4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A branch service for the store-outage tests that needs no database (the store under test may be the only
 * one and it goes down): routes {@code TransOut}, {@code TransIn}, {@code TransOutRevert}, {@code TransInRevert}
 * under {@code /api/outage/}, scripted per transaction through the payload:
 * {@code {"errors":n}} answers 500 to the first {@code n} calls of each (gid, branch, op), and
 * {@code {"hold":"name"}} holds the first call of that branch until {@link #release(String)}.
 * Success applies an in-memory effect once per (gid, branch, op), like a barrier: later successful calls
 * of the same key are counted as duplicates absorbed. Every call is recorded. Thread-safe.
 */
final class OutageBusi implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A held call gives up after this long, so no thread hangs for ever. */
    private static final Duration MAX_HOLD = Duration.ofSeconds(90);

    /** One call: which branch, when it arrived ({@link System#nanoTime()}), what was answered. */
    record Call(String gid, String branchId, String op, String route, long arrivedNanos, int status) {
    }

    private final HttpServer server;
    private final ExecutorService threads;
    private final List<Call> calls = new ArrayList<>();
    private final Map<String, Integer> seen = new HashMap<>();
    private final Set<String> applied = new HashSet<>();
    private final AtomicInteger duplicates = new AtomicInteger();
    private final Map<String, CountDownLatch> arrived = new ConcurrentHashMap<>();
    private final Map<String, CountDownLatch> released = new ConcurrentHashMap<>();

    OutageBusi() {
        AtomicInteger n = new AtomicInteger();
        threads = Executors.newFixedThreadPool(16, r -> {
            Thread t = new Thread(r, "outage-busi-" + n.incrementAndGet());
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
        server.createContext("/api/outage/", this::handle);
        server.start();
    }

    String url(String route) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/outage/" + route;
    }

    /** Waits up to {@code max} until the call held under {@code name} has arrived. */
    boolean awaitHeld(String name, Duration max) throws InterruptedException {
        return latch(arrived, name).await(max.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Lets the call held under {@code name} answer (success). */
    void release(String name) {
        latch(released, name).countDown();
    }

    /** Calls of one transaction, oldest first. */
    synchronized List<Call> calls(String gid) {
        return calls.stream().filter(c -> c.gid().equals(gid)).toList();
    }

    /** Every call, oldest first. */
    synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    /** Successful calls whose effect had already been applied: what a barrier absorbs. */
    int duplicates() {
        return duplicates.get();
    }

    @Override
    public void close() {
        released.values().forEach(CountDownLatch::countDown);
        server.stop(0);
        threads.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        long arrivedAt = System.nanoTime();
        try {
            Map<String, String> q = query(ex.getRequestURI().getRawQuery());
            String route = ex.getRequestURI().getPath().substring("/api/outage/".length());
            JsonNode payload = JSON.readTree(ex.getRequestBody().readAllBytes());
            String key = q.getOrDefault("gid", "") + "/" + q.getOrDefault("branch_id", "") + "/"
                    + q.getOrDefault("op", "");
            int nth;
            synchronized (this) {
                nth = seen.merge(key, 1, Integer::sum);
            }
            String hold = payload == null ? "" : payload.path("hold").asText("");
            if (nth == 1 && !hold.isEmpty() && route.equals("TransIn")) {
                latch(arrived, hold).countDown();
                try {
                    latch(released, hold).await(MAX_HOLD.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            int errors = payload == null ? 0 : payload.path("errors").asInt(0);
            int status = nth <= errors ? 500 : 200;
            synchronized (this) {
                if (status == 200 && !applied.add(key)) {
                    duplicates.incrementAndGet();
                }
                calls.add(new Call(q.getOrDefault("gid", ""), q.getOrDefault("branch_id", ""),
                        q.getOrDefault("op", ""), route, arrivedAt, status));
            }
            reply(ex, status, status == 200 ? "{\"dtm_result\":\"SUCCESS\"}" : "{\"error\":\"scripted error\"}");
        } finally {
            ex.close();
        }
    }

    private static CountDownLatch latch(Map<String, CountDownLatch> m, String name) {
        return m.computeIfAbsent(name, k -> new CountDownLatch(1));
    }

    private static void reply(HttpExchange ex, int status, String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        try (OutputStream out = ex.getResponseBody()) {
            ex.sendResponseHeaders(status, b.length);
            out.write(b);
        } catch (IOException e) {
            // the coordinator gave up on this call; it will retry
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
