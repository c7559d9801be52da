package io.dtm4j.client.xa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.client.DtmOngoingException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * DTM's XA busi endpoints on a JDK HttpServer: {@code POST /api/busi/TransOutXa} moves {@code amount} out of
 * user 1 and {@code /TransInXa} into user 2, each through {@link XaBranch} (phase one for {@code op=action},
 * phase two for commit/rollback on the same URL). The request body is DTM's {@code ReqHTTP}; a
 * {@code trans_out_Result} / {@code trans_in_result} of {@code FAILURE} makes the work throw a business failure
 * (409), {@code ERROR} a plain error (500). Answers 200 {@code {"dtm_result":"SUCCESS"}}, 409, 425 or 500.
 */
final class XaBusi implements AutoCloseable {
    static final String PREFIX = "/api/busi";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Runs before each request is handled, e.g. to hold a phase-two call. */
    @FunctionalInterface
    interface Hook {
        void before(String endpoint, Map<String, String> query) throws InterruptedException;
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "xa-busi");
        t.setDaemon(true);
        return t;
    });
    private final XaBranch xa;
    private final String accounts;
    private final List<String> requests = new ArrayList<>();
    private volatile Hook hook = (e, q) -> { };

    private XaBusi(HttpServer server, XaBranch xa, String accounts) {
        this.server = server;
        this.xa = xa;
        this.accounts = accounts;
        server.createContext(PREFIX + "/TransOutXa", ex -> handle(ex, "TransOutXa"));
        server.createContext(PREFIX + "/TransInXa", ex -> handle(ex, "TransInXa"));
        server.setExecutor(threads);
        server.start();
    }

    /** Starts the service on 127.0.0.1:{@code port} (0: any free port). */
    static XaBusi start(XaBranch xa, String accountsTable, int port) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        return new XaBusi(s, xa, accountsTable);
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + PREFIX;
    }

    int port() {
        return server.getAddress().getPort();
    }

    void hook(Hook value) {
        this.hook = value;
    }

    /** Requests so far as {@code "<endpoint> <branch_id> <op>"}, in arrival order. */
    synchronized List<String> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange ex, String endpoint) throws IOException {
        int status;
        String body;
        try (ex) {
            Map<String, String> query = parseQuery(ex.getRequestURI().getRawQuery());
            synchronized (this) {
                requests.add(endpoint + " " + query.get("branch_id") + " " + query.get("op"));
            }
            byte[] in;
            try (InputStream is = ex.getRequestBody()) {
                in = is.readAllBytes();
            }
            try {
                hook.before(endpoint, query);
                JsonNode req = in.length == 0 ? JSON.createObjectNode() : JSON.readTree(in);
                xa.handle(query, c -> {
                    String forced = req.path(endpoint.equals("TransInXa") ? "trans_in_result" : "trans_out_Result")
                            .asText("");
                    if (forced.equals("FAILURE")) {
                        throw new DtmFailureException("reason:" + endpoint + " refused");
                    }
                    if (forced.equals("ERROR")) {
                        throw new IllegalStateException(endpoint + " broke");
                    }
                    long amount = req.path("amount").asLong();
                    XaTestDb.adjustBalance(c, accounts, endpoint.equals("TransInXa") ? 2 : 1,
                            endpoint.equals("TransInXa") ? amount : -amount);
                });
                status = 200;
                body = "{\"dtm_result\":\"SUCCESS\"}";
            } catch (DtmFailureException e) {
                status = 409;
                body = "{\"error\":" + JSON.writeValueAsString(e.getMessage()) + "}";
            } catch (DtmOngoingException e) {
                status = 425;
                body = "{\"error\":\"ONGOING\"}";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                status = 500;
                body = "{\"error\":\"interrupted\"}";
            } catch (Exception e) {
                status = 500;
                body = "{\"error\":" + JSON.writeValueAsString(String.valueOf(e.getMessage())) + "}";
            }
            byte[] out = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, out.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(out);
            }
        }
    }

    /** The query parameters, URL-decoded, first value of each name. */
    static Map<String, String> parseQuery(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.putIfAbsent(k, v);
        }
        return out;
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
