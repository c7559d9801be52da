package io.dtm4j.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.TransType;
import io.dtm4j.core.spi.BranchCall;
import io.dtm4j.core.spi.BranchInvoker;
import okhttp3.HttpUrl;

import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
    /** Most branches of one transaction (DTM's branch-id generator). */
    static final int MAX_BRANCHES = 99;
    private static final Pattern HTTP_STATUS = Pattern.compile("^HTTP (\\d{3})\\b");

    private final ObjectMapper mapper;
    private final BranchInvoker invoker;
    private final String gid;
    private final String dtmUrl;
    private final Map<String, String> headers;
    private final Duration actionTimeout;
    private int lastBranch;

    Xa(ObjectMapper mapper, BranchInvoker invoker, String gid, String dtmUrl, Map<String, String> headers,
       Duration actionTimeout) {
        this.mapper = mapper;
        this.invoker = invoker;
        this.gid = gid;
        this.dtmUrl = dtmUrl;
        this.headers = Map.copyOf(headers);
        this.actionTimeout = actionTimeout;
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
        String branchId = nextBranchId();
        BranchCall call = new BranchCall(gid, TransType.XA, branchId, ACTION_OP, withPhaseTwo(target), body, "http",
                headers, actionTimeout);
        return judge(branchId, target, invoker.invoke(call));
    }

    /** The next branch id: 2 digits. */
    private synchronized String nextBranchId() {
        if (lastBranch >= MAX_BRANCHES) {
            throw new IllegalStateException("gid=" + gid + ": more than " + MAX_BRANCHES + " XA branches");
        }
        lastBranch++;
        return String.format("%02d", lastBranch);
    }

    /** Adds {@code dtm} (the server prefix, HTTP mode only) and {@code phase2_url} as DTM's Go SDK does. */
    private String withPhaseTwo(String url) {
        HttpUrl parsed = HttpUrl.parse(url);
        if (parsed == null) {
            throw new IllegalArgumentException("url '" + url + "' is not a valid URL");
        }
        HttpUrl.Builder b = parsed.newBuilder();
        if (!dtmUrl.isEmpty()) {
            b.addQueryParameter("dtm", dtmUrl);
        }
        return b.addQueryParameter("phase2_url", url).build().toString();
    }

    /** Spec section 9 for an action called by the client: FAILURE, ONGOING and errors are thrown. */
    private String judge(String branchId, String url, BranchOutcome outcome) {
        String where = "gid=" + gid + " branch=" + branchId + " op=" + ACTION_OP + ": ";
        String detail = outcome.detail().isEmpty() ? "" : ": " + outcome.detail();
        switch (outcome.result()) {
            case SUCCESS -> {
                return outcome.detail();
            }
            case FAILURE -> throw new DtmFailureException(where + url + " answered FAILURE" + detail);
            case ONGOING -> throw new DtmOngoingException(where + url + " answered ONGOING" + detail);
            default -> {
                Matcher m = HTTP_STATUS.matcher(outcome.detail());
                if (m.find()) {
                    throw new DtmServerException(Integer.parseInt(m.group(1)), where + url + " failed" + detail);
                }
                throw new DtmTransportException(url, where + url + " failed" + detail, null);
            }
        }
    }

    @Override
    public String toString() {
        return "Xa[gid=" + gid + "]";
    }
}
