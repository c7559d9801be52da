package io.dtm4j.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.client.barrier.BarrierWork;
import io.dtm4j.client.barrier.BranchBarrier;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.DtmException;
import io.dtm4j.core.Gids;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;
import io.dtm4j.core.spi.BranchCall;
import io.dtm4j.core.spi.BranchInvoker;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A two-phase message being built: branches the coordinator calls until each succeeds, sent only if a
 * local transaction commits. The usual form is {@link #doAndSubmit}: prepare, run the local work, then
 * submit or abort. Get one from {@link DtmClient#msg()}; the requests are exactly what DTM's Go SDK sends.
 *
 * <pre>{@code
 * client.msg()
 *         .add(busi + "/TransIn", Map.of("amount", 30))
 *         .doAndSubmit(busi + "/QueryPrepared", () -> accounts.debit(1, 30));
 * }</pre>
 *
 * <p>Not thread-safe: build and submit it on one thread.
 */
public final class Msg {
    /** Branch id of the back-check, as DTM uses it. */
    static final String BACK_CHECK_BRANCH_ID = "00";
    /** Op of the back-check, as DTM uses it. */
    static final String BACK_CHECK_OP = "msg";

    private final DtmTransport transport;
    private final ObjectMapper mapper;
    private final BranchInvoker backCheckInvoker;
    private final Duration callTimeout;
    private final String gid;
    private final List<Map<String, String>> steps = new ArrayList<>();
    private final List<byte[]> payloads = new ArrayList<>();
    private final TransSettings settings = new TransSettings();
    private Duration delay = Duration.ZERO;
    private String queryPrepared = "";

    Msg(DtmTransport transport, ObjectMapper mapper, BranchInvoker backCheckInvoker, Duration callTimeout,
        String gid) {
        this.transport = transport;
        this.mapper = mapper;
        this.backCheckInvoker = backCheckInvoker;
        this.callTimeout = callTimeout;
        this.gid = Gids.requireValid(gid);
    }

    /** Returns this message's global id. */
    public String gid() {
        return gid;
    }

    /**
     * Appends a branch the coordinator calls (POST with the payload, GET when it is empty) until it
     * answers SUCCESS; a msg branch never fails, FAILURE is retried like an error.
     *
     * @param actionUrl an http(s) URL
     * @param payload   the request body: a {@code String} of JSON text, a {@code byte[]}, or any object Jackson
     *                  serialises; {@code ""} for none
     * @throws IllegalArgumentException when the URL is not http(s) or the payload is unusable
     */
    public Msg add(String actionUrl, Object payload) {
        String action = Urls.requiredUrl("actionUrl", actionUrl);
        byte[] body = Payloads.toBytes(payload, mapper);
        steps.add(Map.of("action", action));
        payloads.add(body);
        return this;
    }

    /** Calls no branch until this long after the message was created; whole seconds; default none. */
    public Msg delay(Duration value) {
        this.delay = TransSettings.wholeSeconds("delay", value);
        return this;
    }

    /** Calls the branches in parallel; default one after the other, in order. */
    public Msg concurrent() {
        settings.concurrent();
        return this;
    }

    /**
     * Makes {@link #submit()} return only after the coordinator called the branches once: it throws
     * {@link DtmOngoingException} or {@link DtmServerException} if a branch must be retried (the message is
     * still delivered later). Default: submit returns once the message is durably accepted.
     */
    public Msg waitResult() {
        settings.waitResult();
        return this;
    }

    /**
     * Sets how long after prepare the coordinator waits before it asks the back-check; whole seconds;
     * default the coordinator's (35 s).
     */
    public Msg timeoutToFail(Duration timeout) {
        settings.timeoutToFail(timeout);
        return this;
    }

    /** Sets the base retry interval (doubled after each error); whole seconds; default the coordinator's (10 s). */
    public Msg retryInterval(Duration interval) {
        settings.retryInterval(interval);
        return this;
    }

    /**
     * Sets the timeout of each branch call by the coordinator and of the back-check call made by
     * {@link #doAndSubmit}; whole seconds; default the coordinator's (3 s) and the client's (10 s).
     */
    public Msg requestTimeout(Duration timeout) {
        settings.requestTimeout(timeout);
        return this;
    }

    /** Replaces the extra HTTP headers added to every branch call and to the back-check. */
    public Msg branchHeaders(Map<String, String> headers) {
        settings.branchHeaders(headers);
        return this;
    }

    /** Adds one extra HTTP header added to every branch call and to the back-check. */
    public Msg branchHeader(String name, String value) {
        settings.branchHeader(name, value);
        return this;
    }

    /**
     * Stores the message as {@code prepared} ({@code POST /prepare}). If it is neither submitted nor aborted
     * within {@code timeoutToFail}, the coordinator calls {@code GET queryPreparedUrl?gid=..&trans_type=msg
     * &branch_id=00&op=msg}: SUCCESS submits it, FAILURE drops it, ONGOING asks again later. Preparing again
     * while prepared is harmless.
     *
     * @throws DtmFailureException   the gid exists in another status
     * @throws DtmServerException    another coordinator error
     * @throws DtmTransportException the server did not answer (HTTP mode)
     */
    public void prepare(String queryPreparedUrl) {
        this.queryPrepared = Urls.requiredUrl("queryPreparedUrl", queryPreparedUrl);
        transport.prepare(toRequest());
    }

    /**
     * Submits the message ({@code POST /submit}), prepared or not, and returns its gid. The coordinator then
     * calls every branch until it succeeds.
     *
     * @throws DtmFailureException   the message is already finished or was aborted
     * @throws DtmOngoingException   with {@link #waitResult()}: a branch answered ONGOING
     * @throws DtmServerException    another coordinator error (with {@link #waitResult()}: a branch error)
     * @throws DtmTransportException the server did not answer (HTTP mode)
     */
    public String submit() {
        transport.submit(toRequest());
        return gid;
    }

    /**
     * Drops a prepared message ({@code POST /abort}): it becomes {@code failed} and no branch is called.
     *
     * @throws DtmFailureException   the message is not prepared
     * @throws DtmServerException    no such message, or another coordinator error
     * @throws DtmTransportException the server did not answer (HTTP mode)
     */
    public void abort() {
        transport.abort(toRequest());
    }

    /**
     * Prepares the message, runs the local work, then submits or aborts it (DTM's {@code DoAndSubmit}):
     * <ol>
     *   <li>{@link #prepare}; if that fails the local work does not run;</li>
     *   <li>runs {@code localWork};</li>
     *   <li>returns normally → {@link #submit()};</li>
     *   <li>throws {@link DtmFailureException} → {@link #abort()}, then rethrows it;</li>
     *   <li>throws {@link DtmDuplicatedException} (its msg barrier row was there already) → calls the back-check:
     *       SUCCESS (an earlier call with this gid committed; its submit got no answer) → submit and return the
     *       gid, the work having run once; FAILURE → abort and rethrow; anything else → rethrow;</li>
     *   <li>throws anything else (the commit may or may not have happened) → calls the back-check itself:
     *       SUCCESS → submit, FAILURE → abort, anything else → leaves the message prepared for the
     *       coordinator's own back-check; then rethrows it.</li>
     * </ol>
     * A submit or abort that fails after the local work threw is attached to its exception as suppressed.
     * For the back-check to be right, the local work must record its commit where the back-check finds it
     * (the DB barrier does that: see {@link #doAndSubmitDb(String, DataSource, BarrierWork)}).
     *
     * @return the gid
     * @throws E                     whatever the local work threw
     * @throws DtmFailureException   prepare or submit refused, or the local work threw it
     * @throws DtmOngoingException   with {@link #waitResult()}: submitted, but a branch answered ONGOING (the
     *                               local work is committed and the message will still be delivered)
     * @throws DtmTransportException the server did not answer (HTTP mode); after the local work ran, the
     *                               coordinator's back-check settles the message
     */
    public <E extends Exception> String doAndSubmit(String queryPreparedUrl, LocalWork<E> localWork) throws E {
        Objects.requireNonNull(localWork, "localWork");
        prepare(queryPreparedUrl);
        try {
            localWork.run();
        } catch (DtmDuplicatedException e) {
            // the work's barrier found its row: the back-check's rollback marker, or the commit of an earlier call
            // with this gid (a repeated call); as DTM's Go SDK, ask the back-check instead of aborting
            BranchResult r = askBackCheck(e);
            if (r != BranchResult.SUCCESS) {
                if (r == BranchResult.FAILURE) {
                    settle(e, false);
                }
                throw e;
            }
        } catch (DtmFailureException e) {
            settle(e, false);
            throw e;
        } catch (Exception e) {
            afterUnknownOutcome(e);
            throw e;
        }
        submit();
        return gid;
    }

    /**
     * {@link #doAndSubmit} with the local work in a database transaction behind the msg barrier (DTM's
     * {@code DoAndSubmitDB}), on the default barrier table {@value BranchBarrier#DEFAULT_TABLE_NAME}: see
     * {@link #doAndSubmitDb(String, DataSource, String, BarrierWork)}.
     */
    public <E extends Exception> String doAndSubmitDb(String queryPreparedUrl, DataSource dataSource,
                                                      BarrierWork<E> work) throws E, SQLException {
        return doAndSubmitDb(queryPreparedUrl, dataSource, BranchBarrier.DEFAULT_TABLE_NAME, work);
    }

    /**
     * Prepares the message, runs {@code work} in a local transaction on {@code dataSource} together with the
     * barrier row {@code (msg, gid, 00, msg, 01)}, then submits or aborts (DTM's {@code DoAndSubmitDB}):
     * <ol>
     *   <li>{@link #prepare}; if that fails the work does not run;</li>
     *   <li>the work and the barrier row commit together → {@link #submit()};</li>
     *   <li>the work throws {@link DtmFailureException} → nothing committed, {@link #abort()}, rethrow;</li>
     *   <li>the barrier row was there already ({@link DtmDuplicatedException}), the work does not run; the row
     *       says which: the back-check marked the message rolled back → {@link #abort()}, rethrow; an earlier
     *       call with this gid committed (its submit got no answer, and the caller repeats the call) →
     *       {@link #submit()} and return the gid, so that a repeated call is idempotent, as in DTM's Go SDK;</li>
     *   <li>anything else (the commit may or may not have happened) → back-check on the database itself with
     *       {@link BranchBarrier#queryPrepared(DataSource)}: committed → submit, not committed → abort (and a
     *       late commit is now refused); if the database cannot answer, the message stays prepared for the
     *       coordinator's back-check; rethrow.</li>
     * </ol>
     * The back-check URL must answer with {@link BranchBarrier#queryPrepared(DataSource)} on the same table. A
     * submit or abort that fails after the work threw is attached to its exception as suppressed.
     *
     * @param barrierTable the barrier table, {@code [schema.]table}
     * @return the gid
     * @throws E                     whatever the work threw
     * @throws SQLException          from the barrier's statements or the commit
     * @throws DtmFailureException   prepare or submit refused, or the work threw it
     * @throws DtmTransportException the server did not answer (HTTP mode)
     * @throws IllegalArgumentException when the table name is not a safe identifier
     */
    public <E extends Exception> String doAndSubmitDb(String queryPreparedUrl, DataSource dataSource,
                                                      String barrierTable, BarrierWork<E> work)
            throws E, SQLException {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(work, "work");
        BranchBarrier barrier = BranchBarrier.builder().transType(TransType.MSG).gid(gid)
                .branchId(BACK_CHECK_BRANCH_ID).op(BranchOp.MSG).tableName(barrierTable).build();
        prepare(queryPreparedUrl);
        try {
            barrier.call(dataSource, work);
        } catch (DtmDuplicatedException e) {
            // the row was there already: the back-check's rollback marker, or the commit of an earlier call with
            // this gid whose submit got no answer (a client repeating the call); only the row can tell which
            if (!committedBefore(e, barrier, dataSource)) {
                throw e;
            }
        } catch (DtmFailureException e) {
            settle(e, false);
            throw e;
        } catch (Exception e) {
            backCheckDb(e, barrier, dataSource);
            throw e;
        }
        submit();
        return gid;
    }

    /**
     * The msg barrier row existed before this call; reads it as the back-check does. Committed by an earlier call
     * with this gid → true: submit, without running the work again. Marked rolled back → abort, false. Unreadable
     * → false: the message stays prepared for the coordinator's back-check.
     */
    private boolean committedBefore(DtmDuplicatedException duplicate, BranchBarrier barrier, DataSource dataSource) {
        BranchResult r;
        try {
            r = barrier.queryPrepared(dataSource);
        } catch (SQLException | RuntimeException e) {
            duplicate.addSuppressed(e);
            return false;
        }
        if (r == BranchResult.SUCCESS) {
            return true;
        }
        settle(duplicate, false);
        return false;
    }

    /** The local transaction ended in doubt: read the barrier table, as the back-check would, and act on it. */
    private void backCheckDb(Exception cause, BranchBarrier barrier, DataSource dataSource) {
        BranchResult committed;
        try {
            committed = barrier.queryPrepared(dataSource);
        } catch (SQLException | RuntimeException e) {
            cause.addSuppressed(e);
            return;
        }
        settle(cause, committed == BranchResult.SUCCESS);
    }

    /** The local work ended in doubt: ask the back-check, as the coordinator would, and act on its answer. */
    private void afterUnknownOutcome(Exception cause) {
        BranchResult result = askBackCheck(cause);
        if (result == null) {
            return;
        }
        switch (result) {
            case SUCCESS -> settle(cause, true);
            case FAILURE -> settle(cause, false);
            default -> {
                // ONGOING or an error: the coordinator asks the back-check again after timeoutToFail
            }
        }
    }

    /**
     * Calls the back-check ({@code GET queryPrepared?gid=..&op=msg...}) as the coordinator would; null when it
     * could not be called (the failure is attached to {@code cause}).
     */
    private BranchResult askBackCheck(Exception cause) {
        BranchCall call = new BranchCall(gid, TransType.MSG, BACK_CHECK_BRANCH_ID, BACK_CHECK_OP, queryPrepared,
                new byte[0], "http", settings.branchHeaders(), settings.requestTimeoutOr(callTimeout));
        try {
            BranchOutcome outcome = backCheckInvoker.invoke(call);
            return outcome.result();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
            return null;
        }
    }

    /** Submits or aborts after the local work threw {@code cause}; a failure of that is attached to it. */
    private void settle(Exception cause, boolean send) {
        try {
            if (send) {
                submit();
            } else {
                abort();
            }
        } catch (DtmException e) {
            cause.addSuppressed(e);
        }
    }

    /** The request prepare, submit and abort send. */
    TransRequest toRequest() {
        TransRequest.Builder b = TransRequest.builder(gid, TransType.MSG)
                .options(settings.toOptions(true))
                .queryPrepared(queryPrepared);
        for (int i = 0; i < steps.size(); i++) {
            b.step(steps.get(i), payloads.get(i));
        }
        if (!delay.isZero()) {
            b.customData("{\"delay\":" + delay.toSeconds() + "}");
        }
        return b.build();
    }

    @Override
    public String toString() {
        return "Msg[gid=" + gid + ", steps=" + steps.size() + "]";
    }
}
