package io.dtm4j.client;

/**
 * DTM's DUPLICATED result: the local transaction of a two-phase message found its barrier row already there, and
 * the local work did not run. Usually the message's back-check took the row, which means it answered (or is about
 * to answer) FAILURE and the coordinator drops the message. But the row may also be the commit of an earlier call
 * with the same gid whose submit got no answer, when the caller repeats the call: then the business change did
 * happen, once, and the message must still be sent.
 *
 * <p>It is a {@link DtmFailureException} because in the usual case the consequence is the same: the business
 * change did not happen and the message is not sent; a branch handler that lets it escape answers 409, as DTM's Go
 * SDK does. {@link Msg#doAndSubmit} and {@code Msg.doAndSubmitDb} do not abort on it blindly: like DTM's Go SDK
 * they ask the back-check (or read the row) and submit the message when the earlier call committed.
 */
public class DtmDuplicatedException extends DtmFailureException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message that names the gid and the barrier row. */
    public DtmDuplicatedException(String message) {
        super(message);
    }
}
