package io.dtm4j.store.jdbc;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.StoreUnavailableException;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransType;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * Column lists and the mapping between rows and records for one database: how instants and intervals are
 * stored. Instants are truncated toward the past to the columns' precision (milliseconds; whole seconds in a
 * database whose tables DTM created) before they are written, so what is read back equals {@link #stored}.
 * Thread-safe (immutable).
 */
final class Rows {

    /** How a database keeps instants. */
    enum Times {
        /** SQLite: INTEGER epoch milliseconds; intervals in milliseconds. */
        EPOCH_MILLIS,
        /** PostgreSQL: {@code timestamp with time zone}, bound as {@link OffsetDateTime}; intervals in seconds. */
        TIMESTAMPTZ,
        /** MySQL: {@code datetime} holding UTC wall-clock time, bound as {@link LocalDateTime}; intervals seconds. */
        DATETIME_UTC
    }

    /** The columns of {@code trans_global}, in the order {@link #global} reads them. */
    static final String GLOBAL_COLUMNS = "id, gid, trans_type, status, query_prepared, protocol, create_time,"
            + " update_time, finish_time, rollback_time, options, custom_data, next_cron_interval, next_cron_time,"
            + " owner, ext_data, result, rollback_reason";

    /** The columns of {@code trans_branch_op}, in the order {@link #branch} reads them. */
    static final String BRANCH_COLUMNS =
            "id, gid, url, bin_data, branch_id, op, status, create_time, update_time, finish_time";

    /** Unfinished statuses, as an SQL list. */
    static final String UNFINISHED = "('" + GlobalStatus.PREPARED.wireName() + "', '"
            + GlobalStatus.SUBMITTED.wireName() + "', '" + GlobalStatus.ABORTING.wireName() + "')";

    /** Final statuses, as an SQL list. */
    static final String FINISHED = "('" + GlobalStatus.SUCCEED.wireName() + "', '"
            + GlobalStatus.FAILED.wireName() + "')";

    private final Times times;
    private final ChronoUnit precision;
    private final String storeName;

    Rows(Times times, ChronoUnit precision, String storeName) {
        this.times = times;
        this.precision = precision;
        this.storeName = storeName;
    }

    /** The store's name, for messages. */
    String storeName() {
        return storeName;
    }

    /** The precision of the time columns: {@link ChronoUnit#MILLIS} or {@link ChronoUnit#SECONDS}. */
    ChronoUnit precision() {
        return precision;
    }

    /** Reads the current row as a transaction. */
    GlobalTransaction global(ResultSet rs) throws SQLException {
        String gid = rs.getString(2);
        return new GlobalTransaction(rs.getLong(1), gid, TransType.fromWireName(rs.getString(3)),
                GlobalStatus.fromWireName(rs.getString(4)), rs.getString(5), rs.getString(6), instant(rs, 7),
                instant(rs, 8), optionalInstant(rs, 9), optionalInstant(rs, 10), options(rs.getString(11), gid),
                rs.getString(12), interval(rs, 13), instant(rs, 14), rs.getString(15), rs.getString(16),
                rs.getString(17), rs.getString(18));
    }

    /** Reads the current row as a branch. */
    Branch branch(ResultSet rs) throws SQLException {
        return new Branch(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getBytes(4), rs.getString(5),
                BranchOp.fromWireName(rs.getString(6)), BranchStatus.fromWireName(rs.getString(7)), instant(rs, 8),
                instant(rs, 9), optionalInstant(rs, 10));
    }

    /** The same instant as it will read back from the store: truncated toward the past to the precision. */
    Instant stored(Instant t) {
        return t.truncatedTo(precision);
    }

    /** The value to bind for an instant, for statements built with a list of arguments. */
    Object instantParam(Instant t) {
        return boundParam(stored(t));
    }

    /**
     * The value to bind for an instant compared against a time column ({@code <}, {@code >=}...): whole
     * milliseconds, not truncated to the columns' precision, so that a bound between two stored values still
     * falls between them.
     */
    Object boundParam(Instant t) {
        Instant s = t.truncatedTo(ChronoUnit.MILLIS);
        return switch (times) {
            case EPOCH_MILLIS -> s.toEpochMilli();
            case TIMESTAMPTZ -> OffsetDateTime.ofInstant(s, ZoneOffset.UTC);
            case DATETIME_UTC -> LocalDateTime.ofInstant(s, ZoneOffset.UTC);
        };
    }

    /** Binds an instant. */
    void setInstant(PreparedStatement ps, int index, Instant t) throws SQLException {
        ps.setObject(index, instantParam(t));
    }

    /** Binds an optional instant (NULL when absent). */
    void setOptionalInstant(PreparedStatement ps, int index, Optional<Instant> t) throws SQLException {
        if (t.isPresent()) {
            setInstant(ps, index, t.get());
        } else {
            ps.setNull(index, switch (times) {
                case EPOCH_MILLIS -> Types.INTEGER;
                case TIMESTAMPTZ -> Types.TIMESTAMP_WITH_TIMEZONE;
                case DATETIME_UTC -> Types.TIMESTAMP;
            });
        }
    }

    /**
     * The value to bind for {@code next_cron_interval}: milliseconds in SQLite; whole seconds elsewhere (DTM's
     * unit), a fraction rounded up so that a sub-second interval never becomes 0 (which would never back off).
     *
     * @throws InvalidRequestException when the interval does not fit the column
     */
    Object intervalParam(Duration d) {
        if (times == Times.EPOCH_MILLIS) {
            return d.toMillis();
        }
        long seconds = d.getSeconds() + (d.getNano() > 0 ? 1 : 0);
        if (seconds > Integer.MAX_VALUE || seconds < 0) {
            throw new InvalidRequestException("next_cron_interval must be 0 to " + Integer.MAX_VALUE
                    + " seconds, got " + d);
        }
        return (int) seconds;
    }

    /** Binds {@code next_cron_interval}. */
    void setInterval(PreparedStatement ps, int index, Duration d) throws SQLException {
        ps.setObject(index, intervalParam(d));
    }

    /** The interval as it will read back from the store. */
    Duration storedInterval(Duration d) {
        Object v = intervalParam(d);
        return v instanceof Long ms ? Duration.ofMillis(ms) : Duration.ofSeconds((Integer) v);
    }

    private Duration interval(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return times == Times.EPOCH_MILLIS ? Duration.ofMillis(v) : Duration.ofSeconds(v);
    }

    /** A required time column; a NULL (possible only in rows written by hand) reads as the epoch. */
    private Instant instant(ResultSet rs, int column) throws SQLException {
        return optionalInstant(rs, column).orElse(Instant.EPOCH);
    }

    private Optional<Instant> optionalInstant(ResultSet rs, int column) throws SQLException {
        switch (times) {
            case EPOCH_MILLIS -> {
                long ms = rs.getLong(column);
                return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(ms));
            }
            case TIMESTAMPTZ -> {
                OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
                return Optional.ofNullable(t).map(OffsetDateTime::toInstant);
            }
            default -> {
                LocalDateTime t = rs.getObject(column, LocalDateTime.class);
                return Optional.ofNullable(t).map(v -> v.toInstant(ZoneOffset.UTC));
            }
        }
    }

    private TransOptions options(String json, String gid) {
        if (json == null || json.isEmpty()) {
            return TransOptions.DEFAULT;
        }
        try {
            return TransOptions.fromDtmJson(json);
        } catch (InvalidRequestException e) {
            throw new StoreUnavailableException("gid=" + gid + ": " + storeName + ": the options column cannot be"
                    + " read (" + e.getMessage() + "); was the row edited by hand? fix or delete it", e);
        }
    }
}
