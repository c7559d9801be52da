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
 * @param gidPrefix   only transactions whose gid starts with this, case-sensitive and literal: 1 to
 *                    {@link Gids#MAX_LENGTH} characters of the gid alphabet ({@link Gids#SAFE})
 */
public record ListQuery(String position, int limit, Optional<GlobalStatus> status, Optional<TransType> transType,
                        Optional<Instant> createdFrom, Optional<Instant> createdTo, Optional<String> gidPrefix) {

    /** DTM's default page size. */
    public static final int DEFAULT_LIMIT = 100;
    /** The largest page served. */
    public static final int MAX_LIMIT = 1000;

    /**
     * Validates the query.
     *
     * @throws InvalidRequestException when the limit is out of range or the gid prefix is empty, too long or has
     *                                 characters a gid cannot have
     */
    public ListQuery {
        position = position == null ? "" : position;
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new InvalidRequestException("limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
        }
        status = status == null ? Optional.empty() : status;
        transType = transType == null ? Optional.empty() : transType;
        createdFrom = createdFrom == null ? Optional.empty() : createdFrom;
        createdTo = createdTo == null ? Optional.empty() : createdTo;
        gidPrefix = gidPrefix == null ? Optional.empty() : gidPrefix;
        gidPrefix.ifPresent(ListQuery::requireValidPrefix);
    }

    /** A query without a gid prefix: every gid. */
    public ListQuery(String position, int limit, Optional<GlobalStatus> status, Optional<TransType> transType,
                     Optional<Instant> createdFrom, Optional<Instant> createdTo) {
        this(position, limit, status, transType, createdFrom, createdTo, Optional.empty());
    }

    /** The first page of everything, {@link #DEFAULT_LIMIT} rows. */
    public static ListQuery firstPage() {
        return new ListQuery("", DEFAULT_LIMIT, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty());
    }

    /**
     * Returns this query with only gids starting with {@code prefix}.
     *
     * @throws InvalidRequestException when the prefix is not 1 to 128 characters of the gid alphabet
     */
    public ListQuery withGidPrefix(String prefix) {
        return new ListQuery(position, limit, status, transType, createdFrom, createdTo, Optional.of(prefix));
    }

    /** True when the transaction passes every filter. */
    public boolean matches(GlobalTransaction g) {
        return status.map(s -> s == g.status()).orElse(true)
                && transType.map(t -> t == g.transType()).orElse(true)
                && createdFrom.map(f -> !g.createTime().isBefore(f)).orElse(true)
                && createdTo.map(t -> !g.createTime().isAfter(t)).orElse(true)
                && matchesGid(g.gid());
    }

    /** True when {@code gid} starts with the gid prefix, or there is none. */
    public boolean matchesGid(String gid) {
        return gidPrefix.map(gid::startsWith).orElse(true);
    }

    // The value is not echoed when it has unsafe characters: it may hold line breaks meant for a log line.
    private static void requireValidPrefix(String prefix) {
        if (!Gids.SAFE.matcher(prefix).matches()) {
            String problem = prefix.isEmpty() ? "got an empty string"
                    : prefix.length() > Gids.MAX_LENGTH ? "got " + prefix.length() + " characters"
                    : "got characters outside that set";
            throw new InvalidRequestException("gidPrefix must be 1-" + Gids.MAX_LENGTH
                    + " characters of A-Z a-z 0-9 _ - . : @; " + problem);
        }
    }
}
