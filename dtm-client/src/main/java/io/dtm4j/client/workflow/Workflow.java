package io.dtm4j.client.workflow;

/**
 * One run of a workflow, handed to its {@link WorkflowHandler}. Not thread-safe: use it on the handler's thread.
 */
public interface Workflow {

    /** Returns the workflow's name. */
    String name();

    /** Returns the workflow's global id. */
    String gid();

    /**
     * Starts the next branch, with ids {@code 01}, {@code 02}, ... in call order. A branch has at most one
     * action ({@link WorkflowBranch#call}, {@link WorkflowBranch#doLocal} or {@link WorkflowBranch#doXa}), one
     * commit and one rollback callback. The handler must start its branches in the same order on every run, since
     * a resumed run finds the recorded outcomes by branch id.
     *
     * @throws IllegalStateException after 99 branches, or from a commit or rollback callback
     */
    WorkflowBranch branch();
}
