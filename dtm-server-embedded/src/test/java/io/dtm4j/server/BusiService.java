package io.dtm4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.dtm4j.client.DtmClient;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.client.DtmOngoingException;
import io.dtm4j.client.Tcc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A fake of DTM's example business service ("busi", spec clients-and-barrier 12.2/12.3) on a JDK
 * {@link HttpServer} bound to 127.0.0.1 on a free port, for black-box tests of the server.
 *
 * <p>Routes under {@code /api/busi/} (POST or GET): {@code TransIn}, {@code TransOut}, {@code TransInRevert},
 * {@code TransOutRevert}, {@code TransInConfirm}, {@code TransOutConfirm}; the old-style {@code ...Old}
 * variants that answer 200 {@code {"dtm_result":<result>}}; {@code QueryPrepared} (the msg back-check);
 * {@code TransOutHeaderYes} (500 unless header {@code test_header} is present) and {@code TransOutHeaderNo}
 * (500 if it is present); {@code TransInTccNested} (a TCC try that registers and tries sub-branch
 * TransIn/TransInConfirm/TransInRevert of the same transaction through the SDK, on the server named by its
 * {@code dtm} query parameter).
 *
 * <p>The result of a call is the first non-empty of: the one-shot switch of its business op
 * ({@link #setOnce}, {@link #setTimes}; an {@code ...Old} route shares the switch of its plain route, as in
 * DTM), the payload field ({@code trans_in_result} for TransIn, {@code trans_out_Result} with a capital R for
 * TransOut), and {@code SUCCESS}. SUCCESS is 200, FAILURE 409 with {@code reason:<failure reason>} in the
 * body, ONGOING 425, ERROR 500. Every body is non-empty JSON.
 *
 * <p>Every request is recorded (the newest {@value #MAX_RECORDED}). Thread-safe.
 */
final class BusiService implements AutoCloseable {
    static final String PREFIX = "/api/busi/";
    static final int MAX_RECORDED = 10_000;
    static final Set<String> RESULTS = Set.of("SUCCESS", "FAILURE", "ONGOING", "ERROR");
    /** A held request gives up after this long even if nobody releases it, so no thread hangs for ever. */
    private static final Duration MAX_HOLD = Duration.ofSeconds(120);
    private static final int MAX_BODY = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> SWITCH_OF = switches();

    private final HttpServer server;
    private final ExecutorService pool;
    private final Map<String, Deque<String>> scripted = new HashMap<>();
    private final Map<String, Deque<Hold>> holds = new HashMap<>();
    private final List<Hold> allHolds = new CopyOnWriteArrayList<>();
    private final Deque<BusiRequest> recorded = new ArrayDeque<>();
    private String failureReason = "FAILURE from busi";

    /** One request as the busi saw it. Header names are lower case. */
    record BusiRequest(String method, String endpoint, Map<String, String> query, Map<String, String> headers,
                       String body) {
        String gid() {
            return query.getOrDefault("gid", "");
        }

        String op() {
            return query.getOrDefault("op", "");
        }

        String branchId() {
            return query.getOrDefault("branch_id", "");
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** A request held on its way in until {@link #release()}; see {@link #holdNext}. */
    static final class Hold {
        private final CountDownLatch arrived = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);

        /** Waits up to {@code max} for the held request to arrive; true if it did. */
        boolean awaitArrived(Duration max) throws InterruptedException {
            return arrived.await(max.toMillis(), TimeUnit.MILLISECONDS);
        }

        boolean arrived() {
            return arrived.getCount() == 0;
        }

        /** Lets the held request (and a later one that would have been held) go on. */
        void release() {
            released.countDown();
        }

        private void holdHere() {
            arrived.countDown();
            try {
                released.await(MAX_HOLD.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private BusiService(HttpServer server, ExecutorService pool) {
        this.server = server;
        this.pool = pool;
    }

    /** Starts a busi on 127.0.0.1 and a free port. */
    static BusiService start() {
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(32, r -> {
            Thread t = new Thread(r, "busi-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            BusiService busi = new BusiService(server, pool);
            server.setExecutor(pool);
            server.createContext("/", busi::handle);
            server.start();
            return busi;
        } catch (IOException e) {
            pool.shutdownNow();
            throw new UncheckedIOException("cannot start the busi service on 127.0.0.1", e);
        }
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** The URL prefix of the routes, like DTM's {@code busi.Busi}: {@code http://127.0.0.1:<port>/api/busi}. */
    String url() {
        return "http://127.0.0.1:" + port() + "/api/busi";
    }

    /** The next call of business op {@code op} (e.g. {@code TransIn}, {@code QueryPrepared}) answers {@code result}. */
    synchronized void setOnce(String op, String result) {
        setTimes(op, result, 1);
    }

    /** The next {@code times} calls of business op {@code op} answer {@code result}. */
    synchronized void setTimes(String op, String result, int times) {
        requireSwitch(op);
        if (!RESULTS.contains(result)) {
            throw new IllegalArgumentException("result must be one of " + RESULTS + ", got " + result);
        }
        Deque<String> q = scripted.computeIfAbsent(op, k -> new ArrayDeque<>());
        for (int i = 0; i < times; i++) {
            q.add(result);
        }
    }

    /** The text put after {@code reason:} in FAILURE bodies (DTM's {@code MainSwitch.FailureReason}). */
    synchronized void setFailureReason(String reason) {
        this.failureReason = reason;
    }

    /** The next call of business op {@code op} waits (after being recorded) until the returned hold is released. */
    synchronized Hold holdNext(String op) {
        requireSwitch(op);
        Hold h = new Hold();
        holds.computeIfAbsent(op, k -> new ArrayDeque<>()).add(h);
        allHolds.add(h);
        return h;
    }

    /** Every recorded request, oldest first. */
    synchronized List<BusiRequest> requests() {
        return List.copyOf(recorded);
    }

    /** The recorded requests to one route (e.g. {@code TransInOld}), oldest first. */
    synchronized List<BusiRequest> requests(String endpoint) {
        return recorded.stream().filter(r -> r.endpoint().equals(endpoint)).toList();
    }

    /** The routes called so far, oldest first. */
    synchronized List<String> endpoints() {
        return recorded.stream().map(BusiRequest::endpoint).toList();
    }

    synchronized long count(String endpoint) {
        return recorded.stream().filter(r -> r.endpoint().equals(endpoint)).count();
    }

    /** Waits up to {@code max} until a recorded request matches; true if one did. */
    synchronized boolean awaitRequest(Predicate<BusiRequest> match, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (recorded.stream().noneMatch(match)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /** Forgets switches, holds (releasing them) and records. */
    synchronized void reset() {
        scripted.clear();
        holds.clear();
        allHolds.forEach(Hold::release);
        allHolds.clear();
        recorded.clear();
        failureReason = "FAILURE from busi";
    }

    @Override
    public void close() {
        allHolds.forEach(Hold::release);
        server.stop(0);
        pool.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            String path = ex.getRequestURI().getPath();
            if (!path.startsWith(PREFIX)) {
                reply(ex, 404, "{\"message\":\"no such busi route: " + path + "\"}");
                return;
            }
            String endpoint = path.substring(PREFIX.length());
            String body = readBody(ex.getRequestBody());
            BusiRequest req = new BusiRequest(ex.getRequestMethod(), endpoint, query(ex.getRequestURI().getRawQuery()),
                    headers(ex), body);
            String op = SWITCH_OF.get(endpoint);
            if (op == null) {
                record(req);
                reply(ex, 404, "{\"message\":\"no such busi route: " + endpoint + "\"}");
                return;
            }
            Hold hold;
            synchronized (this) {
                record(req);
                Deque<Hold> q = holds.get(op);
                hold = q == null ? null : q.poll();
            }
            if (hold != null) {
                hold.holdHere();
            }
            answer(ex, req, op);
        } finally {
            ex.close();
        }
    }

    private void answer(HttpExchange ex, BusiRequest req, String op) throws IOException {
        String endpoint = req.endpoint();
        if (endpoint.equals("TransInTccNested")) {
            tccNested(ex, req);
            return;
        }
        if (endpoint.equals("TransOutHeaderNo")) {
            if (req.header("test_header") != null) {
                reply(ex, 500, "{\"message\":\"test_header found in TransOutHeaderNo\"}");
            } else {
                reply(ex, 200, "{\"dtm_result\":\"SUCCESS\"}");
            }
            return;
        }
        if (endpoint.equals("TransOutHeaderYes") && req.header("test_header") == null) {
            reply(ex, 500, "{\"message\":\"no test_header found in TransOutHeaderYes\"}");
            return;
        }
        String result = resultFor(op, req.body());
        if (endpoint.endsWith("Old")) {
            if (result.equals("ERROR")) {
                reply(ex, 500, "{\"message\":\"ERROR from user\"}");
            } else {
                reply(ex, 200, "{\"dtm_result\":\"" + result + "\"}");
            }
            return;
        }
        switch (result) {
            case "FAILURE" -> reply(ex, 409, JSON.createObjectNode().put("dtm_result", "FAILURE")
                    .put("message", "reason:" + failureReason()).toString());
            case "ONGOING" -> reply(ex, 425, "{\"dtm_result\":\"ONGOING\",\"message\":\"ONGOING\"}");
            case "ERROR" -> reply(ex, 500, "{\"message\":\"ERROR from user\"}");
            default -> reply(ex, 200, "{\"dtm_result\":\"SUCCESS\"}");
        }
    }

    /** DTM's TransInTccNested: {@code TccFromQuery}, then {@code CallBranch} of TransIn with the request's amount. */
    private void tccNested(HttpExchange ex, BusiRequest req) throws IOException {
        try (DtmClient dtm = DtmClient.http(req.query().getOrDefault("dtm", ""))) {
            int amount = JSON.readTree(req.body()).path("amount").asInt();
            String body = Tcc.fromBranch(dtm, req.query()).callBranch(GoTrans.transReq(amount, "", ""),
                    url() + "/TransIn", url() + "/TransInConfirm", url() + "/TransInRevert");
            reply(ex, 200, body);
        } catch (DtmFailureException e) {
            reply(ex, 409, JSON.createObjectNode().put("dtm_result", "FAILURE").put("message", e.getMessage())
                    .toString());
        } catch (DtmOngoingException e) {
            reply(ex, 425, "{\"dtm_result\":\"ONGOING\",\"message\":\"ONGOING\"}");
        } catch (RuntimeException e) {
            reply(ex, 500, JSON.createObjectNode().put("message", String.valueOf(e.getMessage())).toString());
        }
    }

    private synchronized String failureReason() {
        return failureReason;
    }

    /** First non-empty of: the one-shot switch, the payload field, SUCCESS (DTM's handleGeneralBusiness). */
    private String resultFor(String op, String body) {
        String switched;
        synchronized (this) {
            Deque<String> q = scripted.get(op);
            switched = q == null ? null : q.poll();
        }
        if (switched != null) {
            return switched;
        }
        String field = op.equals("TransIn") ? "trans_in_result" : op.equals("TransOut") ? "trans_out_Result" : null;
        if (field != null && !body.isBlank()) {
            try {
                JsonNode payload = JSON.readTree(body);
                String v = payload != null && payload.hasNonNull(field) ? payload.get(field).asText() : "";
                if (!v.isEmpty()) {
                    return v;
                }
            } catch (IOException e) {
                // not a TransReq payload (e.g. a legacy body): no payload result
            }
        }
        return "SUCCESS";
    }

    private void record(BusiRequest req) {
        synchronized (this) {
            recorded.add(req);
            while (recorded.size() > MAX_RECORDED) {
                recorded.poll();
            }
            notifyAll();
        }
    }

    private static void requireSwitch(String op) {
        if (!SWITCH_OF.containsValue(op)) {
            throw new IllegalArgumentException("no busi switch named " + op + "; use one of "
                    + Set.copyOf(SWITCH_OF.values()));
        }
    }

    private static Map<String, String> switches() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String op : List.of("TransIn", "TransOut", "TransInConfirm", "TransOutConfirm", "TransInRevert",
                "TransOutRevert")) {
            m.put(op, op);
            m.put(op + "Old", op);
        }
        m.put("QueryPrepared", "QueryPrepared");
        m.put("TransOutHeaderYes", "TransOut");
        m.put("TransOutHeaderNo", "TransOutHeaderNo");
        m.put("TransInTccNested", "TransInTccNested");
        return Map.copyOf(m);
    }

    private static String readBody(InputStream in) throws IOException {
        byte[] b = in.readNBytes(MAX_BODY);
        return new String(b, StandardCharsets.UTF_8);
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

    private static Map<String, String> headers(HttpExchange ex) {
        Map<String, String> m = new TreeMap<>();
        ex.getRequestHeaders().forEach((k, v) -> m.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
        return m;
    }

    private static void reply(HttpExchange ex, int status, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }
}
