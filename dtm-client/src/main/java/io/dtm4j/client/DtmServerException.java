package io.dtm4j.client;

import io.dtm4j.core.DtmException;

/**
 * The coordinator answered a request with an error that is neither FAILURE nor ONGOING: a malformed
 * request (400), an unknown transaction (404), a store outage (503) or another server error (500). In
 * embedded mode the same codes stand for the coordinator's exceptions, so callers see one behaviour.
 */
public class DtmServerException extends DtmException {
    private static final long serialVersionUID = 1L;

    private final int statusCode;

    /** Creates the exception for an HTTP status (or its embedded equivalent) and a message. */
    public DtmServerException(int statusCode, String message) {
        super(message);
        this.statusCode = statusCode;
    }

    /** Creates the exception for an HTTP status (or its embedded equivalent), a message and a cause. */
    public DtmServerException(int statusCode, String message, Throwable cause) {
        super(message, cause);
        this.statusCode = statusCode;
    }

    /** Returns the HTTP status the server answered, or the embedded equivalent (400, 404, 500, 503). */
    public int statusCode() {
        return statusCode;
    }
}
