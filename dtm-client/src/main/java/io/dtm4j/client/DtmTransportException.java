package io.dtm4j.client;

import io.dtm4j.core.DtmException;

/**
 * A call to the DTM server did not get an answer: connection refused, timeout, broken connection. The
 * request may or may not have reached the server; prepare and submit are idempotent, so retrying the
 * same request is safe.
 */
public class DtmTransportException extends DtmException {
    private static final long serialVersionUID = 1L;

    private final String url;

    /** Creates the exception for the URL that was called and the I/O error it hit. */
    public DtmTransportException(String url, String message, Throwable cause) {
        super(message, cause);
        this.url = url;
    }

    /** Returns the URL that was called. */
    public String url() {
        return url;
    }
}
