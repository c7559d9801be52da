package io.dtm4j.client.workflow;

/** The local action of a workflow branch ({@link WorkflowBranch#doLocal}). */
@FunctionalInterface
public interface LocalStep {

    /**
     * Runs the step.
     *
     * @return the step's data, recorded and returned on resume; {@code null} for none
     * @throws io.dtm4j.client.DtmFailureException the step failed for good (recorded, with the message as data)
     * @throws Exception                           anything else: not recorded, the step runs again on resume
     */
    byte[] run(BranchContext ctx) throws Exception;
}
