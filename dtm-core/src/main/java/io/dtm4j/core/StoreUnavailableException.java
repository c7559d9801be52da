package io.dtm4j.core;

/**
 * The store cannot be reached or failed (HTTP 503). The message says which store and what to check;
 * nothing was acknowledged for the request that saw it.
 */
public class StoreUnavailableException extends DtmException {
    private static final long serialVersionUID = 1L;

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreUnavailableException(String message) {
        super(message);
    }
}
