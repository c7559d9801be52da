package io.dtm4j.core;

import java.time.Instant;
import java.util.Optional;

/**
 * A page request for {@code /all}: filters are exact; the position is opaque and store-specific
 * ({@code ""} = the first page).
 *
 * @param position    where the previous page ended; empty for the first page
 * @param limit       page size, 1 to {@link #MAX_LIMIT}
 * @param status      only this status
 * @param transType   only this type
 * @param createdFrom only transactions created at or after this time
 * @param createdTo   only transactions created at or before this time
 */
public record ListQuery(String position, int limit, Optional<GlobalStatus> status, Optional<TransType> transType,
                        Optional<Instant> createdFrom, Optional<Instant> createdTo) {

    /** DTM's default page size. */
    public static final int DEFAULT_LIMIT = 100;
    /** The largest page served. */
    public static final int MAX_LIMIT = 1000;

    public ListQuery {
        position = position == null ? "" : position;
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new InvalidRequestException("limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
        }
        status = status == null ? Optional.empty() : status;
        transType = transType == null ? Optional.empty() : transType;
        createdFrom = createdFrom == null ? Optional.empty() : createdFrom;
        createdTo = createdTo == null ? Optional.empty() : createdTo;
    }

    /** The first page of everything, {@link #DEFAULT_LIMIT} rows. */
    public static ListQuery firstPage() {
        return new ListQuery("", DEFAULT_LIMIT, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty());
    }

    /** True when the transaction passes every filter. */
    public boolean matches(GlobalTransaction g) {
        return status.map(s -> s == g.status()).orElse(true)
                && transType.map(t -> t == g.transType()).orElse(true)
                && createdFrom.map(f -> !g.createTime().isBefore(f)).orElse(true)
                && createdTo.map(t -> !g.createTime().isAfter(t)).orElse(true);
    }
}
