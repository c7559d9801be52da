package io.dtm4j.store.jdbc;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchUpdate;
import io.dtm4j.core.DuplicateBranchException;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionUpdate;
import io.dtm4j.core.spi.CronReset;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every write of the store, as SQL on a writer's connection inside its batch transaction (see {@link BatchRun}).
 * The writes whose SQL differs between databases are abstract; the portable ones are here. A method that throws
 * has its writes rolled back by the writer. Subclasses are thread-safe (immutable), and each call runs on one
 * writer thread.
 */
abstract class WriteSql {

    /** Ids per statement when a write works through a list of rows. */
    static final int CHUNK = 500;

    /** Column list of {@code trans_global} for inserts, in the order {@link #bindGlobal} binds them. */
    static final String INSERT_GLOBAL_COLUMNS = "gid, trans_type, status, query_prepared, protocol, create_time,"
            + " update_time, finish_time, rollback_time, options, custom_data, next_cron_interval, next_cron_time,"
            + " owner, ext_data, result, rollback_reason";

    /** Column list of {@code trans_branch_op} for inserts, in the order {@link #bindBranch} binds them. */
    static final String INSERT_BRANCH_COLUMNS = "gid, url, bin_data, branch_id, op, status, create_time, update_time,"
            + " finish_time";

    /** Values per branch row in {@link #INSERT_BRANCH_COLUMNS}. */
    static final int BRANCH_VALUES = 9;

    final Rows rows;

    WriteSql(Rows rows) {
        this.rows = rows;
    }

    /** Inserts a new transaction and its branches; false, writing nothing, when the gid exists. */
    abstract boolean insert(Connection c, GlobalTransaction g, List<Branch> branches) throws SQLException;

    /** The compare-and-set of {@link io.dtm4j.core.spi.TransactionStore#update}. */
    abstract boolean update(Connection c, TransactionUpdate u) throws SQLException;

    /** Appends branch rows while the transaction is of {@code type} and in {@code expected}. */
    abstract boolean appendBranches(Connection c, String gid, GlobalStatus expected, TransType type,
                                    List<Branch> branches) throws SQLException;

    /** Claims up to {@code limit} due transactions, oldest due first; {@code limit} is positive. */
    abstract List<GlobalTransaction> claimDue(Connection c, Instant now, Duration lease, String owner, int limit)
            throws SQLException;

    boolean retryNow(Connection c, String gid, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE trans_global SET next_cron_time = ?, update_time = ? WHERE gid = ?")) {
            rows.setInstant(ps, 1, now);
            rows.setInstant(ps, 2, now);
            ps.setString(3, gid);
            return ps.executeUpdate() == 1;
        }
    }

    /** Picks the ids first (one more than the limit tells whether more remain), then moves those still matching. */
    CronReset resetCronTime(Connection c, Instant now, Duration after, int limit) throws SQLException {
        Object bound = rows.boundParam(now.plus(after));
        List<Long> ids = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM trans_global WHERE status IN "
                + Rows.UNFINISHED + " AND next_cron_time > ? ORDER BY next_cron_time, id LIMIT ?")) {
            ps.setObject(1, bound);
            ps.setLong(2, limit + 1L);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
        }
        int count = 0;
        for (List<Long> chunk : chunks(ids.subList(0, Math.min(limit, ids.size())))) {
            try (PreparedStatement ps = c.prepareStatement("UPDATE trans_global SET next_cron_time = ?,"
                    + " update_time = ? WHERE id IN (" + placeholders(chunk.size()) + ") AND status IN "
                    + Rows.UNFINISHED + " AND next_cron_time > ?")) {
                rows.setInstant(ps, 1, now);
                rows.setInstant(ps, 2, now);
                int i = 3;
                for (long id : chunk) {
                    ps.setLong(i++, id);
                }
                ps.setObject(i, bound);
                count += ps.executeUpdate();
            }
        }
        return new CronReset(count, ids.size() > limit);
    }

    /** Removes at most {@code limit} finished transactions, oldest ids first, in statements of {@link #CHUNK}. */
    int purgeFinished(Connection c, Instant finishedBefore, int limit) throws SQLException {
        List<Long> ids = new ArrayList<>();
        List<String> gids = new ArrayList<>();
        // Oldest ids first: finished rows cluster at low ids, so the scan stops early once limit rows are found.
        try (PreparedStatement ps = c.prepareStatement("SELECT id, gid FROM trans_global WHERE status IN "
                + Rows.FINISHED + " AND COALESCE(finish_time, rollback_time) < ? ORDER BY id LIMIT ?")) {
            ps.setObject(1, rows.boundParam(finishedBefore));
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                    gids.add(rs.getString(2));
                }
            }
        }
        for (List<String> chunk : chunks(gids)) {
            deleteWhereIn(c, "DELETE FROM trans_branch_op WHERE gid IN ", chunk);
        }
        for (List<Long> chunk : chunks(ids)) {
            deleteWhereIn(c, "DELETE FROM trans_global WHERE id IN ", chunk);
        }
        return ids.size();
    }

    /** Removes every transaction and branch row in the caller's database transaction; returns the transactions. */
    long deleteAll(Connection c) throws SQLException {
        long count;
        try (Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM trans_global")) {
                rs.next();
                count = rs.getLong(1);
            }
            st.executeUpdate("DELETE FROM trans_branch_op");
            st.executeUpdate("DELETE FROM trans_global");
        }
        return count;
    }

    /** Binds the 17 values of {@link #INSERT_GLOBAL_COLUMNS} from {@code first}. */
    final void bindGlobal(PreparedStatement ps, int first, GlobalTransaction g) throws SQLException {
        int i = first;
        ps.setString(i++, g.gid());
        ps.setString(i++, g.transType().wireName());
        ps.setString(i++, g.status().wireName());
        ps.setString(i++, g.queryPrepared());
        ps.setString(i++, g.protocol());
        rows.setInstant(ps, i++, g.createTime());
        rows.setInstant(ps, i++, g.updateTime());
        rows.setOptionalInstant(ps, i++, g.finishTime());
        rows.setOptionalInstant(ps, i++, g.rollbackTime());
        ps.setString(i++, g.options().toDtmJson());
        ps.setString(i++, g.customData());
        rows.setInterval(ps, i++, g.nextCronInterval());
        rows.setInstant(ps, i++, g.nextCronTime());
        ps.setString(i++, g.owner());
        ps.setString(i++, g.extData());
        ps.setString(i++, g.result());
        ps.setString(i, g.rollbackReason());
    }

    /** Binds the {@link #BRANCH_VALUES} values of {@link #INSERT_BRANCH_COLUMNS} from {@code first}. */
    final void bindBranch(PreparedStatement ps, int first, Branch b) throws SQLException {
        int i = first;
        ps.setString(i++, b.gid());
        ps.setString(i++, b.url());
        ps.setBytes(i++, b.binData());
        ps.setString(i++, b.branchId());
        ps.setString(i++, b.op().wireName());
        ps.setString(i++, b.status().wireName());
        rows.setInstant(ps, i++, b.createTime());
        rows.setInstant(ps, i++, b.updateTime());
        rows.setOptionalInstant(ps, i, b.finishTime());
    }

    /**
     * The SET list of the global row for {@code u}, with its arguments appended to {@code args}: update_time
     * always, status with finish_time (succeed) or rollback_time (failed), and the present optional fields.
     */
    /** The WHERE condition of an update of the global row: its gid, expected status and, if given, owner. */
    static String updateCondition(TransactionUpdate u, List<Object> args) {
        args.add(u.gid());
        args.add(u.expectedStatus().wireName());
        if (u.expectedOwner().isPresent()) {
            args.add(u.expectedOwner().get());
            return " WHERE gid = ? AND status = ? AND owner = ?";
        }
        return " WHERE gid = ? AND status = ?";
    }

    final String globalSet(TransactionUpdate u, List<Object> args) {
        StringBuilder sql = new StringBuilder("update_time = ?");
        Object now = rows.instantParam(u.now());
        args.add(now);
        if (u.newStatus().isPresent()) {
            GlobalStatus s = u.newStatus().get();
            sql.append(", status = ?");
            args.add(s.wireName());
            if (s == GlobalStatus.SUCCEED) {
                sql.append(", finish_time = ?");
                args.add(now);
            } else if (s == GlobalStatus.FAILED) {
                sql.append(", rollback_time = ?");
                args.add(now);
            }
        }
        set(sql, args, "rollback_reason", u.rollbackReason());
        set(sql, args, "result", u.result());
        set(sql, args, "next_cron_interval", u.nextCronInterval().map(rows::intervalParam));
        set(sql, args, "next_cron_time", u.nextCronTime().map(rows::instantParam));
        return sql.toString();
    }

    /** A claimed transaction as the claim wrote it. */
    final GlobalTransaction claimed(GlobalTransaction g, Instant now, Duration lease, String owner) {
        return new GlobalTransaction(g.id(), g.gid(), g.transType(), g.status(), g.queryPrepared(), g.protocol(),
                g.createTime(), rows.stored(now), g.finishTime(), g.rollbackTime(), g.options(), g.customData(),
                g.nextCronInterval(), rows.stored(now.plus(lease)), owner, g.extData(), g.result(),
                g.rollbackReason());
    }

    /** The first of {@code branches} whose (branchId, op) is not in {@code inserted} ("branchId/op" keys). */
    static DuplicateBranchException duplicateAmong(String gid, List<Branch> branches, Set<String> inserted) {
        for (Branch b : branches) {
            if (!inserted.contains(key(b.branchId(), b.op().wireName()))) {
                return new DuplicateBranchException(gid, b.branchId(), b.op().wireName());
            }
        }
        // A row that existed a moment ago and is gone now (purged): still a conflict; name the first row.
        Branch first = branches.get(0);
        return new DuplicateBranchException(gid, first.branchId(), first.op().wireName());
    }

    /** The first of {@code updates} whose row is not in {@code found} ("branchId/op" keys). */
    static InvalidRequestException missingBranch(String gid, List<BranchUpdate> updates, Set<String> found) {
        for (BranchUpdate bu : updates) {
            if (!found.contains(key(bu.branchId(), bu.op().wireName()))) {
                return new InvalidRequestException("gid=" + gid + " branch=" + bu.branchId() + " op="
                        + bu.op().wireName() + ": no such branch row");
            }
        }
        BranchUpdate first = updates.get(0);
        return new InvalidRequestException("gid=" + gid + " branch=" + first.branchId() + " op="
                + first.op().wireName() + ": a branch row changed while it was updated; retry");
    }

    /** Checks, before anything is queued, that the rows belong to {@code gid} and repeat no (branchId, op). */
    static List<Branch> checkedRows(String gid, List<Branch> branches) {
        List<Branch> rows = List.copyOf(branches);
        Set<String> keys = new HashSet<>();
        for (Branch b : rows) {
            if (!b.gid().equals(gid)) {
                throw new InvalidRequestException("gid=" + gid + " branch=" + b.branchId() + " op="
                        + b.op().wireName() + ": the branch row belongs to gid=" + b.gid());
            }
            if (!keys.add(key(b.branchId(), b.op().wireName()))) {
                throw new DuplicateBranchException(gid, b.branchId(), b.op().wireName());
            }
        }
        return rows;
    }

    /** One branch update per row; when a row is named twice the last status wins, as if applied in order. */
    static TransactionUpdate withDistinctBranches(TransactionUpdate u) {
        Map<String, BranchUpdate> byKey = new LinkedHashMap<>();
        for (BranchUpdate bu : u.branchUpdates()) {
            byKey.put(key(bu.branchId(), bu.op().wireName()), bu);
        }
        if (byKey.size() == u.branchUpdates().size()) {
            return u;
        }
        return new TransactionUpdate(u.gid(), u.expectedStatus(), u.newStatus(), u.now(), u.rollbackReason(),
                u.result(), u.nextCronInterval(), u.nextCronTime(), List.copyOf(byKey.values()), u.expectedOwner());
    }

    static String key(String branchId, String op) {
        return branchId + "/" + op;
    }

    /** {@code n} comma-separated question marks. */
    static String placeholders(int n) {
        return String.join(", ", Collections.nCopies(n, "?"));
    }

    static <T> List<List<T>> chunks(List<T> all) {
        List<List<T>> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i += CHUNK) {
            out.add(all.subList(i, Math.min(all.size(), i + CHUNK)));
        }
        return out;
    }

    static void bindAll(PreparedStatement ps, List<Object> args) throws SQLException {
        for (int i = 0; i < args.size(); i++) {
            ps.setObject(i + 1, args.get(i));
        }
    }

    private static void deleteWhereIn(Connection c, String sql, List<?> values) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql + "(" + placeholders(values.size()) + ")")) {
            for (int i = 0; i < values.size(); i++) {
                ps.setObject(i + 1, values.get(i));
            }
            ps.executeUpdate();
        }
    }

    private static void set(StringBuilder sql, List<Object> args, String column, Optional<?> value) {
        if (value.isPresent()) {
            sql.append(", ").append(column).append(" = ?");
            args.add(value.get());
        }
    }
}
