package io.dtm4j.client.workflow;

/**
 * A commit or rollback callback of a workflow branch: a TCC confirm or cancel, a saga compensation. It must be
 * idempotent and must not fail for good: throwing {@link io.dtm4j.client.DtmFailureException} is treated like
 * any other exception, i.e. the finish stops, nothing is recorded for it, and the coordinator resumes the
 * workflow later, which runs the callback again.
 */
@FunctionalInterface
public interface BranchCallback {

    /** Runs the callback; {@code ctx.op()} is {@code commit} or {@code rollback}. */
    void run(BranchContext ctx) throws Exception;
}
