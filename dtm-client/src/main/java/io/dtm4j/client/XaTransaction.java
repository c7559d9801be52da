package io.dtm4j.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.core.TransType;
import io.dtm4j.core.spi.BranchInvoker;

import java.time.Duration;
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
public final class XaTransaction extends TwoPhaseTransaction<XaTransaction> {

    XaTransaction(DtmTransport transport, ObjectMapper mapper, BranchInvoker invoker, Duration callTimeout,
                  String gid) {
        super(TransType.XA, transport, mapper, invoker, callTimeout, gid);
    }

    @Override
    XaTransaction self() {
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
        Xa xa = new Xa(mapper, invoker, gid, dtmUrl(), settings.branchHeaders(),
                settings.requestTimeoutOr(callTimeout));
        return run(() -> body.run(xa));
    }
}
