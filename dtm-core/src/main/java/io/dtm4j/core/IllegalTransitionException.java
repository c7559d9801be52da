package io.dtm4j.core;

/**
 * The transaction is in a status that does not allow the request (DTM's 409 FAILURE), e.g. submit of a
 * finished saga or registerBranch on a global that is no longer prepared.
 */
public class IllegalTransitionException extends DtmException {
    private static final long serialVersionUID = 1L;

    public IllegalTransitionException(String gid, String what) {
        super("gid=" + gid + ": " + what);
    }
}
