package io.dtm4j.client;

import io.dtm4j.core.BranchStatus;

import java.nio.charset.StandardCharsets;

/**
 * The outcome of a workflow step that is recorded: {@code succeed} with its data, or {@code failed} with the
 * failure text as data. The cause, if any, is kept for the exception of this run only.
 *
 * @param status succeed or failed
 * @param data   the step's data (response body, local result, failure text)
 * @param cause  what raised the failure in this run, or null
 */
record WorkflowStep(BranchStatus status, byte[] data, Throwable cause) {
    private static final byte[] NONE = new byte[0];
    /** Longest step data quoted in a message, in characters. */
    private static final int MAX_MESSAGE_DATA_CHARS = 300;

    /** A step body: returns a recorded outcome, or throws for one that is not recorded (ONGOING, error). */
    @FunctionalInterface
    interface Body {
        WorkflowStep run() throws Exception;
    }

    WorkflowStep {
        data = data == null ? NONE : data.clone();
    }

    static WorkflowStep succeed(byte[] data) {
        return new WorkflowStep(BranchStatus.SUCCEED, data, null);
    }

    static WorkflowStep failed(byte[] data, Throwable cause) {
        return new WorkflowStep(BranchStatus.FAILED, data, cause);
    }

    static WorkflowStep failed(String text, Throwable cause) {
        return failed((text == null ? "FAILURE" : text).getBytes(StandardCharsets.UTF_8), cause);
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /** The data as text, for messages. */
    String text() {
        return new String(data, StandardCharsets.UTF_8);
    }

    /** Cuts {@code s} to the length quoted in messages. */
    static String shorten(String s) {
        return s.length() <= MAX_MESSAGE_DATA_CHARS ? s : s.substring(0, MAX_MESSAGE_DATA_CHARS) + "...";
    }

    @Override
    public String toString() {
        return "WorkflowStep[" + status.wireName() + ", bytes=" + data.length + "]";
    }
}
