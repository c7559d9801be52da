package io.dtm4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtm4j.client.wire.DtmJson;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.Gids;
import io.dtm4j.core.ListQuery;
import io.dtm4j.core.TransRequest;
import io.dtm4j.server.HostileGen.Edit;
import io.dtm4j.server.HostileGen.Length;
import io.dtm4j.server.HostileGen.Sent;
import io.dtm4j.server.HostileHttp.Answer;
import io.dtm4j.server.HostileHttp.Header;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Generated hostile input at every route of the HTTP API (issue 7, spec C2 #15-#17), in process on the in-memory
 * store. Before each try the store is emptied and seeded with one transaction of each kind (so that abort, register,
 * forceStop and the rest reach the engine); after it, whatever was sent: no 5xx and no stack trace, a JSON error
 * with a {@code message}, the store unchanged unless the answer was 200, no transaction without all its branches,
 * and the server still answers {@code /api/ping}. Inputs are seeded random draws ({@link Tries}, {@link HostileGen}):
 * each property prints its seed, and a failure names the seed, the try and the input, so that
 * {@code -Ddtm.hostile.seed=S -Ddtm.hostile.try=N} replays it. The generators list their corner cases themselves.
 */
class HostileInputProperties {
    private static final String API = "/api/dtmsvr/";
    private static final String OPERATOR = "hostile-operator-token-01";
    private static final String VIEWER = "hostile-viewer-token-0002";
    private static final String CLIENT = "hostile-client-token-0003";
    private static final List<String> SEED_BODIES = List.of(
            "{\"gid\":\"seed-msg\",\"trans_type\":\"msg\",\"steps\":[{\"action\":\"http://busi/msg\"}],"
                    + "\"payloads\":[\"{}\"],\"query_prepared\":\"http://busi/query\"}",
            "{\"gid\":\"seed-tcc\",\"trans_type\":\"tcc\"}",
            "{\"gid\":\"seed-xa\",\"trans_type\":\"xa\"}");

    private final RouteFixture f = new RouteFixture();
    private RouteFixture withTokens;
    private Tries tries;

    /** One transaction of each kind and status a route acts on; the saga stays submitted (its action is ONGOING). */
    private void seed() {
        f.memory.deleteAll();
        Coordinator c = f.coordinator;
        for (String body : SEED_BODIES) {
            c.prepare(request(body));
        }
        c.registerBranch(DtmJson.parseBranchRegistration(utf8("{\"gid\":\"seed-tcc\",\"trans_type\":\"tcc\","
                + "\"branch_id\":\"01\",\"confirm\":\"http://busi/confirm\",\"cancel\":\"http://busi/cancel\"}")));
        c.registerBranch(DtmJson.parseBranchRegistration(utf8("{\"gid\":\"seed-xa\",\"trans_type\":\"xa\","
                + "\"branch_id\":\"01\",\"url\":\"http://busi/xa\"}")));
        f.busi.once("http://busi/seed-slow", BranchResult.ONGOING);
        c.submit(request("{\"gid\":\"seed-saga\",\"trans_type\":\"saga\",\"steps\":[{\"action\":"
                + "\"http://busi/seed-slow\",\"compensate\":\"http://busi/seed-revert\"}],\"payloads\":[\"{}\"]}"));
        c.submit(request("{\"gid\":\"seed-done\",\"trans_type\":\"saga\",\"steps\":[{\"action\":\"http://busi/a\","
                + "\"compensate\":\"http://busi/b\"}],\"payloads\":[\"{}\"]}"));
        c.prepareWorkflow(request("{\"gid\":\"seed-wf\",\"trans_type\":\"workflow\"}"));
        assertThat(f.memory.findGlobal("seed-saga").orElseThrow().status()).isEqualTo(GlobalStatus.SUBMITTED);
    }

    @AfterEach
    void close() {
        f.close();
        if (withTokens != null) {
            withTokens.close();
        }
    }

    @Test
    void theRoutesAreEveryRouteOfApiHandler() throws ReflectiveOperationException {
        Map<?, ?> served = (Map<?, ?>) HostileChecks.field(ApiHandler.class, "routes")
                .get(HostileChecks.field(DtmServer.class, "handler").get(f.server));
        Set<String> ours = new TreeSet<>();
        for (HostileRoute r : HostileRoute.values()) {
            ours.add(r.path);
        }
        assertThat(ours).as("add a route of ApiHandler to HostileRoute").isEqualTo(new TreeSet<>(
                served.keySet().stream().map(Object::toString).toList()));
    }

    @Test
    void eachBaseRequestSucceeds() {
        for (HostileRoute r : HostileRoute.values()) {
            seed();
            Answer a = send(HostileHttp.json(r.method, r.target(), utf8(r.body)));
            assertThat(a.status()).as("%s: %s", r, a).isEqualTo(200);
        }
    }

    /**
     * Every route, its valid body edited (keys set to values of the wrong type, nulls, nesting, huge numbers, unicode,
     * NUL, lone surrogates, embedded JSON; keys removed) and damaged (truncated, NUL or a bad byte inserted, invalid
     * UTF-8, a BOM, garbage after it), or replaced (any JSON value, nesting up to 20,000 deep, random bytes): an
     * answer from dtm4j, JSON, and a transaction that it created has all the branches its steps asked for.
     */
    @Test
    void generatedBodiesOnEveryRoute() {
        tries("generatedBodiesOnEveryRoute", 500).forAll(HostileInputProperties::bodyTry, t -> {
            seed();
            HostileRoute r = t.sent().route();
            Set<String> before = storedGids();
            String snapshot = HostileChecks.snapshot(f.coordinator);
            byte[] request = HostileHttp.request(r.method, r.target(), List.of(new Header("Content-Type",
                    t.contentType())), t.sent().body(), true);
            Answer a = send(request);
            HostileChecks.assertAnswered(a, request);
            if (r.path.startsWith(API)) {
                HostileChecks.assertJson(a);
            }
            afterEveryTry(a, snapshot);
            if (a.status() == 200 && r.creates()) {
                assertCreatedWhole(DtmJson.parseTransRequest(t.sent().body()), before);
            }
        });
    }

    /** A body and a Content-Type for a route: mostly the routes that read a body; the others must ignore one. */
    private record BodyTry(Sent sent, String contentType) {
    }

    private static BodyTry bodyTry(HostileRandom g) {
        HostileRoute r = g.weighted(6, 1) == 0 ? g.pick(Arrays.stream(HostileRoute.values())
                .filter(route -> !route.body.isEmpty()).toList()) : g.pick(HostileRoute.class);
        Sent sent = new Sent(r, HostileGen.body(g, r));
        return new BodyTry(sent, g.pick(List.of("application/json", "application/json; charset=utf-8",
                "text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16", "",
                "*/*; q=0")));
    }

    /** A transaction that a request created has every branch its steps asked for. */
    private void assertCreatedWhole(TransRequest req, Set<String> before) {
        if (before.contains(req.gid())) {
            return;
        }
        int rowsPerStep = switch (req.transType()) {
            case SAGA -> 2;
            case MSG -> 1;
            default -> 0;
        };
        assertThat(f.memory.findBranches(req.gid())).as("branches of %s", req.gid())
                .hasSize(rowsPerStep * req.steps().size());
    }

    /**
     * A gid is taken exactly as sent (after DTM's removal of CR, LF and ';') when it is 1-128 characters of the safe
     * alphabet, and refused with a 400 naming the gid otherwise, with nothing stored.
     */
    @Test
    void injectionGidsOnEveryGidRoute() {
        List<HostileRoute> gidRoutes = Arrays.stream(HostileRoute.values())
                .filter(r -> r.gidAt != HostileRoute.GidAt.NONE).toList();
        tries("injectionGidsOnEveryGidRoute", 500).forAll(g -> new GidTry(g.pick(gidRoutes), HostileGen.gid(g)),
                t -> {
                    seed();
                    checkGid(t.route(), t.gid());
                });
    }

    private record GidTry(HostileRoute route, String gid) {
    }

    private void checkGid(HostileRoute r, String gid) {
        String received = r.gidAt == HostileRoute.GidAt.BODY ? gid
                : URLDecoder.decode(URLEncoder.encode(gid, StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        String cleaned = Gids.clean(received);
        if (cleaned.startsWith("seed-")) {
            tries.label("skipped: names a seeded transaction");
            return;
        }
        boolean valid = Gids.SAFE.matcher(cleaned).matches();
        Set<String> before = storedGids();
        String snapshot = HostileChecks.snapshot(f.coordinator);
        byte[] request = r.gidAt == HostileRoute.GidAt.BODY
                ? HostileHttp.json(r.method, r.target(), utf8(HostileGen.edited(r.body, List.of(
                        new Edit("gid", HostileGen.quote(gid))))))
                : HostileHttp.json(r.method, r.target((r == HostileRoute.ALL ? r.query + "&" : "") + "gid="
                        + URLEncoder.encode(gid, StandardCharsets.UTF_8)), new byte[0]);
        Answer a = send(request);
        HostileChecks.assertAnswered(a, request);
        JsonNode reply = HostileChecks.assertJson(a);
        afterEveryTry(a, snapshot);
        if (r == HostileRoute.ALL && received.isEmpty()) {
            assertThat(a.status()).as("%s", a).isEqualTo(200); // no gid: the list
        } else if (!valid) {
            assertThat(a.status()).as("%s", a).isEqualTo(400);
            assertThat(reply.path("message").asText()).contains("gid");
        } else if (r.creates()) {
            assertThat(a.status()).as("%s", a).isEqualTo(200);
            Set<String> added = storedGids();
            added.removeAll(before);
            assertThat(added).containsExactly(cleaned);
            assertThat(f.memory.findGlobal(cleaned).map(GlobalTransaction::gid)).hasValue(cleaned);
        } else if (r.gidAt == HostileRoute.GidAt.QUERY) {
            assertThat(a.status()).as("%s", a).isEqualTo(200);
            assertThat(reply.path(r == HostileRoute.QUERY ? "transaction" : "transactions").isEmpty())
                    .as("%s", a).isTrue();
        } else {
            assertThat(a.status()).as("%s: a valid gid that is not stored", a).isIn(404, 409);
        }
    }

    /**
     * Repeated keys, bad %-escapes, raw spaces, CRLF and non-ASCII, values up to 70,000 characters: an answer below
     * 500 (the JDK server itself refuses what is not a valid request line); the connection is only dropped for a
     * request line past the JDK's limit on a request's head.
     */
    @Test
    void generatedQueryStrings() {
        tries("generatedQueryStrings", 400).forAll(g -> {
            HostileRoute r = g.pick(HostileRoute.class);
            return new Sent(r, utf8(HostileGen.query(g, r)));
        }, sent -> {
            seed();
            HostileRoute r = sent.route();
            String snapshot = HostileChecks.snapshot(f.coordinator);
            byte[] request = HostileHttp.json(r.method, r.target(new String(sent.body(), StandardCharsets.UTF_8)),
                    utf8(r.body));
            Answer a = send(request);
            HostileChecks.assertSane(a, request);
            if (request.length < 64 * 1024) {
                assertThat(a.closed()).as("a query string never drops the connection").isFalse();
            }
            afterEveryTry(a, snapshot);
        });
    }

    /**
     * Odd methods, many or long headers, odd Content-Type, lengths that lie (shorter, longer, negative, twice,
     * chunked with bad chunks): an answer below 500, the JDK's own 4xx, or a closed connection; never a hang.
     */
    @Test
    void generatedHeadersAndMethods() {
        tries("generatedHeadersAndMethods", 400).forAll(g -> new HeaderTry(g.pick(HostileRoute.class), method(g),
                HostileGen.length(g), HostileGen.headers(g)), t -> {
                    seed();
                    String snapshot = HostileChecks.snapshot(f.coordinator);
                    byte[] request = HostileGen.request(t.method(), t.route().target(), t.headers(),
                            utf8(t.route().body), t.length());
                    Answer a = send(request);
                    HostileChecks.assertSane(a, request);
                    afterEveryTry(a, snapshot);
                });
    }

    /** The headers last: they may be long, and a failure report is cut after 2,000 chars. */
    private record HeaderTry(HostileRoute route, String method, Length length, List<Header> headers) {
    }

    private static String method(HostileRandom g) {
        return switch (g.weighted(4, 2, 1)) {
            case 0 -> g.pick(List.of("GET", "POST"));
            case 1 -> g.pick(List.of("PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE", "CONNECT"));
            default -> g.pick(List.of("post", "get", "FOO", "G\u00c9T", "POST\u0000", "X".repeat(300)));
        };
    }

    /** With tokens configured: any Authorization, Origin or Sec-Fetch-Site is answered (401/403 JSON or 200). */
    @Test
    void credentialsAndOriginsWithTokens() {
        withTokens = new RouteFixture(b -> b.tokens(List.of("op:operator:" + OPERATOR, "view:viewer:" + VIEWER,
                "svc:api:" + CLIENT)));
        tries("credentialsAndOriginsWithTokens", 200).forAll(g -> new CredentialTry(g.pick(HostileRoute.class),
                g.list(0, 3, () -> credential(g))), t -> {
                    HostileRoute r = t.route();
                    withTokens.memory.deleteAll();
                    byte[] request = HostileGen.request(r.method, r.target(), t.headers(), utf8(r.body),
                            Length.EXACT);
                    Answer a = HostileHttp.exchange(withTokens.server.port(), request);
                    HostileChecks.assertAnswered(a, request);
                    tries.label(Integer.toString(a.status()));
                    if (a.status() == 401 || a.status() == 403) {
                        assertThat(withTokens.memory.list(ListQuery.firstPage()).transactions()).isEmpty();
                    }
                    withTokens.assertAlive();
                });
    }

    private record CredentialTry(HostileRoute route, List<Header> headers) {
    }

    private static Header credential(HostileRandom g) {
        return switch (g.weighted(4, 1, 1)) {
            case 0 -> new Header("Authorization", g.pick(List.of("Bearer " + OPERATOR, "Bearer " + VIEWER,
                    "Bearer " + CLIENT, "bearer " + OPERATOR, "Bearer  " + OPERATOR, "Bearer " + OPERATOR + " ",
                    "Bearer", "Bearer ", "Basic " + OPERATOR, "Bearer " + OPERATOR.substring(1),
                    "Bearer " + OPERATOR + "\u0000", "Bearer ' OR '1'='1", "Bearer " + "A".repeat(5000),
                    "Bearer é")));
            case 1 -> new Header("Origin", g.pick(List.of("http://127.0.0.1", "http://evil.example", "null", "")));
            default -> new Header("Sec-Fetch-Site", g.pick(List.of("cross-site", "same-origin", "none")));
        };
    }

    /**
     * Odd paths: route paths with extra slashes, dots or escapes, the admin UI's paths, and asset names that do
     * not exist, some 2,000 characters long. Never a 5xx; never a file from outside the UI; and the UI's cache holds
     * the files it ships and nothing for a name that a client made up.
     */
    @Test
    void generatedPaths() {
        tries("generatedPaths", 300).forAll(g -> new PathTry(g.bool() ? "HEAD" : "GET", path(g)), t -> {
            seed();
            uiCache().clear();
            String snapshot = HostileChecks.snapshot(f.coordinator);
            byte[] request = HostileHttp.request(t.method(), t.path(), List.of(), new byte[0], false);
            Answer a = send(request);
            HostileChecks.assertSane(a, request);
            assertThat(a.text()).as("a file from outside the admin UI").doesNotContain("<configuration", "Manifest-");
            assertThat(uiCache().keySet()).as("the admin UI's cache after %s", t)
                    .allMatch(HostileChecks.ADMIN_FILES::contains);
            afterEveryTry(a, snapshot);
        });
    }

    private record PathTry(String method, String path) {
    }

    private static String path(HostileRandom g) {
        String name = g.string(HostileRandom.LOWER + HostileRandom.DIGITS + "-_", 1, 2000);
        return switch (g.weighted(4, 3, 1, 2, 1)) {
            case 0 -> "/" + name + "." + g.pick(List.of("js", "css", "png", "ico", "svg", "html", "class", "xml",
                    "properties", "MF", "sql"));
            case 1 -> g.pick(HostileRoute.class).path + g.pick(List.of("/", "//", "/.", "/..", ";x=1", "%00", "%2F",
                    "%2e%2e", "\u00e9", "%C3%A9", "/extra", "?"));
            case 2 -> g.pick(HostileRoute.class).path.toUpperCase(Locale.ROOT);
            case 3 -> g.pick(List.of("/", "/admin", "/admin/", "/admin/x/y", "/app.js", "/index.html", "/logback.xml",
                    "/io/dtm4j/server/admin/app.js", "/../../etc/passwd", "/%2e%2e/etc/passwd", "/admin/../logback.xml",
                    "//app.js", "/app.js/", "/app.js%00.png", "/META-INF/MANIFEST.MF", "/api", "/api/", "/api/dtmsvr",
                    "/api/dtmsvr/", "*", "/favicon.ico"));
            default -> "/admin/" + name;
        };
    }

    private Map<?, ?> uiCache() {
        return HostileChecks.uiCache(f.server);
    }

    /** The checks every try ends with: the store, then a ping. Counts the answers for the report of the run. */
    private void afterEveryTry(Answer a, String snapshotBefore) {
        tries.label(a.closed() ? "closed" : a.status() + (a.fromDtm() ? "" : " (JDK)"));
        if (a.status() != 200) {
            assertThat(HostileChecks.snapshot(f.coordinator)).as("the store after %s", a).isEqualTo(snapshotBefore);
        }
        HostileChecks.assertAllWhole(f.coordinator);
        f.assertAlive();
    }

    private Tries tries(String method, int count) {
        tries = Tries.of(getClass().getSimpleName() + "#" + method, count);
        return tries;
    }

    private Set<String> storedGids() {
        Set<String> out = new TreeSet<>();
        for (GlobalTransaction g : f.memory.list(new ListQuery("", ListQuery.MAX_LIMIT, Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty())).transactions()) {
            out.add(g.gid());
        }
        return out;
    }

    private Answer send(byte[] request) {
        return HostileHttp.exchange(f.server.port(), request);
    }

    private static TransRequest request(String json) {
        return DtmJson.parseTransRequest(utf8(json));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
