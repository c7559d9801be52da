package io.dtm4j.client;

import io.dtm4j.client.workflow.BranchCallback;
import io.dtm4j.client.workflow.WorkflowException;
import io.dtm4j.core.BranchOp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Phase two of a {@link WorkflowRun}: the commit and rollback callbacks in registration order, and the run of one
 * list newest first, each callback recorded. Not thread-safe: it lives on the run's thread.
 */
final class WorkflowCallbacks {
    private static final Logger LOG = LoggerFactory.getLogger(WorkflowCallbacks.class);
    private static final byte[] NONE = new byte[0];

    /**
     * A callback with its branch, in registration order.
     *
     * @param always whether it runs on rollback even when the branch's action failed for good (an XA step's
     *               rollback: its xid may be prepared although the action is recorded as failed)
     */
    private record Callback(String branchId, BranchCallback callback, boolean always) {
    }

    private final List<Callback> commits = new ArrayList<>();
    private final List<Callback> rollbacks = new ArrayList<>();
    private final Set<String> failedActions = new HashSet<>();

    void addCommit(String branchId, BranchCallback callback) {
        commits.add(new Callback(branchId, callback, false));
    }

    /** Adds a rollback callback; {@code always}: see {@link Callback}. */
    void addRollback(String branchId, BranchCallback callback, boolean always) {
        rollbacks.add(new Callback(branchId, callback, always));
    }

    /** Notes that the action of a branch failed for good: its rollback is skipped unless the options say not to. */
    void actionFailed(String branchId) {
        failedActions.add(branchId);
    }

    /**
     * Runs the commit callbacks, or the rollback callbacks, newest first, each through {@link WorkflowRun#recorded}.
     *
     * @param compensateErrorBranch whether branches whose action failed for good are rolled back too
     * @throws WorkflowException a callback threw {@link DtmFailureException}, which it must not
     */
    void finish(WorkflowRun run, boolean commit, boolean compensateErrorBranch) {
        BranchOp op = commit ? BranchOp.COMMIT : BranchOp.ROLLBACK;
        List<Callback> callbacks = commit ? commits : rollbacks;
        for (int i = callbacks.size() - 1; i >= 0; i--) {
            Callback c = callbacks.get(i);
            if (!commit && !c.always() && !compensateErrorBranch && failedActions.contains(c.branchId())) {
                LOG.debug("gid={} branch={}: action failed, not rolled back", run.gid(), c.branchId());
                continue;
            }
            WorkflowStepContext ctx = new WorkflowStepContext(run, c.branchId(), op);
            try {
                run.recorded(c.branchId(), op, () -> {
                    c.callback().run(ctx);
                    return WorkflowStep.succeed(NONE);
                });
            } catch (DtmFailureException e) {
                throw new WorkflowException(run.where(c.branchId(), op) + "a " + op.wireName() + " callback must not "
                        + "fail for good; it runs again when the workflow is resumed: " + e.getMessage(), e);
            }
        }
    }
}
