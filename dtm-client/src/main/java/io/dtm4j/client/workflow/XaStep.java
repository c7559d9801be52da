package io.dtm4j.client.workflow;

import java.sql.Connection;

/** The work of a workflow XA step ({@link WorkflowBranch#doXa}). */
@FunctionalInterface
public interface XaStep {

    /**
     * Runs the work on the connection of the step's local XA transaction, e.g. a balance update. It must not commit,
     * roll back, close the connection or change its auto-commit mode: the step prepares the transaction, and the
     * workflow's outcome commits or rolls it back.
     *
     * @return the step's data, recorded and returned on resume; {@code null} for none
     * @throws io.dtm4j.client.DtmFailureException a business refusal (e.g. insufficient balance): the local
     *                                             transaction is rolled back and the step recorded as failed
     * @throws Exception                           anything else: rolled back, not recorded, the step runs again on
     *                                             resume
     */
    byte[] run(Connection connection) throws Exception;
}
