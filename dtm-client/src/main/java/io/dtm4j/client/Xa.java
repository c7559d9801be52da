package io.dtm4j.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.TransType;
import io.dtm4j.core.spi.BranchCall;
import io.dtm4j.core.spi.BranchInvoker;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Phase one of an XA global transaction: {@link #callBranch} calls a branch's action, which runs its local XA
 * transaction, registers the branch and prepares it (see {@link io.dtm4j.client.xa.XaBranch}). An
 * {@link XaTransaction} hands one to its {@link XaBody}.
 *
 * <p>Branch ids are a 2-digit counter, {@code 01}, {@code 02}, ..., at most 99, as in DTM.
 *
 * <p>Thread-safe: branch ids are handed out atomically, so a body may call branches in parallel.
 */
public final class Xa {
    /** Op of the action call, as DTM sends it. */
    static final String ACTION_OP = "action";

    private final ObjectMapper mapper;
    private final BranchInvoker invoker;
    private final String gid;
    private final String dtmUrl;
    private final Map<String, String> headers;
    private final Duration actionTimeout;
    private final ClientBranchCalls.Ids ids;

    Xa(ObjectMapper mapper, BranchInvoker invoker, String gid, String dtmUrl, Map<String, String> headers,
       Duration actionTimeout) {
        this.mapper = mapper;
        this.invoker = invoker;
        this.gid = gid;
        this.dtmUrl = dtmUrl;
        this.headers = Map.copyOf(headers);
        this.actionTimeout = actionTimeout;
        this.ids = new ClientBranchCalls.Ids(gid, "");
    }

    /** Returns the global id. */
    public String gid() {
        return gid;
    }

    /**
     * Calls a branch's action (DTM's {@code CallBranch}): takes the next branch id and sends
     * {@code POST url?dtm=&phase2_url=<url>&branch_id=&gid=&op=action&trans_type=xa} (no {@code dtm} in
     * embedded mode) with the payload and the branch headers, within the request timeout. The branch
     * registers itself with the coordinator, which later calls the same URL with {@code op=commit} or
     * {@code op=rollback} (always POST, without a body).
     *
     * @param payload the action's request body: a {@code String} of JSON text, a {@code byte[]} or any object
     *                Jackson serialises; {@code ""} for none (still a POST)
     * @param url     the branch's URL, an http(s) URL, used for its action, commit and rollback
     * @return the action's response body, trimmed and cut to {@link BranchOutcome#MAX_DETAIL_CHARS} characters
     * @throws DtmFailureException   the action answered FAILURE (409, or a 200 whose body contains FAILURE)
     * @throws DtmOngoingException   the action answered ONGOING (425, or a body containing ONGOING)
     * @throws DtmServerException    the action answered another non-200 status
     * @throws DtmTransportException the action did not answer (refused, timed out, broken connection)
     * @throws IllegalStateException more than 99 branches
     */
    public String callBranch(Object payload, String url) {
        String target = Urls.requiredUrl("url", url);
        byte[] body = Payloads.toBytes(payload, mapper);
        String branchId = ids.next();
        Map<String, String> query = new LinkedHashMap<>();
        query.put("dtm", dtmUrl);
        query.put("phase2_url", target);
        BranchCall call = new BranchCall(gid, TransType.XA, branchId, ACTION_OP,
                ClientBranchCalls.withQuery("url", target, query), body, "http", headers, actionTimeout);
        return ClientBranchCalls.judge(gid, branchId, ACTION_OP, target, invoker.invoke(call));
    }

    @Override
    public String toString() {
        return "Xa[gid=" + gid + "]";
    }
}
