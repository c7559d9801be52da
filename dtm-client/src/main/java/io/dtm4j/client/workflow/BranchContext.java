package io.dtm4j.client.workflow;

import io.dtm4j.core.BranchOp;
import io.dtm4j.core.TransType;

/**
 * Where a local step or a callback runs: the identity a branch barrier needs (trans type, gid, branch id, op),
 * and unrecorded HTTP calls carrying that identity. Valid only while the step or callback runs; not thread-safe.
 */
public interface BranchContext {

    /** Returns {@link TransType#WORKFLOW}. */
    TransType transType();

    /** Returns the workflow's global id. */
    String gid();

    /** Returns the branch id, e.g. {@code 01}. */
    String branchId();

    /**
     * Returns {@link BranchOp#ACTION} in a local step, {@link BranchOp#COMMIT} or {@link BranchOp#ROLLBACK} in a
     * callback.
     */
    BranchOp op();

    /**
     * Makes an HTTP call as part of this step or callback, not recorded on its own:
     * {@code POST url?branch_id=&gid=&op=&trans_type=workflow}, classified like {@link WorkflowBranch#call}.
     *
     * @return the response body
     * @throws io.dtm4j.client.DtmFailureException the call answered FAILURE
     * @throws io.dtm4j.client.DtmOngoingException the call answered ONGOING
     * @throws WorkflowException                   the call ended in an error or no answer
     */
    byte[] call(String url, Object payload);
}
