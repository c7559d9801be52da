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
import io.dtm4j.server.HostileHttp.Answer;
import io.dtm4j.server.HostileHttp.Header;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeTry;
import net.jqwik.api.statistics.Statistics;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
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
 * and the server still answers {@code /api/ping}. jqwik prints each property's seed; replay one with
 * {@code @Property(seed = "...")}. Edge cases are off: the generators list their corner cases themselves, and jqwik's
 * mix-in of every combination of them took a quarter of the tries.
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

    /** One transaction of each kind and status a route acts on; the saga stays submitted (its action is ONGOING). */
    @BeforeTry
    void seed() {
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

    @AfterProperty
    void close() {
        f.close();
        if (withTokens != null) {
            withTokens.close();
        }
    }

    @Example
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

    @Example
    void eachBaseRequestSucceeds() {
        for (HostileRoute r : HostileRoute.values()) {
            seed();
            Answer a = send(HostileHttp.json(r.method, r.target(), utf8(r.body)));
            assertThat(a.status()).as("%s: %s", r, a).isEqualTo(200);
        }
    }

    @Provide
    Arbitrary<HostileGen.Sent> routedBodies() {
        // Mostly the routes that read a body; the others must ignore one.
        Arbitrary<HostileRoute> route = Arbitraries.frequencyOf(Tuple.of(6, Arbitraries.of(HostileRoute.class)
                .filter(r -> !r.body.isEmpty())), Tuple.of(1, Arbitraries.of(HostileRoute.class)));
        return route.flatMap(r -> HostileGen.bodies(r).map(b -> new HostileGen.Sent(r, b)));
    }

    @Provide
    Arbitrary<String> contentTypes() {
        return Arbitraries.of("application/json", "application/json; charset=utf-8", "text/plain",
                "application/x-www-form-urlencoded", "application/json; charset=utf-16", "", "*/*; q=0");
    }

    /**
     * Every route, its valid body edited (keys set to values of the wrong type, nulls, nesting, huge numbers, unicode,
     * NUL, lone surrogates, embedded JSON; keys removed) and damaged (truncated, NUL or a bad byte inserted, invalid
     * UTF-8, a BOM, garbage after it), or replaced (any JSON value, nesting up to 20,000 deep, random bytes): an
     * answer from dtm4j, JSON, and a transaction that it created has all the branches its steps asked for.
     */
    @Property(tries = 500, edgeCases = EdgeCasesMode.NONE)
    void generatedBodiesOnEveryRoute(@ForAll("routedBodies") HostileGen.Sent sent,
                                     @ForAll("contentTypes") String contentType) {
        HostileRoute r = sent.route();
        Set<String> before = storedGids();
        String snapshot = HostileChecks.snapshot(f.coordinator);
        byte[] request = HostileHttp.request(r.method, r.target(), List.of(new Header("Content-Type", contentType)),
                sent.body(), true);
        Answer a = send(request);
        HostileChecks.assertAnswered(a, request);
        if (r.path.startsWith(API)) {
            HostileChecks.assertJson(a);
        }
        afterEveryTry(a, snapshot);
        if (a.status() == 200 && r.creates()) {
            assertCreatedWhole(DtmJson.parseTransRequest(sent.body()), before);
        }
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

    @Provide
    Arbitrary<HostileRoute> gidRoutes() {
        return Arbitraries.of(HostileRoute.class).filter(r -> r.gidAt != HostileRoute.GidAt.NONE);
    }

    @Provide
    Arbitrary<String> gids() {
        return HostileGen.gids();
    }

    /**
     * A gid is taken exactly as sent (after DTM's removal of CR, LF and ';') when it is 1-128 characters of the safe
     * alphabet, and refused with a 400 naming the gid otherwise, with nothing stored.
     */
    @Property(tries = 500, edgeCases = EdgeCasesMode.NONE)
    void injectionGidsOnEveryGidRoute(@ForAll("gidRoutes") HostileRoute r, @ForAll("gids") String gid) {
        String received = r.gidAt == HostileRoute.GidAt.BODY ? gid
                : URLDecoder.decode(URLEncoder.encode(gid, StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        String cleaned = Gids.clean(received);
        Assume.that(!cleaned.startsWith("seed-"));
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

    @Provide
    Arbitrary<HostileGen.Sent> routedQueries() {
        return Arbitraries.of(HostileRoute.class).flatMap(r -> HostileGen.queries(r)
                .map(q -> new HostileGen.Sent(r, utf8(q))));
    }

    /**
     * Repeated keys, bad %-escapes, raw spaces, CRLF and non-ASCII, values up to 70,000 characters: an answer below
     * 500 (the JDK server itself refuses what is not a valid request line); the connection is only dropped for a
     * request line past the JDK's limit on a request's head.
     */
    @Property(tries = 400, edgeCases = EdgeCasesMode.NONE)
    void generatedQueryStrings(@ForAll("routedQueries") HostileGen.Sent sent) {
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
    }

    @Provide
    Arbitrary<String> methods() {
        return Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.of("GET", "POST")), Tuple.of(2, Arbitraries.of("PUT",
                "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE", "CONNECT")), Tuple.of(1, Arbitraries.of("post", "get",
                "FOO", "G\u00c9T", "POST\u0000", "X".repeat(300))));
    }

    @Provide
    Arbitrary<List<Header>> headers() {
        return HostileGen.headers();
    }

    @Provide
    Arbitrary<Length> lengths() {
        return HostileGen.lengths();
    }

    /**
     * Odd methods, many or long headers, odd Content-Type, lengths that lie (shorter, longer, negative, twice,
     * chunked with bad chunks): an answer below 500, the JDK's own 4xx, or a closed connection; never a hang.
     */
    @Property(tries = 400, edgeCases = EdgeCasesMode.NONE)
    void generatedHeadersAndMethods(@ForAll HostileRoute r, @ForAll("methods") String method,
                                    @ForAll("headers") List<Header> headers, @ForAll("lengths") Length length) {
        String snapshot = HostileChecks.snapshot(f.coordinator);
        byte[] request = HostileGen.request(method, r.target(), headers, utf8(r.body), length);
        Answer a = send(request);
        HostileChecks.assertSane(a, request);
        afterEveryTry(a, snapshot);
    }

    @Provide
    Arbitrary<List<Header>> credentials() {
        Arbitrary<String> auth = Arbitraries.of("Bearer " + OPERATOR, "Bearer " + VIEWER, "Bearer " + CLIENT,
                "bearer " + OPERATOR, "Bearer  " + OPERATOR, "Bearer " + OPERATOR + " ", "Bearer", "Bearer ",
                "Basic " + OPERATOR, "Bearer " + OPERATOR.substring(1), "Bearer " + OPERATOR + "\u0000",
                "Bearer ' OR '1'='1", "Bearer " + "A".repeat(5000), "Bearer é");
        Arbitrary<Header> header = Arbitraries.frequencyOf(
                Tuple.of(4, auth.map(v -> new Header("Authorization", v))),
                Tuple.of(1, Arbitraries.of("http://127.0.0.1", "http://evil.example", "null", "").map(
                        v -> new Header("Origin", v))),
                Tuple.of(1, Arbitraries.of("cross-site", "same-origin", "none").map(
                        v -> new Header("Sec-Fetch-Site", v))));
        return header.list().ofMaxSize(3);
    }

    /** With tokens configured: any Authorization, Origin or Sec-Fetch-Site is answered (401/403 JSON or 200). */
    @Property(tries = 200, edgeCases = EdgeCasesMode.NONE)
    void credentialsAndOriginsWithTokens(@ForAll HostileRoute r, @ForAll("credentials") List<Header> headers) {
        if (withTokens == null) {
            withTokens = new RouteFixture(b -> b.tokens(List.of("op:operator:" + OPERATOR, "view:viewer:" + VIEWER,
                    "svc:api:" + CLIENT)));
        }
        withTokens.memory.deleteAll();
        byte[] request = HostileGen.request(r.method, r.target(), headers, utf8(r.body), Length.EXACT);
        Answer a = HostileHttp.exchange(withTokens.server.port(), request);
        HostileChecks.assertAnswered(a, request);
        if (a.status() == 401 || a.status() == 403) {
            assertThat(withTokens.memory.list(ListQuery.firstPage()).transactions()).isEmpty();
        }
        withTokens.assertAlive();
    }

    @Provide
    Arbitrary<String> paths() {
        Arbitrary<String> name = Arbitraries.strings().withCharRange('a', 'z').withCharRange('0', '9').withChars('-',
                '_').ofMinLength(1).ofMaxLength(2000);
        Arbitrary<String> asset = Combinators.combine(name, Arbitraries.of("js", "css", "png", "ico", "svg", "html",
                "class", "xml", "properties", "MF", "sql")).as((n, ext) -> "/" + n + "." + ext);
        Arbitrary<String> routePath = Combinators.combine(Arbitraries.of(HostileRoute.class), Arbitraries.of("/", "//",
                "/.", "/..", ";x=1", "%00", "%2F", "%2e%2e", "\u00e9", "%C3%A9", "/extra", "?"))
                .as((r, odd) -> r.path + odd);
        return Arbitraries.frequencyOf(
                Tuple.of(4, asset),
                Tuple.of(3, routePath),
                Tuple.of(1, Arbitraries.of(HostileRoute.class).map(r -> r.path.toUpperCase(Locale.ROOT))),
                Tuple.of(2, Arbitraries.of("/", "/admin", "/admin/", "/admin/x/y", "/app.js", "/index.html",
                        "/logback.xml", "/io/dtm4j/server/admin/app.js", "/../../etc/passwd", "/%2e%2e/etc/passwd",
                        "/admin/../logback.xml", "//app.js", "/app.js/", "/app.js%00.png", "/META-INF/MANIFEST.MF",
                        "/api", "/api/", "/api/dtmsvr", "/api/dtmsvr/", "*", "/favicon.ico")),
                Tuple.of(1, name.map(n -> "/admin/" + n)));
    }

    /**
     * Odd paths: route paths with extra slashes, dots or escapes, the admin UI's paths, and asset names that do
     * not exist, some 2,000 characters long. Never a 5xx; never a file from outside the UI; and the UI's cache holds
     * the files it ships and nothing for a name that a client made up.
     */
    @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
    void generatedPaths(@ForAll("paths") String path, @ForAll boolean head) {
        uiCache().clear();
        String snapshot = HostileChecks.snapshot(f.coordinator);
        byte[] request = HostileHttp.request(head ? "HEAD" : "GET", path, List.of(), new byte[0], false);
        Answer a = send(request);
        HostileChecks.assertSane(a, request);
        assertThat(a.text()).as("a file from outside the admin UI").doesNotContain("<configuration", "Manifest-");
        assertThat(uiCache().keySet()).as("the admin UI's cache after %s", path)
                .allMatch(HostileChecks.ADMIN_FILES::contains);
        afterEveryTry(a, snapshot);
    }

    private Map<?, ?> uiCache() {
        return HostileChecks.uiCache(f.server);
    }

    /** The checks every try ends with: the store, then a ping. Counts the answers for jqwik's report. */
    private void afterEveryTry(Answer a, String snapshotBefore) {
        Statistics.label("answer").collect(a.closed() ? "closed" : a.status() + (a.fromDtm() ? "" : " (JDK)"));
        if (a.status() != 200) {
            assertThat(HostileChecks.snapshot(f.coordinator)).as("the store after %s", a).isEqualTo(snapshotBefore);
        }
        HostileChecks.assertAllWhole(f.coordinator);
        f.assertAlive();
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
