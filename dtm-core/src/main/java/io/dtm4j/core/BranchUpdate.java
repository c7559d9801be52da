package io.dtm4j.core;

import java.util.Objects;

/**
 * A new status for one existing branch row, named by (branchId, op).
 *
 * @param branchId the branch id
 * @param op       the op
 * @param status   its new status
 */
public record BranchUpdate(String branchId, BranchOp op, BranchStatus status) {
    public BranchUpdate {
        Objects.requireNonNull(branchId, "branchId");
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(status, "status");
    }
}
