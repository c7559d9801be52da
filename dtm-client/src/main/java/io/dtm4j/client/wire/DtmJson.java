package io.dtm4j.client.wire;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.Gids;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransactionPage;
import io.dtm4j.core.TransactionView;
import io.dtm4j.core.spi.CronReset;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * DTM's JSON wire format, mapped to and from dtm4j's core types: the one place that knows DTM's key names,
 * used by the server (parse requests, render replies) and by the SDK's HTTP transport (render requests,
 * parse replies). Specification: {@code spec/server-protocol.md} 1.3, 1.4, 2.1-2.3 and
 * {@code spec/clients-and-barrier.md} 1.2, 13.
 *
 * <p>Parsing is lenient the way DTM's Go server is: unknown keys are ignored, {@code null} means empty, a
 * 0 option means "server default", {@code protocol} ""/null means http, legacy {@code steps[i].data}
 * payloads are appended after {@code payloads}. Everything else that DTM would fail on is rejected with
 * an {@link InvalidRequestException} whose message names the field and what was expected, never a payload.
 * Gids are cleaned ({@link Gids#clean}) and validated ({@link Gids#requireValid}).
 *
 * <p>Rendering writes UTF-8 JSON with DTM's key names and omission rules. Stateless and thread-safe.
 */
public final class DtmJson {

    private DtmJson() {
    }

    /**
     * Parses a prepare / submit / abort / prepareWorkflow body (spec 1.3). Durations are whole seconds.
     *
     * @throws InvalidRequestException for malformed JSON, a missing or unsafe gid, an unknown trans_type, a
     *                                 wrong type, or a negative number
     */
    public static TransRequest parseTransRequest(byte[] body) {
        return RequestJson.parseTransRequest(body);
    }

    /**
     * Parses a registerBranch body: a flat object of strings. {@code data} becomes the branch body (its
     * UTF-8 bytes); every key other than gid, trans_type, branch_id and data is kept in
     * {@link BranchRegistration#fields()}.
     *
     * @throws InvalidRequestException for malformed JSON, a non-string value, a missing or unsafe gid, an
     *                                 unknown trans_type or a missing branch_id
     */
    public static BranchRegistration parseBranchRegistration(byte[] body) {
        return RequestJson.parseBranchRegistration(body);
    }

    /**
     * Reads only the gid of a body such as forceStop's or resetNextCronTime's {@code {"gid":".."}}: cleaned
     * and validated; other keys are ignored.
     *
     * @throws InvalidRequestException for malformed JSON or a missing or unsafe gid
     */
    public static String parseGid(byte[] body) {
        return RequestJson.parseGid(body);
    }

    /**
     * Renders a transaction body exactly as the Go SDK does: its key order; {@code concurrent} and
     * {@code protocol} always present; other keys omitted when empty or zero; payloads as JSON strings of
     * their UTF-8 bytes; durations in whole seconds.
     */
    public static byte[] renderTransRequest(TransRequest request) {
        return RequestJson.renderTransRequest(Objects.requireNonNull(request, "request"));
    }

    /** Renders a registerBranch body: a flat object of strings with sorted keys, as Go marshals a map. */
    public static byte[] renderBranchRegistration(BranchRegistration registration) {
        return RequestJson.renderBranchRegistration(Objects.requireNonNull(registration, "registration"));
    }

    /**
     * Renders a query reply: {@code {"transaction":{...}|null,"branches":[...]}}, branches in insertion
     * order. Field rules: see {@code spec/server-protocol.md} 2.1 and 2.3.
     */
    public static byte[] renderQuery(Optional<TransactionView> view) {
        return TransactionJson.renderQuery(Objects.requireNonNull(view, "view"));
    }

    /**
     * Renders a prepareWorkflow reply: {@code {"transaction":{...},"progresses":[...]}}, the transaction and
     * its recorded branches with the query reply's fields; {@code bin_data} is base64 and {@code result} is
     * the stored text as it is (the base64 the client submitted).
     */
    public static byte[] renderWorkflowProgress(TransactionView view) {
        return TransactionJson.renderWorkflowProgress(Objects.requireNonNull(view, "view"));
    }

    /**
     * Parses a prepareWorkflow reply (ours or DTM's) into the transaction and its progresses.
     *
     * @throws InvalidRequestException when the reply is not DTM prepareWorkflow JSON
     */
    public static TransactionView parseWorkflowProgress(byte[] body) {
        return TransactionJson.parseWorkflowProgress(body);
    }

    /** Renders a list reply: {@code {"transactions":[...],"next_position":"..."}}. */
    public static byte[] renderPage(TransactionPage page) {
        return TransactionJson.renderPage(Objects.requireNonNull(page, "page"));
    }

    /**
     * Parses a query reply (ours or DTM's, SQL or Redis flavour) back into a view.
     *
     * @throws InvalidRequestException when the reply is not DTM query JSON
     */
    public static Optional<TransactionView> parseQuery(byte[] body) {
        return TransactionJson.parseQuery(body);
    }

    /**
     * Parses a list reply back into a page.
     *
     * @throws InvalidRequestException when the reply is not DTM list JSON
     */
    public static TransactionPage parsePage(byte[] body) {
        return TransactionJson.parsePage(body);
    }

    /** Formats a time as the replies do: RFC 3339 with the offset of the JVM's zone. */
    public static String formatTime(Instant time) {
        return TransactionJson.time(Objects.requireNonNull(time, "time"));
    }

    /** {@code {"dtm_result":"SUCCESS"}}: the reply of a route that returns nothing else. */
    public static byte[] renderSuccess() {
        return Json.write(g -> {
            g.writeStartObject();
            g.writeStringField("dtm_result", "SUCCESS");
            g.writeEndObject();
        });
    }

    /** {@code {"gid":"..","dtm_result":"SUCCESS"}}: the newGid reply. */
    public static byte[] renderNewGid(String gid) {
        Objects.requireNonNull(gid, "gid");
        return Json.write(g -> {
            g.writeStartObject();
            g.writeStringField("gid", gid);
            g.writeStringField("dtm_result", "SUCCESS");
            g.writeEndObject();
        });
    }

    /**
     * Reads the gid of a newGid reply.
     *
     * @throws InvalidRequestException when the reply has no valid gid
     */
    public static String parseNewGid(byte[] body) {
        return RequestJson.parseGid(body);
    }

    /**
     * {@code {"dtm_result":"FAILURE","message":".. FAILURE"}} (HTTP 409). As in DTM, the message ends in
     * {@code FAILURE}: it is appended unless already there, since old clients look for the word in the body.
     */
    public static byte[] renderFailure(String message) {
        String m = message == null || message.isEmpty() ? "FAILURE"
                : message.endsWith("FAILURE") ? message : message + " FAILURE";
        return envelope("FAILURE", m);
    }

    /** {@code {"dtm_result":"ONGOING","message":".."}} (HTTP 425). */
    public static byte[] renderOngoing(String message) {
        return envelope("ONGOING", message == null || message.isEmpty() ? "ONGOING" : message);
    }

    /** {@code {"message":".."}}: any other error (HTTP 4xx/5xx); no {@code dtm_result}. */
    public static byte[] renderError(String message) {
        return envelope(null, message == null ? "" : message);
    }

    private static byte[] envelope(String dtmResult, String message) {
        return Json.write(g -> {
            g.writeStartObject();
            if (dtmResult != null) {
                g.writeStringField("dtm_result", dtmResult);
            }
            g.writeStringField("message", message);
            g.writeEndObject();
        });
    }

    /** {@code {"version":".."}}. */
    public static byte[] renderVersion(String version) {
        Objects.requireNonNull(version, "version");
        return Json.write(g -> {
            g.writeStartObject();
            g.writeStringField("version", version);
            g.writeEndObject();
        });
    }

    /** {@code {"msg":"pong"}}: the ping reply. */
    public static byte[] renderPong() {
        return Json.write(g -> {
            g.writeStartObject();
            g.writeStringField("msg", "pong");
            g.writeEndObject();
        });
    }

    /** {@code {"has_remaining":bool,"succeed_count":n}}: the resetCronTime reply. */
    public static byte[] renderCronReset(CronReset reset) {
        Objects.requireNonNull(reset, "reset");
        return Json.write(g -> {
            g.writeStartObject();
            g.writeBooleanField("has_remaining", reset.hasRemaining());
            g.writeNumberField("succeed_count", reset.count());
            g.writeEndObject();
        });
    }

    /**
     * Reads the {@code message} of an error reply, or an empty string when there is none (or the body is
     * not JSON): for clients that want to show the server's reason.
     */
    public static String parseMessage(byte[] body) {
        try {
            JsonNode n = Json.readObject(body, "the reply");
            JsonNode m = n.get("message");
            return m != null && m.isTextual() ? m.textValue() : "";
        } catch (InvalidRequestException e) {
            return "";
        }
    }
}
