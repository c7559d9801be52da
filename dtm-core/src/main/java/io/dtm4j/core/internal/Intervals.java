package io.dtm4j.core.internal;

import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.TransType;

import java.time.Duration;
import java.time.Instant;

/** DTM's timing rules: reset interval, timeouts (spec 3.0 and 4). */
final class Intervals {
    /** Time to write a call's result after its timeout: DTM's round limit allows 2 s. */
    private static final Duration RESULT_MARGIN = Duration.ofSeconds(2);

    private final Duration retryInterval;
    private final Duration timeoutToFail;
    private final Duration requestTimeout;

    Intervals(Duration retryInterval, Duration timeoutToFail, Duration requestTimeout) {
        this.retryInterval = retryInterval;
        this.timeoutToFail = timeoutToFail;
        this.requestTimeout = requestTimeout;
    }

    /**
     * The base interval of a transaction: its own retry_interval; else its timeout_to_fail when shorter than
     * the configured interval; else the configured interval.
     */
    Duration reset(GlobalTransaction g) {
        Duration own = g.options().retryInterval();
        if (!own.isZero()) {
            return own;
        }
        Duration t = g.options().timeoutToFail();
        if (!t.isZero() && t.compareTo(retryInterval) < 0) {
            return t;
        }
        return retryInterval;
    }

    /** The effective timeout: its own timeout_to_fail, else the default for every type but saga (none). */
    Duration timeout(GlobalTransaction g) {
        Duration own = g.options().timeoutToFail();
        if (!own.isZero()) {
            return own;
        }
        return g.transType() == TransType.SAGA ? Duration.ZERO : timeoutToFail;
    }

    /** True when the transaction's timeout has passed at {@code now}. */
    boolean timedOut(GlobalTransaction g, Instant now) {
        Duration t = timeout(g);
        return !t.isZero() && !now.isBefore(g.createTime().plus(t));
    }

    /** DTM's rollback reason for a timeout. */
    String timeoutReason(GlobalTransaction g) {
        return "Timeout after " + timeout(g).toSeconds() + " seconds";
    }

    /** Timeout of one branch call of this transaction. */
    Duration requestTimeout(GlobalTransaction g) {
        Duration own = g.options().requestTimeout();
        return own.isZero() ? requestTimeout : own;
    }

    /** Time limit of a saga's forward phase in one round: request timeout + 2 s. */
    Duration roundLimit(GlobalTransaction g) {
        return requestTimeout(g).plus(RESULT_MARGIN);
    }

    /**
     * How long a lease must last from the start of a branch call: its timeout + 2 s to write its result, which is
     * DTM's bound of a whole round ({@link #roundLimit}).
     */
    Duration callLease(GlobalTransaction g) {
        return roundLimit(g);
    }

    /** The configured interval: the recovery lease. */
    Duration lease() {
        return retryInterval;
    }
}
