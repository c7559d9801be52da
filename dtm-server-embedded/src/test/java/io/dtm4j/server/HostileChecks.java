package io.dtm4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.client.wire.DtmJson;
import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.ListQuery;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionView;
import io.dtm4j.server.HostileHttp.Answer;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What must hold after any request, however hostile: about the answer (never a 5xx, never a stack trace, JSON with
 * a {@code message} for every error of the API) and about the store (no half-transaction; unchanged unless the
 * request was answered 200). Stateless.
 */
final class HostileChecks {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A stack frame as Throwable prints it, of any package. */
    private static final Pattern FRAME = Pattern.compile("\\bat [a-z][\\w$]*(\\.[\\w$]+)+\\([^)]*\\)");

    /** The files the admin UI ships (src/main/resources/io/dtm4j/server/admin). */
    static final Set<String> ADMIN_FILES = Set.of("index.html", "api.js", "app.css", "app.js", "detail.js", "list.js",
            "server.js", "ui.js");

    private HostileChecks() {
    }

    /** The admin UI's file cache of a server (AdminUi.cache, behind DtmServer.handler.ui). */
    static Map<?, ?> uiCache(DtmServer server) {
        try {
            Object handler = field(DtmServer.class, "handler").get(server);
            Object ui = field(ApiHandler.class, "ui").get(handler);
            return (Map<?, ?>) field(AdminUi.class, "cache").get(ui);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("the admin UI's cache moved: update HostileChecks.uiCache()", e);
        }
    }

    static Field field(Class<?> type, String name) throws NoSuchFieldException {
        Field f = type.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }

    /**
     * The answer of the API to a request that it must answer (a well-formed request line and headers): from dtm4j,
     * below 500, JSON with a non-blank {@code message} when an error.
     */
    static void assertAnswered(Answer a, byte[] request) {
        assertThat(a.closed()).as("the connection was closed without an answer").isFalse();
        assertThat(a.fromDtm()).as("answered by the JDK, not by dtm4j: %s", a).isTrue();
        assertSane(a, request);
    }

    /**
     * Any answer: none at all (the connection closed) is allowed; one from the JDK server itself must be a 4xx;
     * one from dtm4j must be below 500 and, for the API, JSON with a {@code message} when an error; never a stack
     * trace, never an exception name that the request did not contain.
     */
    static void assertSane(Answer a, byte[] request) {
        if (a.closed()) {
            return;
        }
        String text = a.text();
        assertThat(a.status()).as("status of %s", a).isBetween(200, 499);
        String sent = new String(request, StandardCharsets.UTF_8) + new String(request, StandardCharsets.ISO_8859_1);
        Matcher frame = FRAME.matcher(text);
        if (frame.find()) { // an echo of the request is no stack trace
            assertThat(sent).as("a stack frame in %s", a).contains(frame.group());
        }
        if (!sent.contains("Exception")) {
            assertThat(text).as("an exception name in a dtm4j answer").doesNotContain(a.fromDtm() ? "Exception"
                    : "\tat ");
        }
        if (!a.fromDtm()) {
            assertThat(a.status()).as("the JDK server's own answer: %s", a).isBetween(400, 499);
            return;
        }
        if (sent.startsWith("HEAD ")) {
            assertThat(a.body()).as("the body of an answer to HEAD").isEmpty();
            return;
        }
        String type = a.header("Content-Type").orElse("");
        if (a.status() >= 400 && type.startsWith("application/json")) {
            JsonNode n = parse(a);
            assertThat(n.path("message").isTextual()).as("message in %s", a).isTrue();
            assertThat(n.path("message").asText()).as("message in %s", a).isNotBlank();
        } else if (type.startsWith("application/json") && a.body().length > 0) {
            parse(a);
        }
    }

    /** The answer of an API route (not the UI, not metrics): JSON, never empty. */
    static JsonNode assertJson(Answer a) {
        assertThat(a.header("Content-Type")).as("content type of %s", a).hasValue(ApiReply.JSON);
        return parse(a);
    }

    private static JsonNode parse(Answer a) {
        try {
            JsonNode n = JSON.readTree(a.body());
            assertThat(n).as("JSON of %s", a).isNotNull();
            assertThat(n.isObject()).as("a JSON object: %s", a).isTrue();
            return n;
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + a, e);
        }
    }

    /**
     * Everything the store holds, transaction by transaction, as the query route renders it: equal snapshots mean
     * nothing was written. Reads at most {@link ListQuery#MAX_LIMIT} transactions.
     */
    static String snapshot(Coordinator c) {
        List<String> gids = new ArrayList<>();
        for (GlobalTransaction g : c.list(new ListQuery("", ListQuery.MAX_LIMIT, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty())).transactions()) {
            gids.add(g.gid());
        }
        return gids.stream().sorted()
                .map(gid -> new String(DtmJson.renderQuery(c.query(gid)), StandardCharsets.UTF_8))
                .collect(Collectors.joining("\n"));
    }

    /** Every stored transaction is whole: see {@link #assertWhole(TransactionView)}. */
    static void assertAllWhole(Coordinator c) {
        for (GlobalTransaction g : c.list(new ListQuery("", ListQuery.MAX_LIMIT, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty())).transactions()) {
            assertWhole(c.query(g.gid()).orElseThrow(() -> new AssertionError("listed but not found: " + g.gid())));
        }
    }

    /**
     * A transaction has all its branches: a saga a compensate and an action for each of the ids 01..n, a msg an
     * action for each of 01..n, tcc and xa both ops of each registered id; a workflow any ops.
     */
    static void assertWhole(TransactionView v) {
        Map<String, Set<BranchOp>> ops = new TreeMap<>();
        for (Branch b : v.branches()) {
            assertThat(b.gid()).as("branch of %s", v.global().gid()).isEqualTo(v.global().gid());
            ops.computeIfAbsent(b.branchId(), k -> EnumSet.noneOf(BranchOp.class)).add(b.op());
        }
        TransType type = v.global().transType();
        Set<BranchOp> pair = switch (type) {
            case SAGA -> EnumSet.of(BranchOp.ACTION, BranchOp.COMPENSATE);
            case MSG -> EnumSet.of(BranchOp.ACTION);
            case TCC -> EnumSet.of(BranchOp.CANCEL, BranchOp.CONFIRM);
            case XA -> EnumSet.of(BranchOp.ROLLBACK, BranchOp.COMMIT);
            case WORKFLOW -> null;
        };
        if (pair == null) {
            return;
        }
        int expectedRows = 0;
        for (Map.Entry<String, Set<BranchOp>> e : ops.entrySet()) {
            assertThat(e.getValue()).as("ops of %s branch %s", v.global().gid(), e.getKey()).isEqualTo(pair);
            expectedRows += pair.size();
        }
        assertThat(v.branches()).as("rows of %s (one per op)", v.global().gid()).hasSize(expectedRows);
        if (type == TransType.SAGA || type == TransType.MSG) {
            List<String> ids = new ArrayList<>(ops.keySet());
            for (int i = 0; i < ids.size(); i++) {
                assertThat(ids.get(i)).as("branch ids of %s", v.global().gid()).isEqualTo(String.format("%02d", i + 1));
            }
        }
    }
}
