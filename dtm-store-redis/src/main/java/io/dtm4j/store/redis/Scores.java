package io.dtm4j.store.redis;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;

/**
 * Numbers as the scripts receive them: sorted-set scores in unix seconds (DTM's unit) with the milliseconds
 * in the fraction, so that due-ness is decided at millisecond precision; TTLs in milliseconds. Stateless.
 */
final class Scores {

    private Scores() {
    }

    /** The score of an instant: unix seconds with three decimals, truncated toward the past. */
    static String of(Instant t) {
        return BigDecimal.valueOf(t.toEpochMilli(), 3).toPlainString();
    }

    /** A duration in whole milliseconds, for {@code PX} / {@code PEXPIRE}. */
    static String millis(Duration d) {
        return Long.toString(d.toMillis());
    }
}
