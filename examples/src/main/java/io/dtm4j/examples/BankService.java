package io.dtm4j.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.client.DtmOngoingException;
import io.dtm4j.client.workflow.Workflows;

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
 * The bank of DTM's examples ({@code clients-and-barrier.md} 12.1 and 12.3), in memory: users 1 and 2 start
 * with 10000 each, and a JDK HTTP server under {@code /api/busi} offers the branches of a transfer:
 * <ul>
 *   <li>saga, msg and workflow: {@code POST TransOut} / {@code TransOutRevert} (user 1), {@code POST TransIn} /
 *       {@code TransInRevert} (user 2), and the msg back-check {@code GET QueryPrepared};</li>
 *   <li>TCC: {@code POST TransOutTry} / {@code TransOutConfirm} / {@code TransOutCancel} (user 1) and
 *       {@code TransInTry} / {@code TransInConfirm} / {@code TransInCancel} (user 2). As in DTM's
 *       {@code TccBTransOutTry} etc., a try reserves the amount (TransOutTry freezes it, TransInTry announces
 *       it as incoming), confirm moves it into or out of the balance and cancel releases it;</li>
 *   <li>{@code POST workflow/resume}, once {@link #serveWorkflowResume} named the workflows to resume.</li>
 * </ul>
 * The body is DTM's {@code ReqHTTP}: {@code {"amount":30,"trans_in_result":"","trans_out_Result":""}}; a
 * non-empty result field forces the answer of that branch's action or try ({@code FAILURE} → 409,
 * {@code ONGOING} → 425, {@code ERROR} → 500), as DTM's busi does.
 *
 * <p>Frozen money cannot be spent, and incoming money cannot be spent yet: a debit or an outgoing try needs
 * {@code balance - frozen >= amount}.
 *
 * <p>Each branch is idempotent and safe against reordering, as DTM requires, with an in-memory stand-in
 * for the sub-transaction barrier: a repeated op does nothing, a compensation (or cancel) of an action (or
 * try) that never ran does nothing, and an action arriving after its compensation does nothing.
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
    /** The endpoint of the workflow resume calls, for {@link #url}. */
    public static final String WORKFLOW_RESUME = "workflow/resume";
    private static final String PREFIX = "/api/busi";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor;
    private final String baseUrl;
    private final Map<Integer, Long> balances = new HashMap<>();
    /** Amounts reserved by TCC tries not yet confirmed or cancelled: outgoing (frozen) and incoming. */
    private final Map<Integer, Long> frozen = new HashMap<>();
    private final Map<Integer, Long> incoming = new HashMap<>();
    /** Barrier stand-in: {@code gid/branch_id} of actions (tries) applied, compensations done, confirms done. */
    private final Set<String> applied = new HashSet<>();
    private final Set<String> compensated = new HashSet<>();
    private final Set<String> confirmed = new HashSet<>();
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

    /** Returns how much of a user's balance pending TCC tries froze (0 once each is confirmed or cancelled). */
    public synchronized long frozen(int user) {
        return frozen.getOrDefault(user, 0L);
    }

    /** Returns how much pending TCC tries announced to a user (0 once each is confirmed or cancelled). */
    public synchronized long incoming(int user) {
        return incoming.getOrDefault(user, 0L);
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

    /**
     * Serves {@code POST} (or {@code GET}) {@code workflow/resume}: the coordinator calls it to finish a workflow
     * whose run stopped early, and it hands the call to {@code workflows.resume(query, body)}, answering 200 when
     * the workflow finished, 409 when it failed, 425 when a step answered ONGOING and 500 otherwise. Register
     * the workflows first; build their client with {@code workflowResumeUrl(url(WORKFLOW_RESUME))}.
     *
     * @throws IllegalArgumentException when it is already served
     */
    public void serveWorkflowResume(Workflows workflows) {
        server.createContext(PREFIX + "/" + WORKFLOW_RESUME, ex -> {
            try (ex) {
                Map<String, String> q = query(ex.getRequestURI().getRawQuery());
                byte[] body = ex.getRequestBody().readAllBytes();
                // not under the bank's lock: the resumed workflow calls the bank's own endpoints
                respond(ex, resume(workflows, q, body));
            }
        });
    }

    private static Answer resume(Workflows workflows, Map<String, String> query, byte[] body) {
        try {
            workflows.resume(query, body);
            return Answer.SUCCESS;
        } catch (DtmFailureException e) {
            return Answer.failure(e.getMessage());
        } catch (DtmOngoingException e) {
            return new Answer(425, "{\"dtm_result\":\"ONGOING\"}");
        } catch (RuntimeException e) {
            return error(e);
        }
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
                a = error(e);
            }
            respond(ex, a);
        }
    }

    private static void respond(HttpExchange ex, Answer a) throws IOException {
        byte[] bytes = a.body().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(a.status(), bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static Answer error(RuntimeException e) {
        return new Answer(500, JSON.createObjectNode().put("message", e.toString()).toString());
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
            case "TransOutTry" -> action(gid, branchId, injected(body, "trans_out_Result"),
                    () -> freeze(TRANS_OUT_USER, amount));
            case "TransOutConfirm" -> confirm(gid, branchId, () -> {
                add(frozen, TRANS_OUT_USER, -amount);
                add(balances, TRANS_OUT_USER, -amount);
            });
            case "TransOutCancel" -> compensation(gid, branchId, () -> add(frozen, TRANS_OUT_USER, -amount));
            case "TransInTry" -> action(gid, branchId, injected(body, "trans_in_result"),
                    () -> add(incoming, TRANS_IN_USER, amount));
            case "TransInConfirm" -> confirm(gid, branchId, () -> {
                add(incoming, TRANS_IN_USER, -amount);
                add(balances, TRANS_IN_USER, amount);
            });
            case "TransInCancel" -> compensation(gid, branchId, () -> add(incoming, TRANS_IN_USER, -amount));
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

    /** A TCC confirm: once, and only after its try reserved the amount (a try skipped as too late did not). */
    private Answer confirm(String gid, String branchId, Runnable move) {
        String key = gid + "/" + branchId;
        if (confirmed.add(key) && applied.contains(key)) {
            move.run();
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
        requireSpendable(user, amount);
        add(balances, user, -amount);
    }

    /** TransOutTry: freezes {@code amount}, which no other debit or try can then spend. */
    private void freeze(int user, long amount) {
        requireSpendable(user, amount);
        add(frozen, user, amount);
    }

    private void requireSpendable(int user, long amount) {
        if (balance(user) - frozen(user) < amount) {
            throw new DtmFailureException("Insufficient balance of user " + user);
        }
    }

    private static void add(Map<Integer, Long> amounts, int user, long delta) {
        amounts.merge(user, delta, Long::sum);
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
