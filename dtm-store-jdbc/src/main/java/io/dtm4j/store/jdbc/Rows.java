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
import java.util.Optional;

/**
 * Column lists and the mapping between rows and records. Times are epoch milliseconds (UTC): an instant is
 * truncated toward the past to whole milliseconds on the way in. Thread-safe (stateless).
 */
final class Rows {

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

    private Rows() {
    }

    /** Reads the current row as a transaction. */
    static GlobalTransaction global(ResultSet rs, String storeName) throws SQLException {
        String gid = rs.getString(2);
        return new GlobalTransaction(rs.getLong(1), gid, TransType.fromWireName(rs.getString(3)),
                GlobalStatus.fromWireName(rs.getString(4)), rs.getString(5), rs.getString(6), instant(rs, 7),
                instant(rs, 8), optionalInstant(rs, 9), optionalInstant(rs, 10), options(rs.getString(11), gid,
                storeName), rs.getString(12), Duration.ofMillis(rs.getLong(13)), instant(rs, 14), rs.getString(15),
                rs.getString(16), rs.getString(17), rs.getString(18));
    }

    /** Reads the current row as a branch. */
    static Branch branch(ResultSet rs) throws SQLException {
        return new Branch(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getBytes(4), rs.getString(5),
                BranchOp.fromWireName(rs.getString(6)), BranchStatus.fromWireName(rs.getString(7)), instant(rs, 8),
                instant(rs, 9), optionalInstant(rs, 10));
    }

    /** An instant as stored: epoch milliseconds, truncated toward the past. */
    static long millis(Instant t) {
        return t.toEpochMilli();
    }

    /** The same instant as it will read back from the store. */
    static Instant stored(Instant t) {
        return Instant.ofEpochMilli(t.toEpochMilli());
    }

    /** Binds an optional instant (NULL when absent). */
    static void setOptionalInstant(PreparedStatement ps, int index, Optional<Instant> t) throws SQLException {
        if (t.isPresent()) {
            ps.setLong(index, millis(t.get()));
        } else {
            ps.setNull(index, Types.INTEGER);
        }
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        return Instant.ofEpochMilli(rs.getLong(column));
    }

    private static Optional<Instant> optionalInstant(ResultSet rs, int column) throws SQLException {
        long ms = rs.getLong(column);
        return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(ms));
    }

    private static TransOptions options(String json, String gid, String storeName) {
        try {
            return TransOptions.fromDtmJson(json);
        } catch (InvalidRequestException e) {
            throw new StoreUnavailableException("gid=" + gid + ": " + storeName + ": the options column cannot be"
                    + " read (" + e.getMessage() + "); was the row edited by hand? fix or delete it", e);
        }
    }
}
