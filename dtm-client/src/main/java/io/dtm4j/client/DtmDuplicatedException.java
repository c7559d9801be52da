package io.dtm4j.client;

/**
 * DTM's DUPLICATED result: the local transaction of a two-phase message found its barrier row already taken
 * by the message's back-check, which means the back-check answered (or is about to answer) FAILURE and the
 * coordinator drops the message. The local work did not run and must not run.
 *
 * <p>It is a {@link DtmFailureException} because the consequence is the same: the business change did not
 * happen and the message is not sent. {@link Msg#doAndSubmit} and {@code Msg.doAndSubmitDb} therefore abort
 * the message when they see it; a branch handler that lets it escape answers 409, as DTM's Go SDK does.
 */
public class DtmDuplicatedException extends DtmFailureException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message that names the gid and the barrier row. */
    public DtmDuplicatedException(String message) {
        super(message);
    }
}
