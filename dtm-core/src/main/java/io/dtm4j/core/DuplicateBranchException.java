package io.dtm4j.core;

/** A branch row with the same (gid, branch_id, op) already exists. */
public class DuplicateBranchException extends DtmException {
    private static final long serialVersionUID = 1L;

    public DuplicateBranchException(String gid, String branchId, String op) {
        super("gid=" + gid + " branch=" + branchId + " op=" + op + ": branch already registered");
    }
}
