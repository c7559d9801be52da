package io.dtm4j.client.wire;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionPage;
import io.dtm4j.core.TransactionView;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Query and list replies: globals and branches with DTM's JSON names (spec 2.1, 2.3), both ways. Output
 * follows DTM's SQL stores: empty strings and zero numbers are left out except {@code id},
 * {@code create_time}, {@code update_time} and {@code concurrent}; times are RFC 3339 with the offset of
 * the server's zone (DTM stores local time); {@code bin_data} is base64.
 */
final class TransactionJson {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ISO_OFFSET_DATE_TIME;

    private TransactionJson() {
    }

    static byte[] renderQuery(Optional<TransactionView> view) {
        return Json.write(g -> {
            g.writeStartObject();
            g.writeFieldName("transaction");
            if (view.isPresent()) {
                writeGlobal(g, view.get().global());
            } else {
                g.writeNull();
            }
            g.writeArrayFieldStart("branches");
            for (Branch b : view.map(TransactionView::branches).orElse(List.of())) {
                writeBranch(g, b);
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    /** The prepareWorkflow reply: the query reply with {@code progresses} for {@code branches} (spec 1.4). */
    static byte[] renderWorkflowProgress(TransactionView view) {
        return Json.write(g -> {
            g.writeStartObject();
            g.writeFieldName("transaction");
            writeGlobal(g, view.global());
            g.writeArrayFieldStart("progresses");
            for (Branch b : view.branches()) {
                writeBranch(g, b);
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    static byte[] renderPage(TransactionPage page) {
        return Json.write(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("transactions");
            for (GlobalTransaction t : page.transactions()) {
                writeGlobal(g, t);
            }
            g.writeEndArray();
            g.writeStringField("next_position", page.nextPosition());
            g.writeEndObject();
        });
    }

    static String time(Instant t) {
        return TIME.format(t.atZone(ZoneId.systemDefault()));
    }

    private static void writeGlobal(JsonGenerator g, GlobalTransaction t) throws IOException {
        g.writeStartObject();
        g.writeNumberField("id", t.id());
        g.writeStringField("create_time", time(t.createTime()));
        g.writeStringField("update_time", time(t.updateTime()));
        string(g, "gid", t.gid());
        string(g, "trans_type", t.transType().wireName());
        string(g, "status", t.status().wireName());
        string(g, "query_prepared", t.queryPrepared());
        string(g, "protocol", t.protocol());
        time(g, "finish_time", t.finishTime());
        time(g, "rollback_time", t.rollbackTime());
        string(g, "options", t.options().toDtmJson());
        string(g, "custom_data", t.customData());
        if (!t.nextCronInterval().isZero()) {
            g.writeNumberField("next_cron_interval", t.nextCronInterval().toSeconds());
        }
        g.writeStringField("next_cron_time", time(t.nextCronTime()));
        string(g, "owner", t.owner());
        string(g, "ext_data", t.extData());
        string(g, "rollback_reason", t.rollbackReason());
        string(g, "result", t.result());
        g.writeBooleanField("concurrent", t.options().concurrent());
        g.writeEndObject();
    }

    private static void writeBranch(JsonGenerator g, Branch b) throws IOException {
        g.writeStartObject();
        g.writeNumberField("id", b.id());
        g.writeStringField("create_time", time(b.createTime()));
        g.writeStringField("update_time", time(b.updateTime()));
        string(g, "gid", b.gid());
        string(g, "url", b.url());
        byte[] data = b.binData();
        if (data.length > 0) {
            g.writeStringField("bin_data", Base64.getEncoder().encodeToString(data));
        }
        string(g, "branch_id", b.branchId());
        string(g, "op", b.op().wireName());
        string(g, "status", b.status().wireName());
        time(g, "finish_time", b.finishTime());
        g.writeEndObject();
    }

    private static void string(JsonGenerator g, String field, String value) throws IOException {
        if (!value.isEmpty()) {
            g.writeStringField(field, value);
        }
    }

    private static void time(JsonGenerator g, String field, Optional<Instant> value) throws IOException {
        if (value.isPresent()) {
            g.writeStringField(field, time(value.get()));
        }
    }

    // ---- parsing replies back (the SDK's HTTP transport) ----

    static Optional<TransactionView> parseQuery(byte[] body) {
        JsonNode root = Json.readObject(body, "the query reply");
        JsonNode t = root.get("transaction");
        if (t == null || t.isNull()) {
            return Optional.empty();
        }
        GlobalTransaction global = parseGlobal(t);
        List<Branch> branches = new ArrayList<>();
        JsonNode bs = root.get("branches");
        if (bs != null && bs.isArray()) {
            for (JsonNode b : bs) {
                branches.add(parseBranch(b, global.gid()));
            }
        }
        return Optional.of(new TransactionView(global, branches));
    }

    static TransactionView parseWorkflowProgress(byte[] body) {
        JsonNode root = Json.readObject(body, "the prepareWorkflow reply");
        JsonNode t = root.get("transaction");
        if (t == null || t.isNull()) {
            throw new InvalidRequestException("the prepareWorkflow reply has no transaction");
        }
        GlobalTransaction global = parseGlobal(t);
        List<Branch> progresses = new ArrayList<>();
        JsonNode ps = root.get("progresses");
        if (ps != null && ps.isArray()) {
            for (JsonNode p : ps) {
                progresses.add(parseBranch(p, global.gid()));
            }
        }
        return new TransactionView(global, progresses);
    }

    static TransactionPage parsePage(byte[] body) {
        JsonNode root = Json.readObject(body, "the list reply");
        List<GlobalTransaction> out = new ArrayList<>();
        JsonNode ts = root.get("transactions");
        if (ts != null && ts.isArray()) {
            for (JsonNode t : ts) {
                out.add(parseGlobal(t));
            }
        }
        return new TransactionPage(out, new JsonFields(root).string("next_position"));
    }

    private static GlobalTransaction parseGlobal(JsonNode t) {
        if (!t.isObject()) {
            throw new InvalidRequestException("a transaction must be a JSON object, got " + JsonFields.describe(t));
        }
        JsonFields f = new JsonFields(t);
        Instant created = instant(f, "create_time").orElse(Instant.EPOCH);
        Instant updated = instant(f, "update_time").orElse(created);
        return new GlobalTransaction(t.path("id").asLong(0), f.string("gid"),
                TransType.fromWireName(f.string("trans_type")), GlobalStatus.fromWireName(f.string("status")),
                f.string("query_prepared"), f.string("protocol"), created, updated,
                instant(f, "finish_time"), instant(f, "rollback_time"), options(f), f.string("custom_data"),
                f.seconds("next_cron_interval"), instant(f, "next_cron_time").orElse(updated),
                f.string("owner"), f.string("ext_data"), f.string("result"), f.string("rollback_reason"));
    }

    /** The {@code options} text when present (SQL stores), else the inline fields (Redis/bolt stores). */
    private static TransOptions options(JsonFields f) {
        String text = f.string("options");
        if (!text.isEmpty()) {
            return TransOptions.fromDtmJson(text);
        }
        return new TransOptions(f.bool("wait_result"), f.seconds("timeout_to_fail"), f.seconds("request_timeout"),
                f.seconds("retry_interval"), f.stringMap("branch_headers"), f.bool("concurrent"),
                (int) f.count("retry_limit", "retries"));
    }

    private static Branch parseBranch(JsonNode b, String gid) {
        if (!b.isObject()) {
            throw new InvalidRequestException("a branch must be a JSON object, got " + JsonFields.describe(b));
        }
        JsonFields f = new JsonFields(b);
        Instant created = instant(f, "create_time").orElse(Instant.EPOCH);
        byte[] data;
        try {
            data = Base64.getDecoder().decode(f.string("bin_data"));
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("gid=" + gid + ": bin_data must be base64");
        }
        String branchGid = f.string("gid");
        return new Branch(b.path("id").asLong(0), branchGid.isEmpty() ? gid : branchGid, f.string("url"), data,
                f.string("branch_id"), BranchOp.fromWireName(f.string("op")),
                BranchStatus.fromWireName(f.string("status")), created, instant(f, "update_time").orElse(created),
                instant(f, "finish_time"));
    }

    private static Optional<Instant> instant(JsonFields f, String field) {
        String s = f.string(field);
        if (s.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(s, TIME).toInstant());
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new InvalidRequestException(field + " must be an RFC 3339 time such as 2024-05-01T10:00:00+08:00");
        }
    }
}
