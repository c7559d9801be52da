package io.dtm4j.client.workflow;

import io.dtm4j.client.xa.XaDatabase;

import javax.sql.DataSource;

/**
 * A branch of a running workflow ({@link Workflow#branch()}): an action whose outcome is recorded, and the
 * callbacks that confirm it on commit or undo it on rollback. Register the rollback callback before the action
 * (a saga's compensation, a TCC cancel), so that it also runs when the action was interrupted in doubt.
 *
 * <p>Recording: an action that succeeded or failed for good is recorded under {@code (branch id, action)}; a
 * resumed run returns the recorded outcome and does not execute it again. An action that answered ONGOING or
 * ended in an error is not recorded, and runs again on resume. Callbacks are recorded under
 * {@code (branch id, commit)} or {@code (branch id, rollback)} the same way.
 *
 * <p>Not thread-safe: use it on the handler's thread.
 */
public interface WorkflowBranch {

    /** Returns the branch id: {@code 01}, {@code 02}, ... */
    String branchId();

    /**
     * Registers the callback run if the workflow rolls back (the handler threw
     * {@link io.dtm4j.client.DtmFailureException}). Rollback callbacks run newest first. By default a branch whose
     * action failed for good is rolled back too, since an earlier delivery of that action (a call that timed out)
     * can still commit; see {@link WorkflowOptions#compensateErrorBranch()}.
     *
     * @return this
     * @throws IllegalStateException when the branch already has one, or from a commit or rollback callback
     */
    WorkflowBranch onRollback(BranchCallback callback);

    /**
     * Registers the callback run if the workflow commits (the handler returned normally). Commit callbacks run
     * newest first.
     *
     * @return this
     * @throws IllegalStateException when the branch already has one, or from a commit or rollback callback
     */
    WorkflowBranch onCommit(BranchCallback callback);

    /**
     * Registers {@code callback} for both commit and rollback; {@link BranchContext#op()} tells which is running.
     *
     * @return this
     * @throws IllegalStateException when the branch already has either, or from a commit or rollback callback
     */
    WorkflowBranch onFinish(BranchCallback callback);

    /**
     * The branch's action as an HTTP call: {@code POST url?branch_id=&gid=&op=action&trans_type=workflow} with
     * the payload and {@code Content-Type: application/json}, classified by the workflow's
     * {@link WorkflowOptions#httpResultMapper()} (default: 200 success, 409 failure, 425 ongoing, else error).
     *
     * @param payload the request body: a {@code String} of JSON text, a {@code byte[]}, or any object Jackson
     *                serialises
     * @return the response body (of the recorded call, on resume)
     * @throws io.dtm4j.client.DtmFailureException the call failed for good (recorded; the body is in the message)
     * @throws io.dtm4j.client.DtmOngoingException the call answered ONGOING (not recorded)
     * @throws WorkflowException                   the call ended in an error or no answer (not recorded), or its
     *                                            outcome could not be recorded
     * @throws IllegalStateException               the branch already has an action
     * @throws IllegalArgumentException            the URL is not http(s) or the payload cannot be serialised
     */
    byte[] call(String url, Object payload);

    /**
     * The branch's action as local code, e.g. a database transaction guarded by the branch barrier (its
     * identity is in the {@link BranchContext}). Returning is a success, throwing
     * {@link io.dtm4j.client.DtmFailureException} a failure for good; both are recorded. Any other exception is
     * not recorded and passes through (a checked one wrapped in a {@link WorkflowException}).
     *
     * @return what the step returned (its recorded data, on resume); never null
     * @throws io.dtm4j.client.DtmFailureException the step failed for good (recorded)
     * @throws IllegalStateException               the branch already has an action
     */
    byte[] doLocal(LocalStep step);

    /**
     * The branch's action as a local XA transaction (DTM's {@code DoXa}), for a database the workflow's service
     * owns. Phase one runs now: {@code XA START} on a connection of its own, the barrier row
     * {@code (workflow, gid, branch, action, 01, reason action)}, the step's work, the {@code business} marker
     * {@code (branch id, business)} recorded in the coordinator, then {@code XA PREPARE}; the outcome is recorded
     * under {@code (branch id, action)} like {@link #doLocal}'s. Phase two runs as the branch's commit and rollback
     * callbacks: {@code XA COMMIT} of the xid {@code <gid>-<branch id>} when the workflow commits, {@code XA
     * ROLLBACK} when it rolls back (always, whatever {@link WorkflowOptions#compensateErrorBranch()} says; an
     * unknown xid counts as done), see {@link XaDatabase}.
     *
     * <p>A resumed run that finds the marker recorded but not the action cannot know whether the xid was prepared:
     * the step is then a FAILURE, recorded, and the workflow rolls back (DTM's "not resumable"). The branch takes no
     * other callback.
     *
     * <pre>{@code
     * XaDatabase accounts = XaDatabase.of(unpooledDataSource); // once, at start-up
     * wf.branch().doXa(accounts, conn -> { debit(conn, user, amount); return null; });
     * }</pre>
     *
     * @return what the work returned (its recorded data, on resume); never null
     * @throws io.dtm4j.client.DtmFailureException the work failed for good, or the step is not resumable (recorded)
     * @throws WorkflowException                   the work threw a checked exception, or the marker could not be
     *                                            recorded (not recorded; rolled back, runs again on resume)
     * @throws io.dtm4j.core.DtmException          a database error (not recorded; rolled back, runs again on
     *                                            resume)
     * @throws IllegalStateException               the branch already has an action or a callback
     */
    byte[] doXa(XaDatabase database, XaStep step);

    /**
     * Runs an XA step on {@code dataSource} with the default barrier table and a detected dialect:
     * {@code doXa(XaDatabase.of(dataSource), step)}; see {@link #doXa(XaDatabase, XaStep)}.
     */
    byte[] doXa(DataSource dataSource, XaStep step);
}
