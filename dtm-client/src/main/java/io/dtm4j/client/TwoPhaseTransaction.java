package io.dtm4j.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.core.DtmException;
import io.dtm4j.core.Gids;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;
import io.dtm4j.core.spi.BranchInvoker;

import java.time.Duration;
import java.util.Map;

/**
 * What a TCC and an XA global transaction share: the options, and the run: prepare, the body (phase one,
 * driven by the client), then submit, or abort with the exception's message when the body throws. The
 * coordinator runs phase two. Not thread-safe: set it up and execute it on one thread.
 *
 * @param <T> the concrete type, returned by the option setters
 */
abstract class TwoPhaseTransaction<T extends TwoPhaseTransaction<T>> {
    /** DTM's rollback_reason column holds 1024 characters. */
    static final int MAX_REASON_CHARS = 1024;

    final DtmTransport transport;
    final ObjectMapper mapper;
    final BranchInvoker invoker;
    final Duration callTimeout;
    final String gid;
    final TransSettings settings = new TransSettings();
    private final TransType type;

    /** Phase one of the transaction, as the public body types run it. */
    @FunctionalInterface
    interface PhaseOne<R, E extends Exception> {
        R run() throws E;
    }

    TwoPhaseTransaction(TransType type, DtmTransport transport, ObjectMapper mapper, BranchInvoker invoker,
                        Duration callTimeout, String gid) {
        this.type = type;
        this.transport = transport;
        this.mapper = mapper;
        this.invoker = invoker;
        this.callTimeout = callTimeout;
        this.gid = Gids.requireValid(gid);
    }

    abstract T self();

    /** Returns this transaction's global id. */
    public String gid() {
        return gid;
    }

    /**
     * Makes submit and abort return only after the coordinator ran phase two once: {@code execute} then throws
     * {@link DtmOngoingException} or {@link DtmServerException} when a phase-two call must be retried (it is
     * still retried later). Default: phase two runs in the background.
     */
    public T waitResult() {
        settings.waitResult();
        return self();
    }

    /**
     * Sets how long the transaction may stay in phase one before the coordinator aborts it (reason
     * {@code Timeout after N seconds}); whole seconds; default the coordinator's (35 s).
     */
    public T timeoutToFail(Duration timeout) {
        settings.timeoutToFail(timeout);
        return self();
    }

    /** Sets the base retry interval of the phase-two calls (doubled after each error); whole seconds; default 10 s. */
    public T retryInterval(Duration interval) {
        settings.retryInterval(interval);
        return self();
    }

    /**
     * Sets the timeout of each phase-two call by the coordinator and of each phase-one call made here; whole
     * seconds; default the coordinator's (3 s) and the client's (10 s).
     */
    public T requestTimeout(Duration timeout) {
        settings.requestTimeout(timeout);
        return self();
    }

    /** Replaces the extra HTTP headers added to every branch call of both phases. */
    public T branchHeaders(Map<String, String> headers) {
        settings.branchHeaders(headers);
        return self();
    }

    /** Adds one extra HTTP header to every branch call of both phases. */
    public T branchHeader(String name, String value) {
        settings.branchHeader(name, value);
        return self();
    }

    /** Prepares, runs phase one, then submits; on any exception aborts and rethrows it. */
    <R, E extends Exception> R run(PhaseOne<R, E> phaseOne) throws E {
        transport.prepare(toRequest(""));
        R result;
        try {
            result = phaseOne.run();
        } catch (Throwable t) {
            abortAfter(t);
            throw t;
        }
        transport.submit(toRequest(""));
        return result;
    }

    /** The DTM server prefix sent as the {@code dtm} query parameter of phase-one calls; empty when embedded. */
    String dtmUrl() {
        return transport instanceof HttpTransport ? transport.describe() : "";
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

    /** The request prepare, submit and abort send: DTM's TransBase with this transaction's options. */
    TransRequest toRequest(String rollbackReason) {
        return TransRequest.builder(gid, type)
                .options(settings.toOptions(false))
                .rollbackReason(rollbackReason)
                .build();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[gid=" + gid + "]";
    }
}
