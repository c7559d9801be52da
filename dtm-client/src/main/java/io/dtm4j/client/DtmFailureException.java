package io.dtm4j.client;

import io.dtm4j.core.DtmException;

/**
 * DTM's FAILURE result: the coordinator refused a request (HTTP 409), a {@code wait_result} transaction
 * did not succeed (its rollback reason is in the message), or a business step failed for good.
 *
 * <p>Business code throws it from the local work of {@link Msg#doAndSubmit} to say "do not send the
 * message": the SDK then aborts the message instead of asking the back-check.
 */
public class DtmFailureException extends DtmException {
    private static final long serialVersionUID = 1L;

    /** Creates a failure with a message that says what failed. */
    public DtmFailureException(String message) {
        super(message);
    }

    /** Creates a failure with a message and the exception that caused it. */
    public DtmFailureException(String message, Throwable cause) {
        super(message, cause);
    }
}
