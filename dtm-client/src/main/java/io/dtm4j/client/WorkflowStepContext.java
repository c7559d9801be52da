package io.dtm4j.client;

import io.dtm4j.client.workflow.BranchContext;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.TransType;

/** The {@link BranchContext} of one local step or callback of a {@link WorkflowRun}. Not thread-safe. */
final class WorkflowStepContext implements BranchContext {
    private final WorkflowRun run;
    private final String branchId;
    private final BranchOp op;

    WorkflowStepContext(WorkflowRun run, String branchId, BranchOp op) {
        this.run = run;
        this.branchId = branchId;
        this.op = op;
    }

    @Override
    public TransType transType() {
        return TransType.WORKFLOW;
    }

    @Override
    public String gid() {
        return run.gid();
    }

    @Override
    public String branchId() {
        return branchId;
    }

    @Override
    public BranchOp op() {
        return op;
    }

    @Override
    public byte[] call(String url, Object payload) {
        WorkflowStep step = run.call(branchId, op, url, payload);
        if (step.status() == BranchStatus.FAILED) {
            throw run.failure(branchId, op, step);
        }
        return step.data();
    }

    @Override
    public String toString() {
        return "BranchContext[gid=" + run.gid() + ", branch=" + branchId + ", op=" + op.wireName() + "]";
    }
}
