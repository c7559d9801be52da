package io.dtm4j.client.workflow;

import io.dtm4j.core.DtmException;

/**
 * A workflow run stopped unfinished: a step or callback ended in an error (an HTTP call answered 500 or not at
 * all, a callback threw, a checked exception), or the coordinator refused to record a step (another run of the
 * same gid got there first, or the workflow was finished meanwhile). Nothing was recorded for the step; the
 * workflow stays {@code prepared} and the coordinator resumes it later. Calling
 * {@link Workflows#execute} again is safe too.
 */
public class WorkflowException extends DtmException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message that names the gid and the step. */
    public WorkflowException(String message) {
        super(message);
    }

    /** Creates the exception with a message that names the gid and the step, and its cause. */
    public WorkflowException(String message, Throwable cause) {
        super(message, cause);
    }
}
