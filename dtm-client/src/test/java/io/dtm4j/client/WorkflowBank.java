package io.dtm4j.client;

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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A fake bank for workflow tests on a JDK {@link HttpServer} at 127.0.0.1 and a free port, after DTM's busi:
 * {@code POST /bank/<endpoint>} with {@code {"amount":n}}. {@code TransOut} debits account 1 and
 * {@code TransOutRevert} credits it back; {@code TransIn} credits account 2 and {@code TransInRevert} debits it;
 * every other endpoint (confirms, cancels, ...) has no effect. Each answers 200 {@code {"balance":<n>}} (the
 * account after the call) unless a one-shot result was scripted: FAILURE 409, ONGOING 425, ERROR 500, all
 * without effect. Every request is recorded. Thread-safe.
 */
final class WorkflowBank implements AutoCloseable {
    static final int START_BALANCE = 10_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request as the bank saw it. */
    record Call(String endpoint, Map<String, String> query, String body) {
        String op() {
            return query.getOrDefault("op", "");
        }

        String branchId() {
            return query.getOrDefault("branch_id", "");
        }
    }

    private final HttpServer server;
    private final Map<Integer, Integer> balances = new HashMap<>(Map.of(1, START_BALANCE, 2, START_BALANCE));
    private final Map<String, Deque<String>> scripted = new HashMap<>();
    private final List<Call> calls = new ArrayList<>();

    WorkflowBank() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the fake bank on 127.0.0.1", e);
        }
        server.createContext("/bank/", this::handle);
        server.start();
    }

    /** The URL of an endpoint, e.g. {@code url("TransIn")}. */
    String url(String endpoint) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/bank/" + endpoint;
    }

    /** The next call of {@code endpoint} answers {@code result} (FAILURE, ONGOING or ERROR) without effect. */
    synchronized WorkflowBank once(String endpoint, String result) {
        scripted.computeIfAbsent(endpoint, k -> new ArrayDeque<>()).add(result);
        return this;
    }

    synchronized int balance(int account) {
        return balances.get(account);
    }

    synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    /** The endpoints called so far, in order. */
    synchronized List<String> endpoints() {
        return calls.stream().map(Call::endpoint).toList();
    }

    synchronized long count(String endpoint) {
        return calls.stream().filter(c -> c.endpoint().equals(endpoint)).count();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String endpoint = ex.getRequestURI().getPath().substring("/bank/".length());
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Call call = new Call(endpoint, query(ex.getRequestURI().getRawQuery()), body);
            String result;
            int balance;
            synchronized (this) {
                calls.add(call);
                Deque<String> q = scripted.get(endpoint);
                result = q == null || q.isEmpty() ? "SUCCESS" : q.poll();
                balance = "SUCCESS".equals(result) ? apply(endpoint, amount(body)) : 0;
            }
            switch (result) {
                case "FAILURE" -> reply(ex, 409, "{\"dtm_result\":\"FAILURE\",\"message\":\"insufficient balance\"}");
                case "ONGOING" -> reply(ex, 425, "{\"dtm_result\":\"ONGOING\"}");
                case "ERROR" -> reply(ex, 500, "{\"message\":\"bank is down\"}");
                default -> reply(ex, 200, "{\"balance\":" + balance + "}");
            }
        }
    }

    /** Applies a successful call; returns the balance of the account it touched (0 for none). */
    private int apply(String endpoint, int amount) {
        return switch (endpoint) {
            case "TransOut" -> balances.merge(1, -amount, Integer::sum);
            case "TransOutRevert" -> balances.merge(1, amount, Integer::sum);
            case "TransIn" -> balances.merge(2, amount, Integer::sum);
            case "TransInRevert" -> balances.merge(2, -amount, Integer::sum);
            default -> 0;
        };
    }

    private static int amount(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            return n == null ? 0 : n.path("amount").asInt(0);
        } catch (IOException e) {
            return 0;
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

    private static void reply(HttpExchange ex, int status, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
