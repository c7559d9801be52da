package io.dtm4j.client.barrier;

/**
 * The key of one barrier row plus its trans_type: {@code (gid, branch_id, op, barrier_id)} is unique.
 *
 * @param transType DTM's trans_type wire name
 * @param gid       global id
 * @param branchId  branch id
 * @param op        op wire name
 * @param barrierId two-digit call counter within one handler invocation
 */
record BarrierRow(String transType, String gid, String branchId, String op, String barrierId) {

    @Override
    public String toString() {
        return "gid=" + gid + " branch=" + branchId + " op=" + op + " barrier=" + barrierId;
    }
}
