package io.dtm4j.store.jdbc;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchUpdate;
import io.dtm4j.core.DuplicateBranchException;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionUpdate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The writes of the SQLite store. Its connection is the only writer of the file, so a read followed by a write
 * (the compare-and-set, the claim) is atomic without row locks. Thread-safe (immutable).
 */
final class SqliteWriteSql extends WriteSql {

    private static final String INSERT_BRANCH = "INSERT INTO trans_branch_op (" + INSERT_BRANCH_COLUMNS
            + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (gid, branch_id, op) DO NOTHING";

    SqliteWriteSql(Rows rows) {
        super(rows);
    }

    @Override
    boolean insert(Connection c, GlobalTransaction g, List<Branch> branches) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO trans_global (" + INSERT_GLOBAL_COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (gid) DO NOTHING")) {
            bindGlobal(ps, 1, g);
            if (ps.executeUpdate() == 0) {
                return false;
            }
        }
        insertBranches(c, g.gid(), branches);
        return true;
    }

    @Override
    boolean appendBranches(Connection c, String gid, GlobalStatus expected, TransType type, List<Branch> branches)
            throws SQLException {
        if (!hasStatusAndType(c, gid, expected, type)) {
            return false;
        }
        insertBranches(c, gid, branches);
        return true;
    }

    @Override
    boolean update(Connection c, TransactionUpdate u) throws SQLException {
        if (!hasStatus(c, u.gid(), u.expectedStatus())
                || u.expectedOwner().isPresent() && !hasOwner(c, u.gid(), u.expectedOwner().get())) {
            return false;
        }
        Object now = rows.instantParam(u.now());
        try (PreparedStatement ps = c.prepareStatement("UPDATE trans_branch_op SET status = ?, finish_time = ?,"
                + " update_time = ? WHERE gid = ? AND branch_id = ? AND op = ?")) {
            for (BranchUpdate bu : u.branchUpdates()) {
                ps.setString(1, bu.status().wireName());
                ps.setObject(2, now);
                ps.setObject(3, now);
                ps.setString(4, u.gid());
                ps.setString(5, bu.branchId());
                ps.setString(6, bu.op().wireName());
                if (ps.executeUpdate() == 0) {
                    throw new InvalidRequestException("gid=" + u.gid() + " branch=" + bu.branchId() + " op="
                            + bu.op().wireName() + ": no such branch row");
                }
            }
        }
        List<Object> args = new ArrayList<>();
        String set = globalSet(u, args);
        String where = updateCondition(u, args);
        try (PreparedStatement ps = c.prepareStatement("UPDATE trans_global SET " + set + where)) {
            bindAll(ps, args);
            return ps.executeUpdate() == 1;
        }
    }

    @Override
    List<GlobalTransaction> claimDue(Connection c, Instant now, Duration lease, String owner, int limit)
            throws SQLException {
        List<GlobalTransaction> due = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + Rows.GLOBAL_COLUMNS + " FROM trans_global"
                + " WHERE status IN " + Rows.UNFINISHED + " AND next_cron_time <= ?"
                + " ORDER BY next_cron_time, id LIMIT ?")) {
            ps.setObject(1, rows.boundParam(now));
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    due.add(rows.global(rs));
                }
            }
        }
        List<GlobalTransaction> claimed = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("UPDATE trans_global SET owner = ?, next_cron_time = ?,"
                + " update_time = ? WHERE id = ?")) {
            for (GlobalTransaction g : due) {
                ps.setString(1, owner);
                rows.setInstant(ps, 2, now.plus(lease));
                rows.setInstant(ps, 3, now);
                ps.setLong(4, g.id());
                ps.executeUpdate();
                claimed.add(claimed(g, now, lease, owner));
            }
        }
        return claimed;
    }

    private static boolean hasOwner(Connection c, String gid, String owner) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT owner FROM trans_global WHERE gid = ?")) {
            ps.setString(1, gid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && owner.equals(rs.getString(1));
            }
        }
    }

    private static boolean hasStatusAndType(Connection c, String gid, GlobalStatus expected, TransType type)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT status, trans_type FROM trans_global WHERE gid = ?")) {
            ps.setString(1, gid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && expected.wireName().equals(rs.getString(1))
                        && type.wireName().equals(rs.getString(2));
            }
        }
    }

    private static boolean hasStatus(Connection c, String gid, GlobalStatus expected) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT status FROM trans_global WHERE gid = ?")) {
            ps.setString(1, gid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && expected.wireName().equals(rs.getString(1));
            }
        }
    }

    private void insertBranches(Connection c, String gid, List<Branch> branches) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT_BRANCH)) {
            for (Branch b : branches) {
                bindBranch(ps, 1, b);
                if (ps.executeUpdate() == 0) {
                    throw new DuplicateBranchException(gid, b.branchId(), b.op().wireName());
                }
            }
        }
    }
}
