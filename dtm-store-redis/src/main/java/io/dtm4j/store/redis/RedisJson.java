package io.dtm4j.store.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.DtmException;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionUpdate;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The JSON that DTM's Redis store keeps (spec server-protocol.md 2.1 and 2.3; Go's {@code TransGlobalStore} and
 * {@code TransBranchStore}): snake_case keys, empty strings and zero numbers left out except {@code id},
 * {@code create_time}, {@code update_time} and {@code concurrent}; times RFC 3339 with nanoseconds (written in
 * UTC, read with any offset); {@code bin_data} base64; the options both as the {@code options} text of
 * {@link TransOptions#toDtmJson()} and inline at the top level, as DTM writes them. Reading takes the
 * {@code options} text, or the inline fields when it is absent, and ignores keys it does not know (DTM's
 * {@code steps}, {@code payloads}, {@code retry_count}), which the scripts keep when they patch a document.
 * Thread-safe (stateless).
 */
final class RedisJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final List<String> OPTION_KEYS = List.of("wait_result", "timeout_to_fail", "request_timeout",
            "retry_interval", "branch_headers", "concurrent", "retry_limit");

    private RedisJson() {
    }

    /** An instant as DTM's JSON writes times: RFC 3339, nanoseconds kept. */
    static String time(Instant t) {
        return t.toString();
    }

    static String encodeGlobal(GlobalTransaction g) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("id", g.id());
        n.put("create_time", time(g.createTime()));
        n.put("update_time", time(g.updateTime()));
        n.put("gid", g.gid());
        n.put("trans_type", g.transType().wireName());
        n.put("status", g.status().wireName());
        text(n, "query_prepared", g.queryPrepared());
        text(n, "protocol", g.protocol());
        g.finishTime().ifPresent(t -> n.put("finish_time", time(t)));
        g.rollbackTime().ifPresent(t -> n.put("rollback_time", time(t)));
        text(n, "rollback_reason", g.rollbackReason());
        String options = g.options().toDtmJson();
        n.put("options", options);
        text(n, "custom_data", g.customData());
        if (!g.nextCronInterval().isZero()) {
            n.put("next_cron_interval", g.nextCronInterval().toSeconds());
        }
        n.put("next_cron_time", time(g.nextCronTime()));
        text(n, "owner", g.owner());
        text(n, "ext_data", g.extData());
        text(n, "result", g.result());
        n.setAll((ObjectNode) parse(options, "options of gid=" + g.gid()));
        return write(n);
    }

    static GlobalTransaction decodeGlobal(String json, String key) {
        JsonNode n = parse(json, key);
        try {
            return new GlobalTransaction(n.path("id").asLong(0), n.path("gid").asText(),
                    TransType.fromWireName(n.path("trans_type").asText()),
                    GlobalStatus.fromWireName(n.path("status").asText()), n.path("query_prepared").asText(""),
                    n.path("protocol").asText(""), instant(n, "create_time").orElse(Instant.EPOCH),
                    instant(n, "update_time").orElse(Instant.EPOCH), instant(n, "finish_time"),
                    instant(n, "rollback_time"), options(n), n.path("custom_data").asText(""),
                    Duration.ofSeconds(n.path("next_cron_interval").asLong(0)),
                    instant(n, "next_cron_time").orElse(Instant.EPOCH), n.path("owner").asText(""),
                    n.path("ext_data").asText(""), n.path("result").asText(""), n.path("rollback_reason").asText(""));
        } catch (RuntimeException e) {
            throw unreadable(key, e);
        }
    }

    static String encodeBranch(Branch b) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("id", b.id());
        n.put("create_time", time(b.createTime()));
        n.put("update_time", time(b.updateTime()));
        n.put("gid", b.gid());
        text(n, "url", b.url());
        byte[] body = b.binData();
        if (body.length > 0) {
            n.put("bin_data", Base64.getEncoder().encodeToString(body));
        }
        n.put("branch_id", b.branchId());
        n.put("op", b.op().wireName());
        n.put("status", b.status().wireName());
        b.finishTime().ifPresent(t -> n.put("finish_time", time(t)));
        return write(n);
    }

    static Branch decodeBranch(String json, String key) {
        JsonNode n = parse(json, key);
        try {
            String body = n.path("bin_data").asText("");
            return new Branch(n.path("id").asLong(0), n.path("gid").asText(), n.path("url").asText(""),
                    Base64.getDecoder().decode(body), n.path("branch_id").asText(),
                    BranchOp.fromWireName(n.path("op").asText()), BranchStatus.fromWireName(n.path("status").asText()),
                    instant(n, "create_time").orElse(Instant.EPOCH), instant(n, "update_time").orElse(Instant.EPOCH),
                    instant(n, "finish_time"));
        } catch (RuntimeException e) {
            throw unreadable(key, e);
        }
    }

    /**
     * The fields an update sets on the stored global, as a JSON object the update script lays over it: an
     * empty string or zero removes the key (DTM leaves such values out).
     */
    static String patch(TransactionUpdate u) {
        ObjectNode n = MAPPER.createObjectNode();
        String now = time(u.now());
        n.put("update_time", now);
        u.newStatus().ifPresent(s -> {
            n.put("status", s.wireName());
            if (s == GlobalStatus.SUCCEED) {
                n.put("finish_time", now);
            } else if (s == GlobalStatus.FAILED) {
                n.put("rollback_time", now);
            }
        });
        u.rollbackReason().ifPresent(r -> n.put("rollback_reason", r));
        u.result().ifPresent(r -> n.put("result", r));
        u.nextCronInterval().ifPresent(d -> n.put("next_cron_interval", d.toSeconds()));
        u.nextCronTime().ifPresent(t -> n.put("next_cron_time", time(t)));
        return write(n);
    }

    private static TransOptions options(JsonNode n) {
        JsonNode text = n.get("options");
        if (text != null && text.isTextual()) {
            return TransOptions.fromDtmJson(text.asText());
        }
        ObjectNode inline = MAPPER.createObjectNode();
        for (String k : OPTION_KEYS) {
            if (n.has(k)) {
                inline.set(k, n.get(k));
            }
        }
        return TransOptions.fromDtmJson(write(inline));
    }

    private static Optional<Instant> instant(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull() || v.asText().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(OffsetDateTime.parse(v.asText()).toInstant());
    }

    private static void text(ObjectNode n, String field, String value) {
        if (!value.isEmpty()) {
            n.put(field, value);
        }
    }

    private static JsonNode parse(String json, String what) {
        try {
            JsonNode n = MAPPER.readTree(json);
            if (n == null || !n.isObject()) {
                throw new DtmException("redis: " + what + " is not a JSON object");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw unreadable(what, e);
        }
    }

    private static String write(JsonNode n) {
        try {
            return MAPPER.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    private static DtmException unreadable(String what, Exception e) {
        return new DtmException("redis: " + what + " holds JSON that dtm4j cannot read (" + e.getClass().getSimpleName()
                + ": " + e.getMessage() + ")", e);
    }
}
