package io.dtm4j.core;

import java.util.Objects;

/**
 * What a submit or abort reports to its caller. Without {@code wait_result} it is {@link Kind#SUCCESS}
 * once the request is durably accepted; with it, the outcome of one processing round, mapped as DTM
 * does: a saga not (yet) succeeded is FAILURE with its rollback reason; a msg/tcc/xa branch still
 * ONGOING is ONGOING; a temporary branch error is ERROR.
 *
 * @param kind    the outcome
 * @param status  the transaction's status after the call
 * @param message what to tell the caller; empty on success
 */
public record TransOutcome(Kind kind, GlobalStatus status, String message) {

    /** Outcome kinds, mapped by the HTTP server to 200, 409, 425 and 500. */
    public enum Kind { SUCCESS, FAILURE, ONGOING, ERROR }

    public TransOutcome {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(status, "status");
        message = message == null ? "" : message;
    }

    /** Accepted (or finished successfully) in the given status. */
    public static TransOutcome success(GlobalStatus status) {
        return new TransOutcome(Kind.SUCCESS, status, "");
    }

    /** True for {@link Kind#SUCCESS}. */
    public boolean isSuccess() {
        return kind == Kind.SUCCESS;
    }
}
