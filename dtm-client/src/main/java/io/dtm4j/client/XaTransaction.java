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
 * An XA global transaction being set up; {@link #execute} runs it (DTM's {@code XaGlobalTransaction2}). Get
 * one from {@link DtmClient#xa(String)} or {@link DtmClient#xa()}, set options, then execute a body:
 *
 * <pre>{@code
 * dtm.xa(gid).timeoutToFail(Duration.ofSeconds(60)).execute(xa -> {
 *     xa.callBranch(req, busi + "/TransOutXa");
 *     return xa.callBranch(req, busi + "/TransInXa");
 * });
 * }</pre>
 *
 * <p>Each branch service runs its part in a local XA transaction with {@link io.dtm4j.client.xa.XaBranch}:
 * it prepares it and registers the branch; the coordinator later commits (after submit) or rolls back (after
 * abort or timeout) every registered branch by calling the same URL with {@code op=commit|rollback}.
 *
 * <p>The requests are exactly what DTM's Go SDK sends, so it works against any DTM server. Not thread-safe:
 * set it up and execute it on one thread (the body may then call branches from several threads).
 */
public final class XaTransaction {
    /** DTM's rollback_reason column holds 1024 characters. */
    static final int MAX_REASON_CHARS = 1024;

    private final DtmTransport transport;
    private final ObjectMapper mapper;
    private final BranchInvoker invoker;
    private final Duration callTimeout;
    private final String gid;
    private final TransSettings settings = new TransSettings();

    XaTransaction(DtmTransport transport, ObjectMapper mapper, BranchInvoker invoker, Duration callTimeout,
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
     * throws {@link DtmOngoingException} or {@link DtmServerException} when a commit must be retried (it is
     * still committed later). Default: phase two runs in the background.
     */
    public XaTransaction waitResult() {
        settings.waitResult();
        return this;
    }

    /**
     * Sets how long the transaction may stay in phase one before the coordinator aborts it (reason
     * {@code Timeout after N seconds}) and rolls its prepared branches back; whole seconds; default the
     * coordinator's (35 s).
     */
    public XaTransaction timeoutToFail(Duration timeout) {
        settings.timeoutToFail(timeout);
        return this;
    }

    /** Sets the base retry interval of commit/rollback (doubled after each error); whole seconds; default 10 s. */
    public XaTransaction retryInterval(Duration interval) {
        settings.retryInterval(interval);
        return this;
    }

    /**
     * Sets the timeout of each commit/rollback call by the coordinator and of each action call made here;
     * whole seconds; default the coordinator's (3 s) and the client's (10 s).
     */
    public XaTransaction requestTimeout(Duration timeout) {
        settings.requestTimeout(timeout);
        return this;
    }

    /** Replaces the extra HTTP headers added to every action, commit and rollback call. */
    public XaTransaction branchHeaders(Map<String, String> headers) {
        settings.branchHeaders(headers);
        return this;
    }

    /** Adds one extra HTTP header added to every action, commit and rollback call. */
    public XaTransaction branchHeader(String name, String value) {
        settings.branchHeader(name, value);
        return this;
    }

    /**
     * Runs the transaction:
     * <ol>
     *   <li>{@code POST /prepare}; if that fails the body does not run;</li>
     *   <li>runs {@code body}, whose {@link Xa#callBranch} calls run each branch's phase one (the branch
     *       service registers the branch itself);</li>
     *   <li>the body returns normally → {@code POST /submit}: the coordinator commits every registered branch,
     *       first registered first, and the body's result is returned;</li>
     *   <li>the body throws anything (also an action that answered FAILURE) → {@code POST /abort} with the
     *       exception's message as rollback reason: the coordinator rolls back every registered branch; then
     *       the original exception is rethrown, with a failed abort attached to it as suppressed.</li>
     * </ol>
     *
     * @return what the body returned
     * @throws E                     whatever the body threw
     * @throws DtmFailureException   prepare or submit refused (e.g. the transaction timed out meanwhile), or an
     *                               action answered FAILURE (thrown by the body)
     * @throws DtmOngoingException   with {@link #waitResult()}: a commit answered ONGOING; it is retried later
     * @throws DtmServerException    another coordinator error
     * @throws DtmTransportException the server did not answer (HTTP mode); an unfinished transaction times
     *                               out and is rolled back by the coordinator
     */
    public <R, E extends Exception> R execute(XaBody<R, E> body) throws E {
        Objects.requireNonNull(body, "body");
        transport.prepare(toRequest(""));
        String dtmUrl = transport instanceof HttpTransport ? transport.describe() : "";
        Xa xa = new Xa(mapper, invoker, gid, dtmUrl, settings.branchHeaders(), settings.requestTimeoutOr(callTimeout));
        R result;
        try {
            result = body.run(xa);
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

    /** The request prepare, submit and abort send: DTM's XA TransBase with this transaction's options. */
    TransRequest toRequest(String rollbackReason) {
        return TransRequest.builder(gid, TransType.XA)
                .options(settings.toOptions(false))
                .rollbackReason(rollbackReason)
                .build();
    }

    @Override
    public String toString() {
        return "XaTransaction[gid=" + gid + "]";
    }
}
