package io.dtm4j.client.workflow;

/**
 * The business function of a workflow, written as ordinary sequential code whose steps go through
 * {@link Workflow#branch()}. It may run several times for one gid (a resume runs it again from the top); the
 * recorded steps then return their recorded outcome instead of running, so code outside steps must be
 * deterministic and free of side effects.
 */
@FunctionalInterface
public interface WorkflowHandler {

    /**
     * Runs the workflow.
     *
     * @param wf    the run's context
     * @param input the workflow's input
     * @return the result, returned to the caller and stored (base64) with the workflow; {@code null} for none
     * @throws io.dtm4j.client.DtmFailureException to fail the workflow: it is rolled back
     * @throws Exception                           anything else leaves the workflow prepared, to be resumed
     */
    byte[] run(Workflow wf, byte[] input) throws Exception;
}
