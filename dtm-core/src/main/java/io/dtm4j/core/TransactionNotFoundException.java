package io.dtm4j.core;

/** No transaction has this gid (HTTP 404). */
public class TransactionNotFoundException extends DtmException {
    private static final long serialVersionUID = 1L;

    public TransactionNotFoundException(String gid) {
        super("gid=" + gid + ": no such transaction");
    }
}
