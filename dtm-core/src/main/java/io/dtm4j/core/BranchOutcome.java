package io.dtm4j.core;

import java.util.Objects;

/**
 * The result of one branch call and a short description of it (the response body, trimmed, or the
 * transport error). The detail may end up in a rollback reason; a response body in it is never logged above
 * debug level.
 *
 * @param result what the branch answered
 * @param detail the response body or error text; empty when there is nothing to say
 */
public record BranchOutcome(BranchResult result, String detail) {

    /** Longest detail kept, in characters; DTM's rollback_reason column holds 1024. */
    public static final int MAX_DETAIL_CHARS = 512;

    public BranchOutcome {
        Objects.requireNonNull(result, "result");
        detail = detail == null ? "" : detail;
        if (detail.length() > MAX_DETAIL_CHARS) {
            detail = detail.substring(0, MAX_DETAIL_CHARS);
        }
    }

    /** A plain success. */
    public static BranchOutcome success() {
        return new BranchOutcome(BranchResult.SUCCESS, "");
    }

    /** Returns an outcome of the given result and detail. */
    public static BranchOutcome of(BranchResult result, String detail) {
        return new BranchOutcome(result, detail);
    }
}
