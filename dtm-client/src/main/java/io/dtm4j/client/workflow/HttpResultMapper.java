package io.dtm4j.client.workflow;

import io.dtm4j.core.BranchResult;

/**
 * Classifies the answer of a workflow's HTTP call (DTM's {@code HTTPResp2DtmError}). SUCCESS and FAILURE are
 * recorded, with the body as data; ONGOING and ERROR are not, and the call runs again on resume.
 */
@FunctionalInterface
public interface HttpResultMapper {

    /** Returns the result of an answer with this status and body. */
    BranchResult classify(int status, byte[] body);

    /**
     * DTM's default for workflows: 425 ONGOING, 409 FAILURE, any other status but 200 ERROR, 200 SUCCESS. Unlike
     * the coordinator's own branch calls, the body is not searched for {@code FAILURE} or {@code ONGOING}.
     */
    static BranchResult byStatus(int status, byte[] body) {
        if (status == 425) {
            return BranchResult.ONGOING;
        }
        if (status == 409) {
            return BranchResult.FAILURE;
        }
        return status == 200 ? BranchResult.SUCCESS : BranchResult.ERROR;
    }
}
