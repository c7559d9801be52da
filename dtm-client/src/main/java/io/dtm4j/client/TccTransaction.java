package io.dtm4j.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.core.TransType;
import io.dtm4j.core.spi.BranchInvoker;

import java.time.Duration;
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
public final class TccTransaction extends TwoPhaseTransaction<TccTransaction> {

    TccTransaction(DtmTransport transport, ObjectMapper mapper, BranchInvoker invoker, Duration callTimeout,
                   String gid) {
        super(TransType.TCC, transport, mapper, invoker, callTimeout, gid);
    }

    @Override
    TccTransaction self() {
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
        Tcc tcc = newTcc("");
        return run(() -> body.run(tcc));
    }

    /** A handle that registers branches under {@code parentBranchId} ("" at the top level). */
    Tcc newTcc(String parentBranchId) {
        return new Tcc(transport, mapper, invoker, gid, parentBranchId, dtmUrl(), settings.branchHeaders(),
                settings.requestTimeoutOr(callTimeout));
    }
}
