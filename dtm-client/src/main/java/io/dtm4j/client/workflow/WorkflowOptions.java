package io.dtm4j.client.workflow;

import java.util.Objects;

/**
 * The options of one registered workflow (DTM's {@code workflow.Options}). Immutable; changed copies via
 * {@code withX}.
 *
 * @param httpResultMapper      classifies the answers of {@link WorkflowBranch#call} and {@link BranchContext#call};
 *                              default {@link HttpResultMapper#byStatus}
 * @param compensateErrorBranch whether a branch whose action failed for good is rolled back too; default
 *                              {@code true}, unlike DTM's Go SDK ({@code false}): an action may be delivered more
 *                              than once (a call that timed out may still commit after the resumed run's call
 *                              answered FAILURE), and only the compensation's barrier rows stop that late delivery
 *                              (a null compensation, then a hanging action refused), as a saga compensates its
 *                              failed step. With {@code false} such a late action's effect is never undone
 *                              ({@code BankLateActionIT}); choose it only for actions that are never retried.
 *                              See docs/decisions/007.
 */
public record WorkflowOptions(HttpResultMapper httpResultMapper, boolean compensateErrorBranch) {

    /** The defaults: {@link HttpResultMapper#byStatus}, failed branches compensated too. */
    public static final WorkflowOptions DEFAULT = new WorkflowOptions(HttpResultMapper::byStatus, true);

    public WorkflowOptions {
        Objects.requireNonNull(httpResultMapper, "httpResultMapper");
    }

    /** Returns a copy with another HTTP result mapper. */
    public WorkflowOptions withHttpResultMapper(HttpResultMapper value) {
        return new WorkflowOptions(value, compensateErrorBranch);
    }

    /** Returns a copy that does, or does not, roll back branches whose action failed for good. */
    public WorkflowOptions withCompensateErrorBranch(boolean value) {
        return new WorkflowOptions(httpResultMapper, value);
    }
}
