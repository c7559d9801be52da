package io.dtm4j.core.spi;

import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.TransType;

import java.time.Duration;

/**
 * Hears what the coordinator does, for metrics: processing rounds, branch calls, status changes and retries. Pass
 * one to {@code Coordinator.builder().events(...)}; every method does nothing by default, so a listener overrides
 * only what it needs.
 *
 * <p>The engine calls these methods on its own threads (request threads, recovery and worker threads), often
 * concurrently, right after the fact and inside the processing path: implementations must be thread-safe, fast and
 * free of I/O (update an in-memory counter, nothing more). An exception thrown by a listener is logged and
 * ignored; it never changes what the engine does.
 *
 * <p>Events are reported only for what actually happened on this node: a write that lost a compare-and-set is
 * not a status change, and a round that did not start (another round of the same transaction was running here)
 * is not a round.
 */
public interface CoordinatorEvents {

    /** A listener that ignores every event; the builder's default. */
    CoordinatorEvents NONE = new CoordinatorEvents() {
    };

    /**
     * One processing round of a transaction ended: after a submit or abort, or when recovery re-drove it. This is
     * DTM's {@code dtm_transaction_process_total} and {@code dtm_transaction_handled_duration}.
     *
     * <p>The round is {@code ok} when it ended normally and left nothing wrong behind: the transaction succeeded,
     * or is still waiting with no call having gone wrong (a prepared transaction before its timeout, a msg before
     * its delay). It is not ok when it ended with the transaction {@code failed} (rolled back, aborted or timed
     * out), when a call it made did not succeed and is to be retried (see {@link #retryScheduled}), when it lost a
     * compare-and-set to another actor, or when it threw (the store was unavailable, or a bug).
     *
     * @param gid   the transaction
     * @param model its type
     * @param ok    whether the round ended without trouble, as above
     * @param age   time from the transaction's create_time to the end of the round, by the coordinator's clock;
     *              negative when another node's clock wrote a create_time ahead of this one's
     */
    default void roundEnded(String gid, TransType model, boolean ok, Duration age) {
    }

    /**
     * A branch op was called: a saga action or compensation, a msg action, a tcc confirm or cancel, an xa commit
     * or rollback. A branch with an empty URL counts as called, with {@link BranchResult#SUCCESS}. Back-checks
     * (a msg's {@code query_prepared}, a workflow's resume) are not branch calls. In a concurrent step the calls
     * are reported in row order once all of them have answered. This is DTM's {@code dtm_branch_process_total}.
     *
     * @param gid      the transaction
     * @param model    its type
     * @param branchId the branch, e.g. {@code 01}
     * @param op       the op called
     * @param result   how the branch answered; {@link BranchResult#ERROR} also for a timeout or a transport error
     */
    default void branchCalled(String gid, TransType model, String branchId, BranchOp op, BranchResult result) {
    }

    /**
     * The coordinator wrote a new status: a transaction was created ({@code prepared} or {@code submitted}) or moved
     * to another status, by a request, a processing round or a force stop. Reported after the write succeeded.
     *
     * @param gid    the transaction
     * @param model  its type
     * @param status the status written
     */
    default void statusChanged(String gid, TransType model, GlobalStatus status) {
    }

    /**
     * A round ended with the transaction unfinished because a call it made did not succeed, so the transaction
     * will be tried again later: a branch answered ONGOING, ERROR (or FAILURE where that is retried: tcc, xa, msg
     * actions and every compensation), a msg back-check answered ONGOING or ERROR, or a workflow resume did not
     * succeed. Reported at the end of such a round, unless it lost a compare-and-set.
     *
     * @param gid   the transaction
     * @param model its type
     */
    default void retryScheduled(String gid, TransType model) {
    }
}
