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
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The writes of the MySQL/MariaDB store (READ COMMITTED). A failed statement rolls back alone in InnoDB, so a
 * duplicate key is caught and answered inside the op. Update counts are <i>matched</i> rows (the driver's default,
 * {@code useAffectedRows=false}), so a compare-and-set that writes the values already there still counts. The
 * compare-and-set is one conditional {@code UPDATE} of the global row, then one {@code UPDATE} of all its branch
 * rows; an append is one {@code INSERT ... SELECT} joined to the global row under a shared lock. Claims read each
 * unfinished status through the {@code status_next_cron_time} index in due order with
 * {@code FOR UPDATE SKIP LOCKED}, so only the rows returned are locked and concurrent claimers take different
 * ones. Thread-safe (immutable).
 */
final class MysqlWriteSql extends WriteSql {

    /** ER_DUP_ENTRY. */
    private static final int DUPLICATE_KEY = 1062;
    private static final List<GlobalStatus> UNFINISHED =
            List.of(GlobalStatus.PREPARED, GlobalStatus.SUBMITTED, GlobalStatus.ABORTING);

    MysqlWriteSql(Rows rows) {
        super(rows);
    }

    @Override
    boolean insert(Connection c, GlobalTransaction g, List<Branch> branches) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO trans_global (" + INSERT_GLOBAL_COLUMNS
                + ") VALUES (" + placeholders(17) + ")")) {
            bindGlobal(ps, 1, g);
            ps.executeUpdate();
        } catch (SQLException e) {
            if (e.getErrorCode() == DUPLICATE_KEY) {
                return false;
            }
            throw e;
        }
        if (!branches.isEmpty()) {
            StringBuilder sql = new StringBuilder("INSERT INTO trans_branch_op (" + INSERT_BRANCH_COLUMNS
                    + ") VALUES ");
            for (int i = 0; i < branches.size(); i++) {
                sql.append(i == 0 ? "" : ", ").append('(').append(placeholders(BRANCH_VALUES)).append(')');
            }
            insertBranches(c, sql.toString(), g.gid(), null, null, branches);
        }
        return true;
    }

    @Override
    boolean appendBranches(Connection c, String gid, GlobalStatus expected, TransType type, List<Branch> branches)
            throws SQLException {
        if (branches.isEmpty()) {
            return hasStatusAndType(c, gid, expected, type);
        }
        StringBuilder sql = new StringBuilder("INSERT INTO trans_branch_op (" + INSERT_BRANCH_COLUMNS + ") SELECT v."
                + INSERT_BRANCH_COLUMNS.replace(", ", ", v.") + " FROM (");
        String[] columns = INSERT_BRANCH_COLUMNS.split(", ");
        for (int i = 0; i < branches.size(); i++) {
            sql.append(i == 0 ? "SELECT " + i + " AS ord" : " UNION ALL SELECT " + i);
            for (String column : columns) {
                sql.append(", ?").append(i == 0 ? " AS " + column : "");
            }
        }
        // The shared lock on the global row orders this append against a concurrent status change.
        sql.append(") v JOIN trans_global g ON g.gid = ? AND g.status = ? AND g.trans_type = ? ORDER BY v.ord"
                + " LOCK IN SHARE MODE");
        return insertBranches(c, sql.toString(), gid, expected, type, branches) > 0;
    }

    @Override
    boolean update(Connection c, TransactionUpdate u) throws SQLException {
        List<Object> args = new ArrayList<>();
        String set = globalSet(u, args);
        String where = updateCondition(u, args);
        try (PreparedStatement ps = c.prepareStatement("UPDATE trans_global SET " + set + where)) {
            bindAll(ps, args);
            if (ps.executeUpdate() == 0) {
                return false;
            }
        }
        if (!u.branchUpdates().isEmpty()) {
            updateBranches(c, u);
        }
        return true;
    }

    /** One UPDATE of every named branch row; throws, to be rolled back, when a row is missing. */
    private void updateBranches(Connection c, TransactionUpdate u) throws SQLException {
        List<BranchUpdate> updates = u.branchUpdates();
        List<Object> args = new ArrayList<>();
        StringBuilder cases = new StringBuilder("CASE");
        StringBuilder keys = new StringBuilder();
        for (BranchUpdate bu : updates) {
            cases.append(" WHEN branch_id = ? AND op = ? THEN ?");
            args.add(bu.branchId());
            args.add(bu.op().wireName());
            args.add(bu.status().wireName());
            keys.append(keys.length() == 0 ? "" : " OR ").append("(branch_id = ? AND op = ?)");
        }
        Object now = rows.instantParam(u.now());
        args.add(now);
        args.add(now);
        args.add(u.gid());
        for (BranchUpdate bu : updates) {
            args.add(bu.branchId());
            args.add(bu.op().wireName());
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE trans_branch_op SET status = " + cases
                + " END, finish_time = ?, update_time = ? WHERE gid = ? AND (" + keys + ")")) {
            bindAll(ps, args);
            if (ps.executeUpdate() < updates.size()) {
                throw missingBranch(u.gid(), updates, existingKeys(c, u.gid()));
            }
        }
    }

    @Override
    List<GlobalTransaction> claimDue(Connection c, Instant now, Duration lease, String owner, int limit)
            throws SQLException {
        List<GlobalTransaction> due = new ArrayList<>();
        // One query per status keeps the index order, so no filesort and no lock on rows beyond the limit.
        for (GlobalStatus status : UNFINISHED) {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + Rows.GLOBAL_COLUMNS + " FROM trans_global"
                    + " FORCE INDEX (status_next_cron_time) WHERE status = ? AND next_cron_time <= ?"
                    + " ORDER BY next_cron_time, id LIMIT ? FOR UPDATE SKIP LOCKED")) {
                ps.setString(1, status.wireName());
                ps.setObject(2, rows.boundParam(now));
                ps.setInt(3, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        due.add(rows.global(rs));
                    }
                }
            }
        }
        due.sort(Comparator.comparing(GlobalTransaction::nextCronTime).thenComparingLong(GlobalTransaction::id));
        List<GlobalTransaction> picked = due.subList(0, Math.min(limit, due.size()));
        if (picked.isEmpty()) {
            return List.of();
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE trans_global SET owner = ?, next_cron_time = ?,"
                + " update_time = ? WHERE id IN (" + placeholders(picked.size()) + ")")) {
            ps.setString(1, owner);
            rows.setInstant(ps, 2, now.plus(lease));
            rows.setInstant(ps, 3, now);
            for (int i = 0; i < picked.size(); i++) {
                ps.setLong(4 + i, picked.get(i).id());
            }
            ps.executeUpdate();
        }
        return picked.stream().map(g -> claimed(g, now, lease, owner)).toList();
    }

    /**
     * Runs a branch insert whose rows come first, then (for an append) the gid and the expected status.
     *
     * @return rows inserted
     */
    private int insertBranches(Connection c, String sql, String gid, GlobalStatus expected, TransType type,
                               List<Branch> branches) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            for (Branch b : branches) {
                bindBranch(ps, i, b);
                i += BRANCH_VALUES;
            }
            if (expected != null) {
                ps.setString(i, gid);
                ps.setString(i + 1, expected.wireName());
                ps.setString(i + 2, type.wireName());
            }
            return ps.executeUpdate();
        } catch (SQLException e) {
            if (e.getErrorCode() == DUPLICATE_KEY) {
                // The statement rolled back alone; find which row existed to name it.
                throw duplicateAmong(gid, branches, notIn(existingKeys(c, gid), branches));
            }
            throw e;
        }
    }

    private static Set<String> notIn(Set<String> existing, List<Branch> branches) {
        Set<String> fresh = new HashSet<>();
        for (Branch b : branches) {
            String k = key(b.branchId(), b.op().wireName());
            if (!existing.contains(k)) {
                fresh.add(k);
            }
        }
        return fresh;
    }

    private static Set<String> existingKeys(Connection c, String gid) throws SQLException {
        Set<String> keys = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT branch_id, op FROM trans_branch_op WHERE gid = ?")) {
            ps.setString(1, gid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    keys.add(key(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return keys;
    }

    private static boolean hasStatusAndType(Connection c, String gid, GlobalStatus expected, TransType type)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT 1 FROM trans_global WHERE gid = ? AND status = ? AND trans_type = ? LOCK IN SHARE MODE")) {
            ps.setString(1, gid);
            ps.setString(2, expected.wireName());
            ps.setString(3, type.wireName());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}
