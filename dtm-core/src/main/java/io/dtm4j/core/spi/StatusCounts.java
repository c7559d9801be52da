package io.dtm4j.core.spi;

import io.dtm4j.core.GlobalStatus;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * How many transactions a store holds in each {@link GlobalStatus}, for the admin UI. Every status is present,
 * zero when the store holds none; iteration follows the declaration order of {@link GlobalStatus}. Immutable.
 *
 * @param byStatus the count of each status; a status missing from the given map counts zero
 */
public record StatusCounts(Map<GlobalStatus, Long> byStatus) {

    /** No transactions at all. */
    public static final StatusCounts NONE = new StatusCounts(Map.of());

    /**
     * Copies the counts, filling in zeros.
     *
     * @throws IllegalArgumentException when a count is negative
     * @throws NullPointerException     when the map, a key or a value is null
     */
    public StatusCounts {
        Map<GlobalStatus, Long> all = new EnumMap<>(GlobalStatus.class);
        for (GlobalStatus s : GlobalStatus.values()) {
            all.put(s, 0L);
        }
        for (Map.Entry<GlobalStatus, Long> e : byStatus.entrySet()) {
            long n = e.getValue();
            if (n < 0) {
                throw new IllegalArgumentException("count of " + e.getKey().wireName() + " must not be negative, got "
                        + n);
            }
            all.put(e.getKey(), n);
        }
        byStatus = Collections.unmodifiableMap(all);
    }

    /** Returns the count of one status, zero or more. */
    public long of(GlobalStatus status) {
        return byStatus.get(status);
    }

    /** Returns the count of every status together. */
    public long total() {
        return byStatus.values().stream().mapToLong(Long::longValue).sum();
    }
}
