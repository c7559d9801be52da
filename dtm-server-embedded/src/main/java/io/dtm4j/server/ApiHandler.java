package io.dtm4j.server;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.dtm4j.core.DtmException;
import io.dtm4j.core.DuplicateBranchException;
import io.dtm4j.core.IllegalTransitionException;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.StoreUnavailableException;
import io.dtm4j.core.TransactionNotFoundException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves every request of the JDK HTTP server: finds the route, reads a capped body, runs the route and
 * turns its result or exception into DTM's envelope (spec 1.1): 400 invalid input, 404 unknown gid or route,
 * 405 wrong method, 409 FAILURE, 413 body over the cap, 425 ONGOING, 500 error, 503 store down or shutting
 * down. Unexpected exceptions are logged once with their stack trace and answered with a bare
 * "internal error". Counts every request, whatever its route, in the {@link ServerMetrics}. Thread-safe.
 */
final class ApiHandler implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    /** How much of an oversized body is read and thrown away so the client still gets its 413. */
    private static final long DISCARD_LIMIT = 16L * 1024 * 1024;
    private static final String API = "/api/dtmsvr/";

    /**
     * A route: which method it takes, what it does, and its {@code api} label in the metrics. POST routes get the
     * body, GET routes the query.
     */
    private record Route(String method, Action action, String api) {
    }

    @FunctionalInterface
    private interface Action {
        ApiReply run(byte[] body, QueryParams query);
    }

    /** Thrown while reading a body larger than the cap. */
    private static final class BodyTooLarge extends Exception {
        private static final long serialVersionUID = 1L;

        BodyTooLarge() {
            super(null, null, false, false);
        }
    }

    private final Map<String, Route> routes = new LinkedHashMap<>();
    private final int maxBodyBytes;
    private final ServerMetrics metrics;
    private final AdminUi ui;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean stopping;

    ApiHandler(DtmRoutes r, ServerMetrics metrics, int maxBodyBytes, AdminUi ui) {
        this.maxBodyBytes = maxBodyBytes;
        this.metrics = metrics;
        this.ui = ui;
        get("version", (b, q) -> r.version());
        get("newGid", (b, q) -> r.newGid());
        post("prepare", (b, q) -> r.prepare(b));
        post("submit", (b, q) -> r.submit(b));
        post("abort", (b, q) -> r.abort(b));
        post("forceStop", (b, q) -> r.forceStop(b));
        post("resetNextCronTime", (b, q) -> r.resetNextCronTime(b));
        post("registerBranch", (b, q) -> r.registerBranch(b));
        post("registerTccBranch", (b, q) -> r.registerBranch(b));
        post("registerXaBranch", (b, q) -> r.registerBranch(b));
        post("prepareWorkflow", (b, q) -> r.prepareWorkflow(b));
        get("query", (b, q) -> r.query(q));
        get("all", (b, q) -> r.all(q));
        get("resetCronTime", (b, q) -> r.resetCronTime(q));
        route("/api/ping", "ANY", (b, q) -> r.ping());
        route("/api/version", "GET", (b, q) -> r.version());
        route("/api/ready", "GET", (b, q) -> r.ready());
        route("/api/metrics", "GET", (b, q) -> r.metrics());
        route("/api/admin/info", "GET", (b, q) -> r.adminInfo());
    }

    private void get(String name, Action a) {
        route(API + name, "GET", a);
    }

    private void post(String name, Action a) {
        route(API + name, "POST", a);
    }

    private void route(String path, String method, Action a) {
        routes.put(path, new Route(method, a, ServerMetrics.apiLabel(path)));
    }

    /** From now on every new request is answered 503; requests already running finish. */
    void stopAccepting() {
        stopping = true;
    }

    /** Requests being served now. */
    int inFlight() {
        return inFlight.get();
    }

    @Override
    public void handle(HttpExchange ex) {
        inFlight.incrementAndGet();
        long started = System.nanoTime();
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getPath();
        Route route = routes.get(path);
        String api = route == null ? ServerMetrics.UNKNOWN_API : route.api();
        int status = 0;
        try {
            ApiReply reply = stopping ? ApiReply.error(503, "the server is shutting down; retry on another node")
                    : serve(ex, method, path, route);
            status = reply.status();
            // Counted before the reply leaves, so that a client reading /api/metrics next sees this request.
            metrics.requestServed(api, status, System.nanoTime() - started);
            send(ex, reply, "HEAD".equals(method));
        } catch (IOException e) {
            if (status == 0) {
                metrics.requestServed(api, 0, System.nanoTime() - started);
            }
            LOG.debug("{} {}: client went away: {}", method, path, e.toString());
        } finally {
            ex.close();
            inFlight.decrementAndGet();
            if (LOG.isDebugEnabled()) {
                LOG.debug("{} {} -> {} in {} us", method, ex.getRequestURI(), status,
                        (System.nanoTime() - started) / 1000);
            }
        }
    }

    private ApiReply serve(HttpExchange ex, String method, String path, Route route) throws IOException {
        if (route == null && !path.startsWith("/api/") && ("GET".equals(method) || "HEAD".equals(method))) {
            Optional<ApiReply> file = ui.serve(path);
            if (file.isPresent()) {
                return file.get();
            }
        }
        if (route == null) {
            return ApiReply.error(404, "no route " + method + " " + abbreviate(path)
                    + "; the DTM API is under " + API + " (see /api/ping)");
        }
        boolean headOfGet = "HEAD".equals(method) && "GET".equals(route.method());
        if (!"ANY".equals(route.method()) && !route.method().equals(method) && !headOfGet) {
            ex.getResponseHeaders().set("Allow", route.method());
            return ApiReply.error(405, method + " " + path + " is not allowed; use " + route.method());
        }
        try {
            QueryParams query = QueryParams.parse(ex.getRequestURI().getRawQuery());
            byte[] body = "POST".equals(route.method()) ? readBody(ex) : new byte[0];
            return route.action().run(body, query);
        } catch (BodyTooLarge e) {
            ex.getResponseHeaders().set("Connection", "close");
            return ApiReply.error(413, "the request body is larger than " + maxBodyBytes + " bytes");
        } catch (InvalidRequestException e) {
            return ApiReply.error(400, e.getMessage());
        } catch (IllegalTransitionException | DuplicateBranchException e) {
            return ApiReply.failure(e.getMessage());
        } catch (TransactionNotFoundException e) {
            return ApiReply.error(404, e.getMessage());
        } catch (StoreUnavailableException e) {
            LOG.warn("{} {}: store unavailable: {}", method, path, e.getMessage());
            return ApiReply.error(503, e.getMessage());
        } catch (DtmException e) {
            LOG.warn("{} {}: {}", method, path, e.getMessage());
            return ApiReply.error(500, e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("{} {}: unexpected error, answered 500", method, path, e);
            return ApiReply.error(500, "internal error");
        }
    }

    /** Reads the body up to the cap; beyond it, reads and discards a bounded amount so a 413 can be sent. */
    private byte[] readBody(HttpExchange ex) throws IOException, BodyTooLarge {
        InputStream in = ex.getRequestBody();
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        if (declared != null && declaredLength(declared) > maxBodyBytes) {
            discard(in);
            throw new BodyTooLarge();
        }
        byte[] body = in.readNBytes(maxBodyBytes + 1);
        if (body.length > maxBodyBytes) {
            discard(in);
            throw new BodyTooLarge();
        }
        return body;
    }

    private static long declaredLength(String header) {
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return -1; // the JDK server has already rejected a malformed length
        }
    }

    private static void discard(InputStream in) throws IOException {
        long left = DISCARD_LIMIT;
        byte[] buf = new byte[8192];
        int n;
        while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
            left -= n;
        }
    }

    private static void send(HttpExchange ex, ApiReply reply, boolean head) throws IOException {
        Headers h = ex.getResponseHeaders();
        h.set("Content-Type", reply.contentType());
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Cache-Control", "no-store");
        if (reply.contentType().startsWith("text/html")) {
            // The admin UI: its own scripts and styles only, never framed, no referrer to branch URLs it links.
            h.set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; "
                    + "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                    + "form-action 'none'");
            h.set("X-Frame-Options", "DENY");
            h.set("Referrer-Policy", "no-referrer");
        }
        if (head) {
            ex.sendResponseHeaders(reply.status(), -1);
            return;
        }
        ex.sendResponseHeaders(reply.status(), reply.body().length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(reply.body());
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
