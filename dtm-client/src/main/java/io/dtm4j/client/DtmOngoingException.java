package io.dtm4j.client;

import io.dtm4j.core.DtmException;

/**
 * DTM's ONGOING result (HTTP 425): the request was accepted but its outcome is not known yet, e.g. a
 * {@code wait_result} message whose branch answered ONGOING. The coordinator finishes the transaction
 * later on its own; query it or wait instead of resubmitting.
 */
public class DtmOngoingException extends DtmException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message that names the gid. */
    public DtmOngoingException(String message) {
        super(message);
    }

    /** Creates the exception with a message and its cause. */
    public DtmOngoingException(String message, Throwable cause) {
        super(message, cause);
    }
}
