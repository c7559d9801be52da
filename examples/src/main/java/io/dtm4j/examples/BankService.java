package io.dtm4j.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.dtm4j.client.DtmFailureException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bank of DTM's examples ({@code clients-and-barrier.md} 12.1), in memory: users 1 and 2 start with
 * 10000 each, and a JDK HTTP server under {@code /api/busi} offers the branches of a transfer:
 * {@code POST TransOut} / {@code TransOutRevert} (user 1), {@code POST TransIn} / {@code TransInRevert}
 * (user 2) and the msg back-check {@code GET QueryPrepared}. The body is DTM's {@code ReqHTTP}:
 * {@code {"amount":30,"trans_in_result":"","trans_out_Result":""}}; a non-empty result field forces that
 * branch's answer ({@code FAILURE} → 409, {@code ONGOING} → 425, {@code ERROR} → 500), as DTM's busi does.
 *
 * <p>Each branch is idempotent and safe against reordering, as DTM requires, with an in-memory stand-in
 * for the sub-transaction barrier: a repeated op does nothing, a compensation of an action that never ran
 * does nothing, and an action arriving after its compensation does nothing.
 *
 * <p>Thread-safe. Close it to stop the HTTP server.
 */
public final class BankService implements AutoCloseable {
    /** The user money moves away from in the canonical transfer. */
    public static final int TRANS_OUT_USER = 1;
    /** The user money moves to in the canonical transfer. */
    public static final int TRANS_IN_USER = 2;
    /** Balance of each user at start. */
    public static final long INITIAL_BALANCE = 10_000;
    private static final String PREFIX = "/api/busi";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor;
    private final String baseUrl;
    private final Map<Integer, Long> balances = new HashMap<>();
    /** Barrier stand-in: {@code gid/branch_id} of actions applied and of compensations done. */
    private final Set<String> applied = new HashSet<>();
    private final Set<String> compensated = new HashSet<>();
    /** Msg local transactions: gids committed, and gids the back-check declared rolled back. */
    private final Set<String> committedMsgs = new HashSet<>();
    private final Set<String> rolledBackMsgs = new HashSet<>();

    private BankService(HttpServer server, ExecutorService executor, String host) {
        this.server = server;
        this.executor = executor;
        this.baseUrl = "http://" + host + ":" + server.getAddress().getPort() + PREFIX;
        balances.put(TRANS_OUT_USER, INITIAL_BALANCE);
        balances.put(TRANS_IN_USER, INITIAL_BALANCE);
    }

    /**
     * Starts the service on 127.0.0.1 and a free port.
     *
     * @throws IOException when the server cannot bind
     */
    public static BankService start() throws IOException {
        return start("127.0.0.1", 0);
    }

    /**
     * Starts the service on {@code host} ({@code 0.0.0.0} for every interface, advertised as 127.0.0.1) and
     * {@code port} (0 for a free one).
     *
     * @throws IOException when the server cannot bind
     */
    public static BankService start(String host, int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
        AtomicInteger n = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "bank-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        BankService bank = new BankService(server, executor, "0.0.0.0".equals(host) ? "127.0.0.1" : host);
        server.createContext(PREFIX + "/", bank::handle);
        server.start();
        return bank;
    }

    /** Returns the URL of an endpoint, e.g. {@code url("TransOut")}. */
    public String url(String endpoint) {
        return baseUrl + "/" + endpoint;
    }

    /** Returns a user's balance. */
    public synchronized long balance(int user) {
        return balances.getOrDefault(user, 0L);
    }

    /** Returns the balances of users 1 and 2, in that order. */
    public synchronized Map<Integer, Long> balances() {
        Map<Integer, Long> out = new LinkedHashMap<>();
        out.put(TRANS_OUT_USER, balance(TRANS_OUT_USER));
        out.put(TRANS_IN_USER, balance(TRANS_IN_USER));
        return out;
    }

    /**
     * The local transaction of the msg example: takes {@code amount} from user 1 and records that the
     * message {@code gid} committed, in one step, so that {@code QueryPrepared} can tell.
     *
     * @throws DtmFailureException when the balance is too low, or the back-check already declared this
     *                             message rolled back (too late to commit)
     */
    public synchronized void transOutLocally(String gid, long amount) {
        if (rolledBackMsgs.contains(gid)) {
            throw new DtmFailureException("gid=" + gid + ": the back-check already rolled this message back");
        }
        debit(TRANS_OUT_USER, amount);
        committedMsgs.add(gid);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            Map<String, String> q = query(ex.getRequestURI().getRawQuery());
            String endpoint = ex.getRequestURI().getPath().substring(PREFIX.length() + 1);
            JsonNode body = readBody(ex.getRequestBody());
            Answer a;
            try {
                a = dispatch(endpoint, q.getOrDefault("gid", ""), q.getOrDefault("branch_id", ""), body);
            } catch (RuntimeException e) {
                a = new Answer(500, JSON.createObjectNode().put("message", e.toString()).toString());
            }
            byte[] bytes = a.body().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(a.status(), bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** An HTTP status and JSON body. */
    private record Answer(int status, String body) {
        static final Answer SUCCESS = new Answer(200, "{\"dtm_result\":\"SUCCESS\"}");

        static Answer failure(String reason) {
            return new Answer(409, JSON.createObjectNode().put("dtm_result", "FAILURE")
                    .put("message", "reason:" + reason).toString());
        }
    }

    private synchronized Answer dispatch(String endpoint, String gid, String branchId, JsonNode body) {
        long amount = body.path("amount").asLong();
        return switch (endpoint) {
            case "TransOut" -> action(gid, branchId, injected(body, "trans_out_Result"),
                    () -> debit(TRANS_OUT_USER, amount));
            case "TransOutRevert" -> compensation(gid, branchId, () -> credit(TRANS_OUT_USER, amount));
            case "TransIn" -> action(gid, branchId, injected(body, "trans_in_result"),
                    () -> credit(TRANS_IN_USER, amount));
            case "TransInRevert" -> compensation(gid, branchId, () -> debit(TRANS_IN_USER, amount));
            case "QueryPrepared" -> queryPrepared(gid);
            default -> new Answer(404, JSON.createObjectNode().put("message", "no endpoint " + endpoint).toString());
        };
    }

    private Answer action(String gid, String branchId, String forced, Runnable business) {
        String key = gid + "/" + branchId;
        if (applied.contains(key) || compensated.contains(key)) {
            return Answer.SUCCESS; // a repeat, or too late: its compensation already ran
        }
        Answer injected = forcedAnswer(forced);
        if (injected != null) {
            return injected;
        }
        try {
            business.run();
        } catch (DtmFailureException e) {
            return Answer.failure(e.getMessage());
        }
        applied.add(key);
        return Answer.SUCCESS;
    }

    private Answer compensation(String gid, String branchId, Runnable undo) {
        String key = gid + "/" + branchId;
        if (compensated.add(key) && applied.contains(key)) {
            undo.run();
        }
        return Answer.SUCCESS;
    }

    /** The msg back-check: committed → SUCCESS; otherwise it can never commit any more → FAILURE. */
    private Answer queryPrepared(String gid) {
        if (committedMsgs.contains(gid)) {
            return Answer.SUCCESS;
        }
        rolledBackMsgs.add(gid);
        return Answer.failure("local transaction of " + gid + " did not commit");
    }

    private static Answer forcedAnswer(String forced) {
        return switch (forced) {
            case "FAILURE" -> Answer.failure("forced by the request");
            case "ONGOING" -> new Answer(425, "{\"dtm_result\":\"ONGOING\"}");
            case "ERROR" -> new Answer(500, "{\"message\":\"forced error\"}");
            default -> null;
        };
    }

    private void debit(int user, long amount) {
        long now = balance(user);
        if (now < amount) {
            throw new DtmFailureException("Insufficient balance of user " + user);
        }
        balances.put(user, now - amount);
    }

    private void credit(int user, long amount) {
        balances.put(user, balance(user) + amount);
    }

    private static String injected(JsonNode body, String field) {
        return body.path(field).asText("");
    }

    private static JsonNode readBody(InputStream in) throws IOException {
        byte[] bytes = in.readAllBytes();
        if (bytes.length == 0) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            out.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return out;
    }

    /** Stops the HTTP server at once. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    @Override
    public String toString() {
        return "BankService[" + baseUrl + "]";
    }
}
