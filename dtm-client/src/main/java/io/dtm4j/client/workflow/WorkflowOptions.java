package io.dtm4j.client.workflow;

import java.util.Objects;

/**
 * The options of one registered workflow (DTM's {@code workflow.Options}). Immutable; changed copies via
 * {@code withX}.
 *
 * @param httpResultMapper      classifies the answers of {@link WorkflowBranch#call} and {@link BranchContext#call};
 *                              default {@link HttpResultMapper#byStatus}
 * @param compensateErrorBranch whether a branch whose action failed for good is rolled back too; default
 *                              {@code false} as in DTM's Go SDK, since an action that failed normally changed
 *                              nothing. Set it when a FAILURE may come after a partial effect, and whenever an action
 *                              may be delivered more than once, which with retries and resumes is always: a call
 *                              that timed out may still commit after the resumed run's call answered FAILURE, and
 *                              only the compensation's barrier rows stop that late delivery (a null compensation
 *                              then a hanging action, as a saga compensates its failed step). With barrier-protected
 *                              branches {@code true} is always safe; with the default such a late action's effect is
 *                              never undone ({@code BankLateActionIT}).
 */
public record WorkflowOptions(HttpResultMapper httpResultMapper, boolean compensateErrorBranch) {

    /** The defaults: {@link HttpResultMapper#byStatus}, no compensation of failed branches. */
    public static final WorkflowOptions DEFAULT = new WorkflowOptions(HttpResultMapper::byStatus, false);

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
