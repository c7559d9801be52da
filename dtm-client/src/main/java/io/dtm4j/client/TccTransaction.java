package io.dtm4j.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.core.DtmException;
import io.dtm4j.core.Gids;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;
import io.dtm4j.core.spi.BranchInvoker;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * A TCC global transaction being set up; {@link #execute} runs it (DTM's {@code TccGlobalTransaction2}). Get
 * one from {@link DtmClient#tcc(String)} or {@link DtmClient#tcc()}, set options, then execute a body:
 *
 * <pre>{@code
 * dtm.tcc(gid).waitResult().branchHeader("tenant", "t1").execute(tcc -> {
 *     tcc.callBranch(req, busi + "/TransOut", busi + "/TransOutConfirm", busi + "/TransOutRevert");
 *     return tcc.callBranch(req, busi + "/TransIn", busi + "/TransInConfirm", busi + "/TransInRevert");
 * });
 * }</pre>
 *
 * <p>The requests are exactly what DTM's Go SDK sends, so it works against any DTM server. Not thread-safe:
 * set it up and execute it on one thread (the body may then call branches from several threads).
 */
public final class TccTransaction {
    /** DTM's rollback_reason column holds 1024 characters. */
    static final int MAX_REASON_CHARS = 1024;

    private final DtmTransport transport;
    private final ObjectMapper mapper;
    private final BranchInvoker invoker;
    private final Duration callTimeout;
    private final String gid;
    private final TransSettings settings = new TransSettings();

    TccTransaction(DtmTransport transport, ObjectMapper mapper, BranchInvoker invoker, Duration callTimeout,
                   String gid) {
        this.transport = transport;
        this.mapper = mapper;
        this.invoker = invoker;
        this.callTimeout = callTimeout;
        this.gid = Gids.requireValid(gid);
    }

    /** Returns this transaction's global id. */
    public String gid() {
        return gid;
    }

    /**
     * Makes submit and abort return only after the coordinator ran phase two once: {@link #execute} then
     * throws {@link DtmOngoingException} or {@link DtmServerException} when a confirm must be retried (it is
     * still confirmed later). Default: phase two runs in the background.
     */
    public TccTransaction waitResult() {
        settings.waitResult();
        return this;
    }

    /**
     * Sets how long the transaction may stay in its try phase before the coordinator aborts it (reason
     * {@code Timeout after N seconds}); whole seconds; default the coordinator's (35 s).
     */
    public TccTransaction timeoutToFail(Duration timeout) {
        settings.timeoutToFail(timeout);
        return this;
    }

    /** Sets the base retry interval of confirm/cancel (doubled after each error); whole seconds; default 10 s. */
    public TccTransaction retryInterval(Duration interval) {
        settings.retryInterval(interval);
        return this;
    }

    /**
     * Sets the timeout of each confirm/cancel call by the coordinator and of each try call made here; whole
     * seconds; default the coordinator's (3 s) and the client's (10 s).
     */
    public TccTransaction requestTimeout(Duration timeout) {
        settings.requestTimeout(timeout);
        return this;
    }

    /** Replaces the extra HTTP headers added to every try, confirm and cancel call. */
    public TccTransaction branchHeaders(Map<String, String> headers) {
        settings.branchHeaders(headers);
        return this;
    }

    /** Adds one extra HTTP header added to every try, confirm and cancel call. */
    public TccTransaction branchHeader(String name, String value) {
        settings.branchHeader(name, value);
        return this;
    }

    /**
     * Runs the transaction:
     * <ol>
     *   <li>{@code POST /prepare}; if that fails the body does not run;</li>
     *   <li>runs {@code body}, whose {@link Tcc#callBranch} calls register each branch and call its try;</li>
     *   <li>the body returns normally → {@code POST /submit}: the coordinator confirms every branch, last
     *       registered first, and the body's result is returned;</li>
     *   <li>the body throws anything (also a try that answered FAILURE) → {@code POST /abort} with the
     *       exception's message as rollback reason: the coordinator cancels every registered branch, also the
     *       one whose try failed; then the original exception is rethrown, with a failed abort attached to it
     *       as suppressed.</li>
     * </ol>
     *
     * @return what the body returned
     * @throws E                     whatever the body threw
     * @throws DtmFailureException   prepare or submit refused (e.g. the transaction timed out meanwhile), or a
     *                               try answered FAILURE (thrown by the body)
     * @throws DtmOngoingException   with {@link #waitResult()}: a confirm answered ONGOING; it is retried later
     * @throws DtmServerException    another coordinator error
     * @throws DtmTransportException the server did not answer (HTTP mode); an unfinished transaction times
     *                               out and is rolled back by the coordinator
     */
    public <R, E extends Exception> R execute(TccBody<R, E> body) throws E {
        Objects.requireNonNull(body, "body");
        transport.prepare(toRequest(""));
        Tcc tcc = newTcc("");
        R result;
        try {
            result = body.run(tcc);
        } catch (Throwable t) {
            abortAfter(t);
            throw t;
        }
        transport.submit(toRequest(""));
        return result;
    }

    /** Aborts after the body threw {@code cause}; a failure of the abort is attached to it. */
    private void abortAfter(Throwable cause) {
        try {
            transport.abort(toRequest(reasonOf(cause)));
        } catch (DtmException e) {
            cause.addSuppressed(e);
        }
    }

    /** The rollback reason for an exception: its message (as Go's {@code err.Error()}), else its class name. */
    static String reasonOf(Throwable t) {
        String m = t.getMessage();
        String reason = m == null || m.isBlank() ? t.getClass().getName() : m;
        return reason.length() <= MAX_REASON_CHARS ? reason : reason.substring(0, MAX_REASON_CHARS);
    }

    /** A handle that registers branches under {@code parentBranchId} ("" at the top level). */
    Tcc newTcc(String parentBranchId) {
        String dtmUrl = transport instanceof HttpTransport ? transport.describe() : "";
        return new Tcc(transport, mapper, invoker, gid, parentBranchId, dtmUrl, settings.branchHeaders(),
                settings.requestTimeoutOr(callTimeout));
    }

    /** The request prepare, submit and abort send: DTM's TCC TransBase with this transaction's options. */
    TransRequest toRequest(String rollbackReason) {
        return TransRequest.builder(gid, TransType.TCC)
                .options(settings.toOptions(false))
                .rollbackReason(rollbackReason)
                .build();
    }

    @Override
    public String toString() {
        return "TccTransaction[gid=" + gid + "]";
    }
}
