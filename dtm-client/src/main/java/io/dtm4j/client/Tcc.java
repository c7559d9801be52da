package io.dtm4j.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.TransType;
import io.dtm4j.core.spi.BranchCall;
import io.dtm4j.core.spi.BranchInvoker;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The try phase of a TCC global transaction: {@link #callBranch} registers a branch (its confirm and cancel)
 * with the coordinator and calls its try. A {@link TccTransaction} hands one to its {@link TccBody}; inside a
 * try handler, {@link #fromBranch} rebuilds one to register nested branches of the same transaction
 * (DTM's {@code TccFromQuery}).
 *
 * <p>Branch ids are the parent's id (empty at the top level) followed by a 2-digit counter: {@code 01},
 * {@code 02}, ... at the top level, {@code 0101}, {@code 0102}, ... under branch {@code 01}; at most 99 per
 * level and a parent id under 20 characters, as in DTM.
 *
 * <p>Thread-safe: branch ids are handed out atomically, so a body may call branches in parallel.
 */
public final class Tcc {
    /** Op of the try call, as DTM sends it. */
    static final String TRY_OP = "try";

    private final DtmTransport transport;
    private final ObjectMapper mapper;
    private final BranchInvoker invoker;
    private final String gid;
    private final String parentBranchId;
    private final String dtmUrl;
    private final Map<String, String> headers;
    private final Duration tryTimeout;
    private final ClientBranchCalls.Ids ids;

    Tcc(DtmTransport transport, ObjectMapper mapper, BranchInvoker invoker, String gid, String parentBranchId,
        String dtmUrl, Map<String, String> headers, Duration tryTimeout) {
        this.transport = transport;
        this.mapper = mapper;
        this.invoker = invoker;
        this.gid = gid;
        this.parentBranchId = parentBranchId;
        this.dtmUrl = dtmUrl;
        this.headers = Map.copyOf(headers);
        this.tryTimeout = tryTimeout;
        this.ids = new ClientBranchCalls.Ids(gid, parentBranchId);
    }

    /**
     * Rebuilds the TCC of the try call being handled, from its query parameters ({@code gid},
     * {@code branch_id}, {@code trans_type}), so the handler can register nested branches of the same global
     * transaction through {@code client}: under branch {@code 01} they get {@code 0101}, {@code 0102}, ...
     * They are confirmed or cancelled with the rest. Branch headers of the outer transaction are not carried.
     *
     * @param client      a client of the coordinator that runs the transaction
     * @param queryParams the try request's query parameters, one value per name
     * @throws IllegalArgumentException when gid or branch_id is missing, or trans_type is not tcc
     */
    public static Tcc fromBranch(DtmClient client, Map<String, String> queryParams) {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(queryParams, "queryParams");
        String gid = queryParams.getOrDefault("gid", "");
        String branchId = queryParams.getOrDefault("branch_id", "");
        String type = queryParams.getOrDefault("trans_type", "");
        if (gid.isEmpty() || branchId.isEmpty()) {
            throw new IllegalArgumentException("Tcc.fromBranch: the query has no "
                    + (gid.isEmpty() ? "gid" : "branch_id")
                    + " (gid=" + gid + ", branch_id=" + branchId + "); pass the query parameters of a TCC try call");
        }
        if (!type.isEmpty() && !type.equals(TransType.TCC.wireName())) {
            throw new IllegalArgumentException("gid=" + gid + ": Tcc.fromBranch needs a tcc branch, got trans_type="
                    + type);
        }
        return client.tcc(gid).newTcc(branchId);
    }

    /** Returns the global id. */
    public String gid() {
        return gid;
    }

    /** Returns the id of the branch this TCC registers under: empty at the top level, e.g. {@code 01} nested. */
    public String parentBranchId() {
        return parentBranchId;
    }

    /**
     * Registers a branch, then calls its try (DTM's {@code CallBranch}):
     * <ol>
     *   <li>takes the next branch id;</li>
     *   <li>{@code POST /registerBranch} {@code {gid, trans_type:"tcc", branch_id, data, confirm, cancel}}, so
     *       the branch is cancelled on rollback even if its try never answers;</li>
     *   <li>{@code POST tryUrl?dtm=&branch_id=&gid=&op=try&trans_type=tcc} (no {@code dtm} in embedded mode)
     *       with the payload and the branch headers, within the request timeout.</li>
     * </ol>
     * The coordinator later sends the same payload to confirm (on submit) or cancel (on abort).
     *
     * @param payload    the body of try, confirm and cancel: a {@code String} of JSON text, a {@code byte[]} or
     *                   any object Jackson serialises; {@code ""} sends none (the try is then a GET)
     * @param tryUrl     the try op, an http(s) URL
     * @param confirmUrl the confirm op; empty for none
     * @param cancelUrl  the cancel op; empty for none
     * @return the try's response body, trimmed and cut to {@link io.dtm4j.core.BranchOutcome#MAX_DETAIL_CHARS}
     *         characters
     * @throws DtmFailureException   registration refused (e.g. the transaction is no longer prepared), or the
     *                               try answered FAILURE (409, or a 200 whose body contains FAILURE)
     * @throws DtmOngoingException   the try answered ONGOING (425, or a body containing ONGOING)
     * @throws DtmServerException    the try answered another non-200 status, or the coordinator an error
     * @throws DtmTransportException the try (or the DTM server) did not answer
     * @throws IllegalStateException more than 99 branches at this level, or nesting too deep
     */
    public String callBranch(Object payload, String tryUrl, String confirmUrl, String cancelUrl) {
        String tryTarget = Urls.requiredUrl("tryUrl", tryUrl);
        String confirm = Urls.branchUrl("confirmUrl", confirmUrl);
        String cancel = Urls.branchUrl("cancelUrl", cancelUrl);
        byte[] body = Payloads.toBytes(payload, mapper);
        String branchId = ids.next();
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("confirm", confirm);
        fields.put("cancel", cancel);
        transport.registerBranch(new BranchRegistration(gid, TransType.TCC, branchId, body, fields));
        BranchCall call = new BranchCall(gid, TransType.TCC, branchId, TRY_OP,
                ClientBranchCalls.withQuery("tryUrl", tryTarget, Map.of("dtm", dtmUrl)), body, "http", headers,
                tryTimeout);
        return ClientBranchCalls.judge(gid, branchId, TRY_OP, tryTarget, invoker.invoke(call));
    }

    @Override
    public String toString() {
        return "Tcc[gid=" + gid + ", parent=" + parentBranchId + "]";
    }
}
