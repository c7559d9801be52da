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
import io.dtm4j.server.AccessGuard.Access;
import io.dtm4j.server.AccessGuard.Decision;
import io.dtm4j.server.AccessGuard.Listener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
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
final class ApiHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    /** How much of an oversized body is read and thrown away so the client still gets its 413. */
    private static final long DISCARD_LIMIT = 16L * 1024 * 1024;
    private static final String API = "/api/dtmsvr/";

    /**
     * A route: which method it takes, what it does, and its {@code api} label in the metrics. POST routes get the
     * body, GET routes the query.
     */
    private record Route(String method, Access access, Action action, String api) {
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
    private final AccessGuard guard;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean stopping;

    ApiHandler(DtmRoutes r, ServerMetrics metrics, int maxBodyBytes, AdminUi ui, AccessGuard guard) {
        this.maxBodyBytes = maxBodyBytes;
        this.metrics = metrics;
        this.ui = ui;
        this.guard = guard;
        get("version", Access.HEALTH, (b, q) -> r.version());
        get("newGid", Access.CLIENT, (b, q) -> r.newGid());
        post("prepare", Access.CLIENT, (b, q) -> r.prepare(b));
        post("submit", Access.CLIENT, (b, q) -> r.submit(b));
        post("abort", Access.CLIENT, (b, q) -> r.abort(b));
        post("registerBranch", Access.CLIENT, (b, q) -> r.registerBranch(b));
        post("registerTccBranch", Access.CLIENT, (b, q) -> r.registerBranch(b));
        post("registerXaBranch", Access.CLIENT, (b, q) -> r.registerBranch(b));
        post("prepareWorkflow", Access.CLIENT, (b, q) -> r.prepareWorkflow(b));
        get("query", Access.READ, (b, q) -> r.query(q));
        get("all", Access.VIEW, (b, q) -> r.all(q));
        post("forceStop", Access.OPERATE, (b, q) -> r.forceStop(b));
        post("resetNextCronTime", Access.OPERATE, (b, q) -> r.resetNextCronTime(b));
        // DTM serves it as GET; a state change must not be a GET (a link or an image could trigger it)
        post("resetCronTime", Access.OPERATE, (b, q) -> r.resetCronTime(q));
        route("/api/ping", "ANY", Access.HEALTH, (b, q) -> r.ping());
        route("/api/version", "GET", Access.HEALTH, (b, q) -> r.version());
        route("/api/ready", "GET", Access.HEALTH, (b, q) -> r.ready());
        route("/api/metrics", "GET", Access.VIEW, (b, q) -> r.metrics());
        route("/api/admin/info", "GET", Access.VIEW, (b, q) -> r.adminInfo());
    }

    private void get(String name, Access access, Action a) {
        route(API + name, "GET", access, a);
    }

    private void post(String name, Access access, Action a) {
        route(API + name, "POST", access, a);
    }

    private void route(String path, String method, Access access, Action a) {
        routes.put(path, new Route(method, access, a, ServerMetrics.apiLabel(path)));
    }

    /** The handler of one listener: the same routes, judged by the {@link AccessGuard} for that listener. */
    HttpHandler on(Listener listener) {
        return ex -> handle(ex, listener);
    }

    /** From now on every new request is answered 503; requests already running finish. */
    void stopAccepting() {
        stopping = true;
    }

    /** Requests being served now. */
    int inFlight() {
        return inFlight.get();
    }

    private void handle(HttpExchange ex, Listener listener) {
        inFlight.incrementAndGet();
        long started = System.nanoTime();
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getPath();
        Route route = routes.get(path);
        String api = route == null ? ServerMetrics.UNKNOWN_API : route.api();
        int status = 0;
        try {
            Served served;
            try {
                served = stopping
                        ? Served.unread(ApiReply.error(503, "the server is shutting down; retry on another node"))
                        : serve(ex, listener, method, path, route);
            } catch (RuntimeException e) { // a bug outside the routes: still an answer, never a dropped connection
                LOG.error("{} {}: unexpected error, answered 500", method, path, e);
                served = Served.unread(ApiReply.error(500, "internal error"));
            }
            ApiReply reply = served.reply();
            status = reply.status();
            // Counted before the reply leaves, so that a client reading /api/metrics next sees this request.
            metrics.requestServed(api, status, System.nanoTime() - started);
            if (!served.bodyClosed()) {
                // A body left unread (a request refused before reading it) would make the JDK close the
                // connection that the client then reuses and finds dead. A route that ran has read and closed
                // it; reading a closed stream would throw on every request.
                drain(ex);
            }
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

    private Served serve(HttpExchange ex, Listener listener, String method, String path, Route route)
            throws IOException {
        InetAddress remote = ex.getRemoteAddress().getAddress();
        String authorization = ex.getRequestHeaders().getFirst("Authorization");
        if (route == null && !path.startsWith("/api/") && ("GET".equals(method) || "HEAD".equals(method))) {
            Optional<ApiReply> file = ui.serve(path);
            if (file.isPresent()) {
                Decision d = guard.decide(listener, remote, authorization, Access.UI, "the admin UI");
                return Served.unread(d.allowed() ? file.get() : DeniedPage.html(d.status(), d.message()));
            }
        }
        if (route == null) {
            return Served.unread(ApiReply.error(404, "no route " + method + " " + abbreviate(path)
                    + "; the DTM API is under " + API + " (see /api/ping)"));
        }
        Decision d = guard.decide(listener, remote, authorization, route.access(), route.api());
        if (!d.allowed()) {
            if (d.status() == 401) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"dtm\"");
            }
            return Served.unread(ApiReply.error(d.status(), d.message()));
        }
        boolean headOfGet = "HEAD".equals(method) && "GET".equals(route.method());
        if (!"ANY".equals(route.method()) && !route.method().equals(method) && !headOfGet) {
            ex.getResponseHeaders().set("Allow", route.method());
            return Served.unread(ApiReply.error(405, method + " " + path + " is not allowed; use "
                    + route.method()));
        }
        if (route.access() == Access.OPERATE && crossSite(ex)) {
            String origin = ex.getRequestHeaders().getFirst("Origin");
            return Served.unread(ApiReply.error(403, "a cross-site request may not change a transaction ("
                    + (origin == null ? "Sec-Fetch-Site: cross-site" : "Origin " + abbreviate(origin))
                    + "); use the admin UI on this server"));
        }
        Ran ran = run(ex, route);
        if (route.access() == Access.OPERATE) {
            Audit.operatorAction(d.who(), remote, route.api(), ran.body(), ran.reply().status());
        }
        return new Served(ran.reply(), true);
    }

    /**
     * True when a browser sent this request from another site: its {@code Origin} is not this server's
     * {@code Host}, or it says {@code Sec-Fetch-Site: cross-site}. Service clients send neither header. Without it,
     * a page the operator opens could post to a loopback-only admin route (CSRF).
     */
    private static boolean crossSite(HttpExchange ex) {
        Headers h = ex.getRequestHeaders();
        if ("cross-site".equalsIgnoreCase(h.getFirst("Sec-Fetch-Site"))) {
            return true;
        }
        String origin = h.getFirst("Origin");
        if (origin == null) {
            return false;
        }
        String host = h.getFirst("Host");
        int scheme = origin.indexOf("://");
        return host == null || scheme < 0 || !origin.substring(scheme + 3).equalsIgnoreCase(host);
    }

    /** A reply, and whether the request body was already read and closed (by a route that ran). */
    private record Served(ApiReply reply, boolean bodyClosed) {
        static Served unread(ApiReply reply) {
            return new Served(reply, false);
        }
    }

    /** A route's reply and the body it was given (empty when none was read). */
    private record Ran(ApiReply reply, byte[] body) {
    }

    private Ran run(HttpExchange ex, Route route) throws IOException {
        byte[] body = new byte[0];
        try {
            QueryParams query;
            try {
                query = QueryParams.parse(ex.getRequestURI().getRawQuery());
                body = "POST".equals(route.method()) ? readBody(ex) : body;
            } finally {
                // The request is read, or refused: closing its stream ends the JDK's read timeout, which would
                // otherwise also cut a wait_result request whose branches run longer.
                drain(ex);
            }
            return new Ran(route.action().run(body, query), body);
        } catch (BodyTooLarge e) {
            ex.getResponseHeaders().set("Connection", "close");
            return new Ran(ApiReply.error(413, "the request body is larger than " + maxBodyBytes + " bytes"), body);
        } catch (RuntimeException e) {
            return new Ran(failed(ex, e), body);
        }
    }

    /** DTM's envelope for a route's exception (see the class comment). */
    private static ApiReply failed(HttpExchange ex, RuntimeException e) {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getPath();
        if (e instanceof InvalidRequestException) {
            return ApiReply.error(400, e.getMessage());
        }
        if (e instanceof IllegalTransitionException || e instanceof DuplicateBranchException) {
            return ApiReply.failure(e.getMessage());
        }
        if (e instanceof TransactionNotFoundException) {
            return ApiReply.error(404, e.getMessage());
        }
        if (e instanceof StoreUnavailableException) {
            LOG.warn("{} {}: store unavailable: {}", method, path, e.getMessage());
            return ApiReply.error(503, e.getMessage());
        }
        if (e instanceof DtmException) {
            LOG.warn("{} {}: {}", method, path, e.getMessage());
            return ApiReply.error(500, e.getMessage());
        }
        LOG.error("{} {}: unexpected error, answered 500", method, path, e);
        return ApiReply.error(500, "internal error");
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

    /** Reads what is left of the request body (bounded) and closes it; nothing when it is already closed. */
    private static void drain(HttpExchange ex) {
        try (InputStream in = ex.getRequestBody()) {
            discard(in);
        } catch (IOException clientGone) {
            // the client went away: sending the reply tells
        }
    }

    private static void discard(InputStream in) throws IOException {
        if (in.read() < 0) {
            return; // the usual case: the body was read whole; no buffer needed
        }
        long left = DISCARD_LIMIT - 1;
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
