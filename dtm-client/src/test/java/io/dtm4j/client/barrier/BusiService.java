package io.dtm4j.client.barrier;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.core.BranchResult;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bank business service on the JDK HTTP server, after DTM's {@code test/busi} barrier handlers
 * ({@code spec/clients-and-barrier.md} 12.3): every handler adjusts {@code user_account} of the store named in
 * its payload behind a {@link BranchBarrier} on that store's barrier table. Answers 200
 * {@code {"dtm_result":"SUCCESS"}}, 409 for a {@link DtmFailureException}, 500 for anything else.
 *
 * <p>Saga: {@code SagaBTransOut/SagaBTransOutCom/SagaBTransIn/SagaBTransInCom}. TCC: {@code TccBTransOutTry}
 * freezes with a negative {@code trading_balance} (never below the balance), confirm moves it to the balance,
 * cancel releases it; {@code TccBTransInTry} only checks, confirm credits. Msg back-check:
 * {@code GET QueryPreparedB?store=}. A payload {@code "result":"FAILURE"} fails TransIn inside its barrier.
 */
final class BusiService implements AutoCloseable {
    /** A branch payload: which account of which store moves by how much. */
    record Transfer(String store, int userId, long amount, String result) {
        Transfer(String store, int userId, long amount) {
            this(store, userId, amount, "");
        }
    }

    /** A guarded business change. */
    @FunctionalInterface
    private interface Handler {
        BarrierOutcome handle(BranchBarrier barrier, TestDatabase db, Transfer t) throws Exception;
    }

    private final Map<String, TestDatabase> stores;
    private final ObjectMapper json = new ObjectMapper();
    private final ExecutorService threads = Executors.newFixedThreadPool(16);
    private final HttpServer server;
    /** Counts per {@code op:outcome} (e.g. {@code compensate:NULL_COMPENSATION}, {@code action:ERROR}). */
    final Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
    /** Counts of the errors answered 500, per exception class and SQL state. */
    final Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
    /** A balance check constraint fired: the business let an account go negative. */
    final AtomicInteger constraintViolations = new AtomicInteger();

    BusiService(Map<String, TestDatabase> stores) throws IOException {
        this.stores = Map.copyOf(stores);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(threads);
        route("SagaBTransOut", (b, db, t) -> b.call(db.dataSource(), c -> move(c, db, t.userId(), -t.amount())));
        route("SagaBTransOutCom", (b, db, t) -> b.call(db.dataSource(), c -> move(c, db, t.userId(), t.amount())));
        route("SagaBTransIn", (b, db, t) -> b.call(db.dataSource(), c -> {
            failIfAsked(t);
            move(c, db, t.userId(), t.amount());
        }));
        route("SagaBTransInCom", (b, db, t) -> b.call(db.dataSource(), c -> move(c, db, t.userId(), -t.amount())));
        route("TccBTransOutTry", (b, db, t) -> b.call(db.dataSource(), c -> freeze(c, db, t.userId(), t.amount())));
        route("TccBTransOutConfirm", (b, db, t) -> b.call(db.dataSource(),
                c -> settle(c, db, t.userId(), -t.amount(), t.amount())));
        route("TccBTransOutCancel", (b, db, t) -> b.call(db.dataSource(),
                c -> settle(c, db, t.userId(), 0, t.amount())));
        route("TccBTransInTry", (b, db, t) -> b.call(db.dataSource(), c -> failIfAsked(t)));
        route("TccBTransInConfirm", (b, db, t) -> b.call(db.dataSource(),
                c -> settle(c, db, t.userId(), t.amount(), 0)));
        route("TccBTransInCancel", (b, db, t) -> b.call(db.dataSource(), c -> { }));
        server.createContext("/api/busi/QueryPreparedB", this::queryPrepared);
        server.start();
    }

    /** The URL of a route, e.g. {@code url("SagaBTransIn")}. */
    String url(String route) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/busi/" + route;
    }

    /** The back-check URL of a store. */
    String queryPreparedUrl(String store) {
        return url("QueryPreparedB") + "?store=" + store;
    }

    int count(String op, String outcome) {
        AtomicInteger n = outcomes.get(op + ":" + outcome);
        return n == null ? 0 : n.get();
    }

    private void route(String name, Handler handler) {
        server.createContext("/api/busi/" + name, exchange -> {
            Map<String, String> query = query(exchange);
            String op = query.getOrDefault("op", "?");
            try {
                Transfer t = json.readValue(exchange.getRequestBody().readAllBytes(), Transfer.class);
                TestDatabase db = store(t.store());
                BranchBarrier barrier = db.barrier().query(query).build();
                BarrierOutcome o = handler.handle(barrier, db, t);
                record(op, o.name());
                reply(exchange, 200, "{\"dtm_result\":\"SUCCESS\"}");
            } catch (Exception e) {
                replyError(exchange, op, e);
            }
        });
    }

    private void queryPrepared(HttpExchange exchange) throws IOException {
        Map<String, String> query = query(exchange);
        try {
            TestDatabase db = store(query.getOrDefault("store", ""));
            BranchResult r = db.barrier().query(query).build().queryPrepared(db.dataSource());
            record("queryPrepared", r.name());
            if (r == BranchResult.SUCCESS) {
                reply(exchange, 200, "{\"dtm_result\":\"SUCCESS\"}");
            } else {
                reply(exchange, 409, "{\"dtm_result\":\"FAILURE\"}");
            }
        } catch (Exception e) {
            replyError(exchange, "queryPrepared", e);
        }
    }

    private void replyError(HttpExchange exchange, String op, Exception e) throws IOException {
        if (e instanceof DtmFailureException) {
            record(op, "FAILURE");
            reply(exchange, 409, "{\"dtm_result\":\"FAILURE\"}");
            return;
        }
        if (e instanceof SQLException s && ("23514".equals(s.getSQLState()) || s.getErrorCode() == 4025)) {
            constraintViolations.incrementAndGet();
        }
        record(op, "ERROR");
        String kind = e.getClass().getSimpleName() + (e instanceof SQLException s ? "/" + s.getSQLState() : "");
        errors.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
        // The body must not contain FAILURE or ONGOING, which the coordinator would read as results.
        reply(exchange, 500, "{\"error\":\"" + e.getClass().getSimpleName() + "\"}");
    }

    private void record(String op, String outcome) {
        outcomes.computeIfAbsent(op + ":" + outcome, k -> new AtomicInteger()).incrementAndGet();
    }

    private TestDatabase store(String name) {
        TestDatabase db = stores.get(name);
        if (db == null) {
            throw new IllegalArgumentException("unknown store '" + name + "'");
        }
        return db;
    }

    private static void failIfAsked(Transfer t) {
        if ("FAILURE".equals(t.result())) {
            throw new DtmFailureException("user " + t.userId() + ": refused by request");
        }
    }

    private static void move(Connection c, TestDatabase db, int user, long delta) throws SQLException {
        TestDatabase.adjustBalance(c, db.accountTable(), user, delta);
    }

    /** TCC try of a debit: freeze {@code amount}, never more than the balance minus what is frozen already. */
    private static void freeze(Connection c, TestDatabase db, int user, long amount) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update " + db.accountTable() + " set trading_balance = "
                + "trading_balance - ? where user_id = ? and balance + trading_balance - ? >= 0")) {
            ps.setLong(1, amount);
            ps.setInt(2, user);
            ps.setLong(3, amount);
            if (ps.executeUpdate() != 1) {
                throw new DtmFailureException("user " + user + ": insufficient balance to freeze " + amount);
            }
        }
    }

    /** TCC confirm / cancel: adds {@code balanceDelta} to the balance and {@code tradingDelta} to the frozen part. */
    private static void settle(Connection c, TestDatabase db, int user, long balanceDelta, long tradingDelta)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update " + db.accountTable() + " set balance = balance + ?, "
                + "trading_balance = trading_balance + ? where user_id = ?")) {
            ps.setLong(1, balanceDelta);
            ps.setLong(2, tradingDelta);
            ps.setInt(3, user);
            ps.executeUpdate();
        }
    }

    private static Map<String, String> query(HttpExchange exchange) {
        Map<String, String> out = new LinkedHashMap<>();
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw == null) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            out.putIfAbsent(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return out;
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
