package io.dtm4j.core;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One branch op as stored ({@code trans_branch_op}); (gid, branchId, op) is unique. Immutable: the
 * payload array is copied in and out.
 *
 * @param id         store id; 0 where the store has none
 * @param gid        the global transaction
 * @param url        target of this op; empty means "succeeds without a call"
 * @param binData    request body sent with the call
 * @param branchId   e.g. {@code 01}, {@code 0101}, {@code 01-02}
 * @param op         which op of the branch
 * @param status     prepared, succeed or failed
 * @param createTime when the row was written
 * @param updateTime last change
 * @param finishTime when its status last changed
 */
public record Branch(
        long id,
        String gid,
        String url,
        byte[] binData,
        String branchId,
        BranchOp op,
        BranchStatus status,
        Instant createTime,
        Instant updateTime,
        Optional<Instant> finishTime) {

    public Branch {
        Objects.requireNonNull(gid, "gid");
        url = url == null ? "" : url;
        binData = binData == null ? new byte[0] : binData.clone();
        Objects.requireNonNull(branchId, "branchId");
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(createTime, "createTime");
        Objects.requireNonNull(updateTime, "updateTime");
        finishTime = finishTime == null ? Optional.empty() : finishTime;
    }

    /** Creates a new {@code prepared} branch row. */
    public static Branch prepared(String gid, String branchId, BranchOp op, String url, byte[] body, Instant now) {
        return new Branch(0, gid, url, body, branchId, op, BranchStatus.PREPARED, now, now, Optional.empty());
    }

    /** Returns a copy of the payload. */
    @Override
    public byte[] binData() {
        return binData.clone();
    }

    /** Returns a copy with a new status, changed at {@code now}. */
    public Branch withStatus(BranchStatus newStatus, Instant now) {
        return new Branch(id, gid, url, binData, branchId, op, newStatus, createTime, now, Optional.of(now));
    }

    /** Returns a copy with the given store id. */
    public Branch withId(long newId) {
        return new Branch(newId, gid, url, binData, branchId, op, status, createTime, updateTime, finishTime);
    }

    /** True when this row is the one named by (branchId, op). */
    public boolean is(String otherBranchId, BranchOp otherOp) {
        return branchId.equals(otherBranchId) && op == otherOp;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Branch b && id == b.id && gid.equals(b.gid) && url.equals(b.url)
                && java.util.Arrays.equals(binData, b.binData) && branchId.equals(b.branchId) && op == b.op
                && status == b.status && createTime.equals(b.createTime) && updateTime.equals(b.updateTime)
                && finishTime.equals(b.finishTime);
    }

    @Override
    public int hashCode() {
        return Objects.hash(gid, branchId, op, status);
    }

    @Override
    public String toString() {
        return "Branch[gid=" + gid + ", branch=" + branchId + ", op=" + op.wireName() + ", status="
                + status.wireName() + ", bytes=" + binData.length + "]";
    }
}
