package io.dtm4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtm4j.core.Gids;
import io.dtm4j.server.HostileHttp.Answer;
import io.dtm4j.server.HostileStore.Kind;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Injection strings as gids and gid prefixes, through prepare, submit, abort, registerBranch, prepareWorkflow,
 * query, all, resetNextCronTime and forceStop, against a server on each real store (spec C2 #17): a gid outside
 * {@code [A-Za-z0-9_.:@-]{1,128}} (after DTM's removal of CR, LF and ';') gets 400 from every route and nothing is
 * stored; a valid gid with {@code _ . - : @} round-trips exactly; a gid prefix with LIKE or glob meaning matches
 * literally; and afterwards, read past dtm4j, the store holds those transactions and nothing else: the same tables,
 * no kv rows, no Redis key outside the run's own.
 */
class InjectionOnEveryStoreIT {
    /** Hostile gids: each refused, since cleaning leaves something unsafe or nothing. */
    static final List<String> REFUSED = refused();
    /** Safe gids (as sent, and so as stored): all the separators, look-alikes for the prefix tests, 128 chars. */
    static final List<String> SAFE = List.of("inj_1", "inj.1", "inj-1", "inj:1", "inj@1", "injX1", "inj1", "inj__",
            "inj_a.b-c:d@e", "INJ_2", "--", "_", "@", ".", "..", ":", "CON", "inj_" + "x".repeat(124));
    /** Sent with CR, LF or ';' that DTM removes: stored without them. */
    static final List<String> CLEANED = List.of("inj;semi", "inj\r\ncrlf", "inj\nlf;;");

    private static List<String> refused() {
        Set<String> out = new LinkedHashSet<>();
        for (String s : HostileGen.INJECTIONS) {
            for (String g : List.of(s, "inj" + s, s + "-x", "inj" + s + "1")) {
                if (!Gids.SAFE.matcher(Gids.clean(g)).matches()) {
                    out.add(g);
                }
            }
        }
        out.add("x".repeat(Gids.MAX_LENGTH + 1));
        out.add("inj_" + "é".repeat(60));
        return List.copyOf(out);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void hostileGidsAreRefusedAndSafeGidsRoundTripExactly(Kind kind, @TempDir Path dir) throws Exception {
        try (HostileStore s = HostileStore.start(kind, dir)) {
            Set<String> tables = s.tables();
            for (String gid : REFUSED) {
                refusedEverywhere(s, gid);
            }
            assertThat(s.storedGids()).as("stored after the refused gids").isEmpty();
            Set<String> expected = new TreeSet<>();
            for (int i = 0; i < SAFE.size() + CLEANED.size(); i++) {
                String sent = i < SAFE.size() ? SAFE.get(i) : CLEANED.get(i - SAFE.size());
                String stored = Gids.clean(sent);
                if (i % 2 == 0) {
                    tccRoundTrip(s, sent, stored);
                } else {
                    sagaRoundTrip(s, sent, stored);
                }
                expected.add(stored);
            }
            prefixesMatchLiterally(s, expected);
            assertThat(s.storedGids()).as("gids in the store, read past dtm4j").isEqualTo(expected);
            assertThat(expected).containsAll(s.branchGids());
            assertThat(s.kvRows()).isEmpty();
            assertThat(s.tables()).as("tables").isEqualTo(tables);
            redisHoldsOnlyTheseTransactions(s, expected);
            HostileChecks.assertAllWhole(s.coordinator);
        }
    }

    /**
     * Gids are case-sensitive, as the gid rule and {@code gidPrefix} say: {@code CaseX} and {@code casex} are two
     * transactions, and an operation on one never reaches the other.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void gidsThatDifferOnlyInCaseAreTwoTransactions(Kind kind, @TempDir Path dir) throws Exception {
        try (HostileStore s = HostileStore.start(kind, dir)) {
            assertOk(post(s, "prepare", "{\"gid\":\"CaseX\",\"trans_type\":\"tcc\"}"), "prepare CaseX");
            assertOk(post(s, "prepare", "{\"gid\":\"casex\",\"trans_type\":\"xa\"}"), "prepare casex");
            assertOk(post(s, "forceStop", "{\"gid\":\"casex\"}"), "forceStop casex");
            assertThat(query(s, "CaseX", "CaseX").path("transaction").path("status").asText()).isEqualTo("prepared");
            assertThat(query(s, "casex", "casex").path("transaction").path("trans_type").asText()).isEqualTo("xa");
            assertThat(s.storedGids()).containsExactly("CaseX", "casex");
        }
    }

    /**
     * Values longer than their SQL column (url, custom_data, query_prepared, options, rollback_reason: 1024;
     * branch_id: 128) or holding NUL, which PostgreSQL's text refuses: each store either stores the transaction
     * whole (200) or refuses it (400) with nothing written; never a 5xx.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void fieldsPastTheirColumnsAreStoredWholeOrRefusedWhole(Kind kind, @TempDir Path dir) throws Exception {
        String big = "x".repeat(1100);
        List<String[]> requests = List.of(
                new String[] {"submit", step("l1", "http://busi/" + big, "")},
                new String[] {"submit", step("l2", "http://busi/a", ",\"custom_data\":" + HostileGen.quote(
                        "{\"name\":\"" + big + "\"}"))},
                new String[] {"prepare", step("l3", "http://busi/a", ",\"query_prepared\":\"http://busi/" + big
                        + "\"").replace("\"saga\"", "\"msg\"").replace(",\"compensate\":\"http://busi/c\"", "")},
                new String[] {"submit", step("l4", "http://busi/a", ",\"branch_headers\":{\"X\":\"" + big + "\"}")},
                new String[] {"submit", step("l5", "http://busi/a", ",\"rollback_reason\":\"" + big + "\"")},
                new String[] {"submit", step("l6", "http://busi/a", ",\"rollback_reason\":\"a\\u0000b\"")},
                new String[] {"submit", step("l7", "http://busi/a", ",\"custom_data\":"
                        + HostileGen.quote("{\"name\":\"a\u0000\"}"))},
                new String[] {"submit", step("l8", "http://busi/a\\ud800", "")},
                new String[] {"prepare", "{\"gid\":\"t1\",\"trans_type\":\"tcc\"}"},
                new String[] {"registerBranch", branch("b".repeat(200), "http://busi/c")},
                new String[] {"registerBranch", branch("a\\u0000", "http://busi/c")},
                new String[] {"registerBranch", branch("02", "http://busi/" + big)},
                new String[] {"registerBranch", branch("03", "http://busi/c\\ud800")},
                new String[] {"forceStop", "{\"gid\":\"t1\",\"reason\":\"a\\u0000b\"}"});
        try (HostileStore s = HostileStore.start(kind, dir)) {
            for (String[] r : requests) {
                String before = HostileChecks.snapshot(s.coordinator);
                Answer a = post(s, r[0], r[1]);
                HostileChecks.assertAnswered(a, r[1].getBytes(StandardCharsets.UTF_8));
                assertThat(a.status()).as("%s %s: %s", r[0], r[1].substring(0, Math.min(r[1].length(), 60)), a)
                        .isIn(200, 400);
                if (a.status() == 400) {
                    assertThat(HostileChecks.snapshot(s.coordinator)).as("after %s", a).isEqualTo(before);
                }
                HostileChecks.assertAllWhole(s.coordinator);
            }
        }
    }

    private static String step(String gid, String action, String more) {
        return "{\"gid\":\"" + gid + "\",\"trans_type\":\"saga\",\"steps\":[{\"action\":\"" + action
                + "\",\"compensate\":\"http://busi/c\"}],\"payloads\":[\"{}\"]" + more + "}";
    }

    private static String branch(String branchId, String confirm) {
        return "{\"gid\":\"t1\",\"trans_type\":\"tcc\",\"branch_id\":\"" + branchId + "\",\"confirm\":\"" + confirm
                + "\",\"cancel\":\"http://busi/x\"}";
    }

    /** Every route that takes a gid answers 400 naming the gid, and the store holds nothing. */
    private static void refusedEverywhere(HostileStore s, String gid) {
        String q = HostileGen.quote(gid);
        List<String[]> posts = List.of(
                new String[] {"prepare", "{\"gid\":" + q + ",\"trans_type\":\"tcc\"}"},
                new String[] {"submit", saga(q)},
                new String[] {"abort", "{\"gid\":" + q + ",\"trans_type\":\"tcc\"}"},
                new String[] {"registerBranch", "{\"gid\":" + q + ",\"trans_type\":\"tcc\",\"branch_id\":\"01\"}"},
                new String[] {"prepareWorkflow", "{\"gid\":" + q + ",\"trans_type\":\"workflow\"}"},
                new String[] {"resetNextCronTime", "{\"gid\":" + q + "}"},
                new String[] {"forceStop", "{\"gid\":" + q + "}"});
        for (String[] p : posts) {
            assertRefused(post(s, p[0], p[1]), p[0], gid);
        }
        String enc = URLEncoder.encode(gid, StandardCharsets.UTF_8);
        assertRefused(get(s, "query?gid=" + enc), "query", gid);
        if (!gid.isEmpty()) { // all without a gid is the plain list
            assertRefused(get(s, "all?gid=" + enc), "all", gid);
            assertRefused(get(s, "all?gidPrefix=" + enc), "all?gidPrefix", gid);
        }
    }

    private static void assertRefused(Answer a, String route, String gid) {
        assertThat(a.status()).as("%s with gid %s: %s", route, HostileGen.quote(gid), a).isEqualTo(400);
        assertThat(HostileChecks.assertJson(a).path("message").asText()).as("%s: %s", route, a).containsIgnoringCase(
                "gid");
    }

    /** prepare (twice), query, all, registerBranch, resetNextCronTime, forceStop (twice): the gid as stored. */
    private static void tccRoundTrip(HostileStore s, String sent, String stored) {
        String q = HostileGen.quote(sent);
        String prepare = "{\"gid\":" + q + ",\"trans_type\":\"tcc\"}";
        assertOk(post(s, "prepare", prepare), "prepare " + q);
        assertOk(post(s, "prepare", prepare), "prepare again " + q);
        assertOk(post(s, "registerBranch", "{\"gid\":" + q + ",\"trans_type\":\"tcc\",\"branch_id\":\"01\","
                + "\"confirm\":\"http://busi/confirm\",\"cancel\":\"http://busi/cancel\",\"data\":\"{}\"}"),
                "register " + q);
        JsonNode one = query(s, sent, stored);
        assertThat(one.path("transaction").path("status").asText()).isEqualTo("prepared");
        assertThat(one.path("branches")).hasSize(2);
        assertOk(post(s, "resetNextCronTime", "{\"gid\":" + q + "}"), "resetNextCronTime " + q);
        assertOk(post(s, "forceStop", "{\"gid\":" + q + "}"), "forceStop " + q);
        assertThat(query(s, sent, stored).path("transaction").path("status").asText()).isEqualTo("failed");
        assertThat(post(s, "forceStop", "{\"gid\":" + q + "}").status()).as("forceStop of a failed one").isEqualTo(409);
    }

    /** submit with wait_result, query, all, resetNextCronTime, forceStop (409: already final), abort (409). */
    private static void sagaRoundTrip(HostileStore s, String sent, String stored) {
        String q = HostileGen.quote(sent);
        assertOk(post(s, "submit", saga(q)), "submit " + q);
        JsonNode one = query(s, sent, stored);
        assertThat(one.path("transaction").path("status").asText()).as("status of %s", stored).isEqualTo("succeed");
        assertThat(one.path("branches")).hasSize(4);
        assertOk(post(s, "resetNextCronTime", "{\"gid\":" + q + "}"), "resetNextCronTime " + q);
        assertThat(post(s, "forceStop", "{\"gid\":" + q + "}").status()).as("forceStop of %s", stored).isEqualTo(409);
        assertThat(post(s, "abort", "{\"gid\":" + q + ",\"trans_type\":\"tcc\"}").status()).isEqualTo(409);
    }

    /** query and all?gid= both find the transaction under exactly the stored gid. */
    private static JsonNode query(HostileStore s, String sent, String stored) {
        String enc = URLEncoder.encode(sent, StandardCharsets.UTF_8);
        Answer a = get(s, "query?gid=" + enc);
        assertOk(a, "query " + stored);
        JsonNode one = HostileChecks.assertJson(a);
        assertThat(one.path("transaction").path("gid").asText()).as("query %s", stored).isEqualTo(stored);
        Answer all = get(s, "all?gid=" + enc);
        assertOk(all, "all?gid=" + stored);
        JsonNode list = HostileChecks.assertJson(all).path("transactions");
        assertThat(list).as("all?gid=%s", stored).hasSize(1);
        assertThat(list.get(0).path("gid").asText()).isEqualTo(stored);
        return one;
    }

    /** Each prefix lists exactly the gids that start with it, case and every character taken literally. */
    private static void prefixesMatchLiterally(HostileStore s, Set<String> gids) {
        for (String prefix : List.of("inj_", "inj.", "inj-", "inj:", "inj@", "inj", "INJ_", "inj__", "_", "-", ".",
                "..", ":", "@", "C", "injX")) {
            Answer a = get(s, "all?limit=1000&gidPrefix=" + URLEncoder.encode(prefix, StandardCharsets.UTF_8));
            assertOk(a, "all?gidPrefix=" + prefix);
            Set<String> listed = new TreeSet<>();
            HostileChecks.assertJson(a).path("transactions").forEach(t -> listed.add(t.path("gid").asText()));
            assertThat(listed).as("gidPrefix=%s", prefix).isEqualTo(gids.stream().filter(g -> g.startsWith(prefix))
                    .collect(Collectors.toCollection(TreeSet::new)));
        }
        for (String wildcard : List.of("inj%", "inj*", "inj?", "inj[", "inj!", "inj\\", "inj'", "in j")) {
            Answer a = get(s, "all?gidPrefix=" + URLEncoder.encode(wildcard, StandardCharsets.UTF_8));
            assertThat(a.status()).as("gidPrefix=%s: %s", wildcard, a).isEqualTo(400);
        }
    }

    private static void redisHoldsOnlyTheseTransactions(HostileStore s, Set<String> gids) {
        if (s.kind != Kind.REDIS) {
            return;
        }
        Set<String> allowed = new TreeSet<>(List.of("_u", "_all", "_seq", "_done"));
        for (String g : gids) {
            allowed.addAll(List.of("_g_" + g, "_b_" + g, "_s_" + g));
        }
        assertThat(allowed).as("keys under the prefix").containsAll(s.redisKeys());
        assertThat(s.redisKeys()).as("keys under the prefix").contains("_g_inj_1", "_b_inj.1");
    }

    private static String saga(String quotedGid) {
        return "{\"gid\":" + quotedGid + ",\"trans_type\":\"saga\",\"wait_result\":true,\"steps\":[{\"action\":"
                + "\"http://busi/in\",\"compensate\":\"http://busi/in-revert\"},{\"action\":\"http://busi/out\","
                + "\"compensate\":\"http://busi/out-revert\"}],\"payloads\":[\"{}\",\"{}\"]}";
    }

    private static void assertOk(Answer a, String what) {
        assertThat(a.status()).as("%s: %s", what, a).isEqualTo(200);
    }

    private static Answer post(HostileStore s, String route, String body) {
        return HostileHttp.exchange(s.port(), HostileHttp.json("POST", "/api/dtmsvr/" + route,
                body.getBytes(StandardCharsets.UTF_8)));
    }

    private static Answer get(HostileStore s, String pathAndQuery) {
        return HostileHttp.exchange(s.port(), HostileHttp.json("GET", "/api/dtmsvr/" + pathAndQuery, new byte[0]));
    }
}
