package io.dtm4j.store.jdbc;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchUpdate;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionUpdate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The writes of the PostgreSQL store: each one statement, so one round trip, however many rows it touches.
 * Data-modifying CTEs put the compare-and-set on the global row and the branch rows in one statement; branch
 * rows go in as one multi-row {@code INSERT}. Appending takes a {@code FOR SHARE} lock on the global row, so a
 * concurrent status change either waits for the append or makes it see the new status. Claims lock with
 * {@code FOR UPDATE SKIP LOCKED}, so concurrent claimers (threads or processes) take different rows. Each
 * statement's final SELECT reports what happened: {@code g} for the global row, {@code b} with the key of each
 * branch row written. Thread-safe (immutable).
 */
final class PostgresWriteSql extends WriteSql {

    private static final String BRANCH_VALUE_CASTS = "?::varchar, ?::varchar, ?::bytea, ?::varchar, ?::varchar,"
            + " ?::varchar, ?::timestamptz, ?::timestamptz, ?::timestamptz";

    PostgresWriteSql(Rows rows) {
        super(rows);
    }

    @Override
    boolean insert(Connection c, GlobalTransaction g, List<Branch> branches) throws SQLException {
        String sql = "WITH g AS (INSERT INTO trans_global (" + INSERT_GLOBAL_COLUMNS + ") VALUES ("
                + placeholders(17) + ") ON CONFLICT (gid) DO NOTHING RETURNING 1)"
                + branchInsert(branches.size()) + report(branches.size());
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bindGlobal(ps, 1, g);
            bindBranches(ps, 18, branches);
            return written(ps, g.gid(), branches);
        }
    }

    @Override
    boolean appendBranches(Connection c, String gid, GlobalStatus expected, TransType type, List<Branch> branches)
            throws SQLException {
        String sql = "WITH g AS (SELECT 1 FROM trans_global WHERE gid = ? AND status = ? AND trans_type = ? FOR SHARE)"
                + branchInsert(branches.size()) + report(branches.size());
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, gid);
            ps.setString(2, expected.wireName());
            ps.setString(3, type.wireName());
            bindBranches(ps, 4, branches);
            return written(ps, gid, branches);
        }
    }

    @Override
    boolean update(Connection c, TransactionUpdate u) throws SQLException {
        List<Object> args = new ArrayList<>();
        StringBuilder sql = new StringBuilder("WITH g AS (UPDATE trans_global SET ").append(globalSet(u, args));
        sql.append(updateCondition(u, args)).append(" RETURNING 1)");
        List<BranchUpdate> updates = u.branchUpdates();
        if (!updates.isEmpty()) {
            sql.append(", b AS (UPDATE trans_branch_op t SET status = v.status, finish_time = ?, update_time = ?"
                    + " FROM (VALUES ");
            Object now = rows.instantParam(u.now());
            args.add(now);
            args.add(now);
            for (int i = 0; i < updates.size(); i++) {
                sql.append(i == 0 ? "" : ", ").append("(?::varchar, ?::varchar, ?::varchar)");
                BranchUpdate bu = updates.get(i);
                args.add(bu.branchId());
                args.add(bu.op().wireName());
                args.add(bu.status().wireName());
            }
            sql.append(") AS v (branch_id, op, status) WHERE t.gid = ? AND t.branch_id = v.branch_id"
                    + " AND t.op = v.op AND EXISTS (SELECT 1 FROM g) RETURNING t.branch_id, t.op)");
            args.add(u.gid());
        }
        sql.append(report(updates.size()));
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            bindAll(ps, args);
            Set<String> found = new HashSet<>();
            if (!read(ps, found)) {
                return false;
            }
            if (found.size() < updates.size()) {
                throw missingBranch(u.gid(), updates, found);
            }
            return true;
        }
    }

    @Override
    List<GlobalTransaction> claimDue(Connection c, Instant now, Duration lease, String owner, int limit)
            throws SQLException {
        String returning = "t." + Rows.GLOBAL_COLUMNS.replace(", ", ", t.");
        String sql = "WITH d AS (SELECT id, next_cron_time AS due FROM trans_global WHERE status IN "
                + Rows.UNFINISHED + " AND next_cron_time <= ? ORDER BY next_cron_time, id LIMIT ?"
                + " FOR UPDATE SKIP LOCKED),"
                + " u AS (UPDATE trans_global t SET owner = ?, next_cron_time = ?, update_time = ? FROM d"
                + " WHERE t.id = d.id RETURNING " + returning + ", d.due)"
                + " SELECT " + Rows.GLOBAL_COLUMNS + " FROM u ORDER BY due, id";
        List<GlobalTransaction> claimed = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, rows.boundParam(now));
            ps.setInt(2, limit);
            ps.setString(3, owner);
            rows.setInstant(ps, 4, now.plus(lease));
            rows.setInstant(ps, 5, now);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    claimed.add(rows.global(rs));
                }
            }
        }
        return claimed;
    }

    /** {@code , b AS (INSERT ... RETURNING branch_id, op)} inserting {@code n} rows while {@code g} has a row. */
    private static String branchInsert(int n) {
        if (n == 0) {
            return "";
        }
        StringBuilder sql = new StringBuilder(", b AS (INSERT INTO trans_branch_op (" + INSERT_BRANCH_COLUMNS
                + ") SELECT " + INSERT_BRANCH_COLUMNS + " FROM (VALUES ");
        for (int i = 0; i < n; i++) {
            sql.append(i == 0 ? "" : ", ").append('(').append(i).append(", ").append(BRANCH_VALUE_CASTS).append(')');
        }
        // ORDER BY ord: ids come from the sequence in this order, and findBranches returns rows by id.
        return sql.append(") AS v (ord, ").append(INSERT_BRANCH_COLUMNS)
                .append(") WHERE EXISTS (SELECT 1 FROM g) ORDER BY ord")
                .append(" ON CONFLICT (gid, branch_id, op) DO NOTHING RETURNING branch_id, op)").toString();
    }

    /** The final SELECT: one {@code g} row when the global row matched, one {@code b} row per branch row written. */
    private static String report(int branchRows) {
        String sql = " SELECT 'g' AS w, NULL::varchar AS branch_id, NULL::varchar AS op FROM g";
        return branchRows == 0 ? sql : sql + " UNION ALL SELECT 'b', branch_id, op FROM b";
    }

    private void bindBranches(PreparedStatement ps, int first, List<Branch> branches) throws SQLException {
        int i = first;
        for (Branch b : branches) {
            bindBranch(ps, i, b);
            i += BRANCH_VALUES;
        }
    }

    /** Runs an insert or append: false when the global row did not match; throws when a branch row existed. */
    private static boolean written(PreparedStatement ps, String gid, List<Branch> branches) throws SQLException {
        Set<String> inserted = new HashSet<>();
        if (!read(ps, inserted)) {
            return false;
        }
        if (inserted.size() < branches.size()) {
            throw duplicateAmong(gid, branches, inserted);
        }
        return true;
    }

    /** Reads a {@link #report}: true when the global row matched; adds the branch keys to {@code keys}. */
    private static boolean read(PreparedStatement ps, Set<String> keys) throws SQLException {
        boolean global = false;
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                if ("g".equals(rs.getString(1))) {
                    global = true;
                } else {
                    keys.add(key(rs.getString(2), rs.getString(3)));
                }
            }
        }
        return global;
    }
}
