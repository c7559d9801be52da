package io.dtm4j.client;

import io.dtm4j.client.workflow.BranchCallback;
import io.dtm4j.client.workflow.LocalStep;
import io.dtm4j.client.workflow.WorkflowBranch;
import io.dtm4j.core.BranchOp;

import java.util.Objects;

/**
 * A branch of a {@link WorkflowRun}: enforces one action, one commit and one rollback callback per branch, and
 * sends the action through the run's recording. Not thread-safe.
 */
final class WorkflowRunBranch implements WorkflowBranch {
    private final WorkflowRun run;
    private final String branchId;
    private boolean hasAction;
    private boolean hasCommit;
    private boolean hasRollback;

    WorkflowRunBranch(WorkflowRun run, String branchId) {
        this.run = run;
        this.branchId = branchId;
    }

    @Override
    public String branchId() {
        return branchId;
    }

    @Override
    public WorkflowBranch onRollback(BranchCallback callback) {
        Objects.requireNonNull(callback, "callback");
        run.requireRunning("onRollback");
        if (hasRollback) {
            throw new IllegalStateException(where() + "a branch has at most one rollback callback");
        }
        hasRollback = true;
        run.addRollback(branchId, callback);
        return this;
    }

    @Override
    public WorkflowBranch onCommit(BranchCallback callback) {
        Objects.requireNonNull(callback, "callback");
        run.requireRunning("onCommit");
        if (hasCommit) {
            throw new IllegalStateException(where() + "a branch has at most one commit callback");
        }
        hasCommit = true;
        run.addCommit(branchId, callback);
        return this;
    }

    @Override
    public WorkflowBranch onFinish(BranchCallback callback) {
        Objects.requireNonNull(callback, "callback");
        if (hasCommit || hasRollback) {
            throw new IllegalStateException(where() + "onFinish registers both callbacks, the branch has one already");
        }
        return onCommit(callback).onRollback(callback);
    }

    @Override
    public byte[] call(String url, Object payload) {
        Urls.requiredUrl("url", url);
        claimAction();
        return run.recorded(branchId, BranchOp.ACTION, () -> run.call(branchId, BranchOp.ACTION, url, payload));
    }

    @Override
    public byte[] doLocal(LocalStep step) {
        Objects.requireNonNull(step, "step");
        claimAction();
        WorkflowStepContext ctx = new WorkflowStepContext(run, branchId, BranchOp.ACTION);
        return run.recorded(branchId, BranchOp.ACTION, () -> {
            try {
                return WorkflowStep.succeed(step.run(ctx));
            } catch (DtmFailureException e) {
                return WorkflowStep.failed(e.getMessage(), e);
            }
        });
    }

    private void claimAction() {
        run.requireRunning("an action");
        if (hasAction) {
            throw new IllegalStateException(where() + "a branch has at most one action (call or doLocal); start "
                    + "another with wf.branch()");
        }
        hasAction = true;
    }

    private String where() {
        return "gid=" + run.gid() + " branch=" + branchId + ": ";
    }

    @Override
    public String toString() {
        return "WorkflowBranch[gid=" + run.gid() + ", branch=" + branchId + "]";
    }
}
