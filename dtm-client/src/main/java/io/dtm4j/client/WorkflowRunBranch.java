package io.dtm4j.client;

import io.dtm4j.client.workflow.BranchCallback;
import io.dtm4j.client.workflow.LocalStep;
import io.dtm4j.client.workflow.WorkflowBranch;
import io.dtm4j.client.workflow.XaStep;
import io.dtm4j.client.xa.XaDatabase;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.TransType;

import javax.sql.DataSource;
import java.util.Objects;

/**
 * A branch of a {@link WorkflowRun}: enforces one action, one commit and one rollback callback per branch, and
 * sends the action through the run's recording. An XA step's action is a local XA transaction on an
 * {@link XaDatabase}, its commit and rollback the XA phase two. Not thread-safe.
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
        run.addRollback(branchId, callback, false);
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

    @Override
    public byte[] doXa(DataSource dataSource, XaStep step) {
        return doXa(XaDatabase.of(Objects.requireNonNull(dataSource, "dataSource")), step);
    }

    @Override
    public byte[] doXa(XaDatabase database, XaStep step) {
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(step, "step");
        run.requireRunning("an action");
        if (hasCommit || hasRollback) {
            throw new IllegalStateException(where() + "an XA step brings its own commit and rollback; the branch has "
                    + "a callback already");
        }
        claimAction();
        hasCommit = true;
        hasRollback = true;
        // registered before the action runs: an action interrupted after XA PREPARE must be rolled back too
        BranchCallback phaseTwo = ctx -> database.phaseTwo(TransType.WORKFLOW, ctx.gid(), ctx.branchId(), ctx.op());
        run.addCommit(branchId, phaseTwo);
        run.addRollback(branchId, phaseTwo, true);
        return run.recorded(branchId, BranchOp.ACTION, () -> xaAction(database, step));
    }

    /** Phase one of an XA step, unless an earlier run got as far as its marker (DTM: not resumable). */
    private WorkflowStep xaAction(XaDatabase database, XaStep step) throws Exception {
        if (run.isRecorded(branchId, BranchOp.BUSINESS)) {
            return WorkflowStep.failed(where() + "an earlier run of this XA step stopped after recording its "
                    + "business marker; not resumable, the workflow rolls back", null);
        }
        byte[][] data = {null};
        try {
            database.prepare(TransType.WORKFLOW, run.gid(), branchId, c -> data[0] = step.run(c),
                    () -> run.recordMarker(branchId, BranchOp.BUSINESS));
        } catch (DtmFailureException e) {
            return WorkflowStep.failed(e.getMessage(), e);
        }
        return WorkflowStep.succeed(data[0]);
    }

    private void claimAction() {
        run.requireRunning("an action");
        if (hasAction) {
            throw new IllegalStateException(where() + "a branch has at most one action (call, doLocal or doXa); "
                    + "start another with wf.branch()");
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
