package io.dtm4j.client.wire;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.Gids;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Request bodies: DTM's transaction body (spec 1.3) and the flat registerBranch map, both ways. */
final class RequestJson {
    private static final String TRANS_BODY = "the transaction body";
    private static final String REGISTER_BODY = "the registerBranch body";
    private static final Set<String> PROTOCOLS = Set.of("http", "grpc", "json-rpc");
    private static final Set<String> REGISTER_TYPED_KEYS = Set.of("gid", "trans_type", "branch_id", "data");

    private RequestJson() {
    }

    static TransRequest parseTransRequest(byte[] body) {
        JsonFields f = new JsonFields(Json.readObject(body, TRANS_BODY));
        String gid = gid(f);
        f.gidKnown(gid);
        TransType type = transType(f);
        List<Map<String, String>> steps = f.stringMapList("steps");
        List<byte[]> payloads = new ArrayList<>();
        for (String p : f.stringList("payloads")) {
            payloads.add(p.getBytes(StandardCharsets.UTF_8));
        }
        // Legacy clients put each step's payload in steps[i].data; DTM appends the non-empty ones.
        for (Map<String, String> step : steps) {
            String data = step.remove("data");
            if (data != null && !data.isEmpty()) {
                payloads.add(data.getBytes(StandardCharsets.UTF_8));
            }
        }
        TransOptions options = new TransOptions(
                f.bool("wait_result"),
                f.seconds("timeout_to_fail"),
                f.seconds("request_timeout"),
                f.seconds("retry_interval"),
                f.stringMap("branch_headers"),
                f.bool("concurrent"),
                (int) f.count("retry_limit", "retries"));
        f.count("retry_count", "retries"); // a server-side counter: type-checked, otherwise ignored
        return new TransRequest(gid, type, steps, payloads, f.string("query_prepared"), protocol(f),
                f.string("custom_data"), options, f.string("rollback_reason"), f.stringMap("req_extra"));
    }

    static BranchRegistration parseBranchRegistration(byte[] body) {
        JsonNode root = Json.readObject(body, REGISTER_BODY);
        JsonFields f = new JsonFields(root);
        String gid = gid(f);
        f.gidKnown(gid);
        Map<String, String> fields = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            JsonNode v = e.getValue();
            if (!v.isNull() && !v.isTextual()) {
                throw f.invalid(e.getKey(), "a string (registerBranch takes a flat object of strings)", v);
            }
            if (!REGISTER_TYPED_KEYS.contains(e.getKey())) {
                fields.put(e.getKey(), v.isNull() ? "" : v.textValue());
            }
        }
        fields.computeIfPresent("status", (k, v) -> Gids.clean(v));
        TransType type = transType(f);
        byte[] data = f.string("data").getBytes(StandardCharsets.UTF_8);
        return new BranchRegistration(gid, type, f.string("branch_id"), data, fields);
    }

    static String parseGid(byte[] body) {
        return gid(new JsonFields(Json.readObject(body, "the request body")));
    }

    private static String gid(JsonFields f) {
        if (f.isEmpty("gid")) {
            return Gids.requireValid("");
        }
        return Gids.requireValid(Gids.clean(f.string("gid")));
    }

    private static TransType transType(JsonFields f) {
        String t = f.string("trans_type");
        if (t.isEmpty()) {
            throw new InvalidRequestException(prefixOf(f) + "trans_type is required (saga, msg, tcc, xa or workflow)");
        }
        try {
            return TransType.fromWireName(t);
        } catch (InvalidRequestException e) {
            throw new InvalidRequestException(prefixOf(f) + e.getMessage());
        }
    }

    private static String protocol(JsonFields f) {
        String p = f.string("protocol").trim().toLowerCase(Locale.ROOT);
        if (p.isEmpty()) {
            return "http";
        }
        if (!PROTOCOLS.contains(p)) {
            throw new InvalidRequestException(prefixOf(f) + "protocol must be http, grpc or json-rpc (or empty for "
                    + "http), got '" + abbreviate(p) + "'");
        }
        return p;
    }

    private static String prefixOf(JsonFields f) {
        return "gid=" + Gids.clean(f.string("gid")) + ": ";
    }

    private static String abbreviate(String s) {
        return s.length() > 24 ? s.substring(0, 24) + "..." : s;
    }

    /** Go SDK's TransBase field order and omitempty rules (clients-and-barrier.md 1.2). */
    static byte[] renderTransRequest(TransRequest r) {
        return Json.write(g -> {
            g.writeStartObject();
            g.writeStringField("gid", r.gid());
            g.writeStringField("trans_type", r.transType().wireName());
            stringIfNotEmpty(g, "custom_data", r.customData());
            TransOptions o = r.options();
            writeOptions(g, o);
            if (!r.steps().isEmpty()) {
                g.writeArrayFieldStart("steps");
                for (Map<String, String> step : r.steps()) {
                    writeSortedMap(g, step);
                }
                g.writeEndArray();
            }
            if (!r.payloads().isEmpty()) {
                g.writeArrayFieldStart("payloads");
                for (byte[] p : r.payloads()) {
                    g.writeString(new String(p, StandardCharsets.UTF_8));
                }
                g.writeEndArray();
            }
            stringIfNotEmpty(g, "query_prepared", r.queryPrepared());
            g.writeStringField("protocol", r.protocol());
            stringIfNotEmpty(g, "rollback_reason", r.rollbackReason());
            if (!r.reqExtra().isEmpty()) {
                g.writeFieldName("req_extra");
                writeSortedMap(g, r.reqExtra());
            }
            g.writeEndObject();
        });
    }

    /**
     * The option block as Go's TransOptions marshals it: zero values omitted except {@code concurrent};
     * {@code retry_count} is always 0 on this side, so never written.
     */
    static void writeOptions(JsonGenerator g, TransOptions o) throws IOException {
        if (o.waitResult()) {
            g.writeBooleanField("wait_result", true);
        }
        secondsIfNotZero(g, "timeout_to_fail", o.timeoutToFail());
        secondsIfNotZero(g, "request_timeout", o.requestTimeout());
        secondsIfNotZero(g, "retry_interval", o.retryInterval());
        if (!o.branchHeaders().isEmpty()) {
            g.writeFieldName("branch_headers");
            writeSortedMap(g, o.branchHeaders());
        }
        g.writeBooleanField("concurrent", o.concurrent());
        if (o.retryLimit() != 0) {
            g.writeNumberField("retry_limit", o.retryLimit());
        }
    }

    /** Go marshals maps with sorted keys; so do we, which makes bodies byte-comparable. */
    static byte[] renderBranchRegistration(BranchRegistration r) {
        Map<String, String> all = new TreeMap<>(r.fields());
        all.put("gid", r.gid());
        all.put("trans_type", r.transType().wireName());
        all.put("branch_id", r.branchId());
        all.put("data", new String(r.data(), StandardCharsets.UTF_8));
        return Json.write(g -> writeSortedMap(g, all));
    }

    private static void writeSortedMap(JsonGenerator g, Map<String, String> m) throws IOException {
        g.writeStartObject();
        for (Map.Entry<String, String> e : new TreeMap<>(m).entrySet()) {
            g.writeStringField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
    }

    private static void stringIfNotEmpty(JsonGenerator g, String field, String value) throws IOException {
        if (!value.isEmpty()) {
            g.writeStringField(field, value);
        }
    }

    private static void secondsIfNotZero(JsonGenerator g, String field, Duration d) throws IOException {
        if (!d.isZero()) {
            g.writeNumberField(field, d.toSeconds());
        }
    }
}
