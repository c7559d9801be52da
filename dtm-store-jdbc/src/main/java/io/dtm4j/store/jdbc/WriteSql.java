package io.dtm4j.store.jdbc;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchUpdate;
import io.dtm4j.core.DuplicateBranchException;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransactionUpdate;
import io.dtm4j.core.spi.CronReset;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Every write of the store, as SQL on the writer's connection. Each method runs inside the writer's transaction
 * and savepoint, so a read followed by a write (the compare-and-set, the claim) is atomic: this connection is
 * the only writer of the file. A method that throws leaves its savepoint to be rolled back. Thread-safe
 * (stateless), but each call must run on the writer thread.
 */
final class WriteSql {

    private static final String INSERT_BRANCH = "INSERT INTO trans_branch_op (gid, url, bin_data, branch_id, op,"
            + " status, create_time, update_time, finish_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (gid, branch_id, op) DO NOTHING";

    private WriteSql() {
    }

    static boolean insert(Connection c, GlobalTransaction g, List<Branch> branches) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO trans_global (gid, trans_type, status,"
                + " query_prepared, protocol, create_time, update_time, finish_time, rollback_time, options,"
                + " custom_data, next_cron_interval, next_cron_time, owner, ext_data, result, rollback_reason)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (gid) DO NOTHING")) {
            ps.setString(1, g.gid());
            ps.setString(2, g.transType().wireName());
            ps.setString(3, g.status().wireName());
            ps.setString(4, g.queryPrepared());
            ps.setString(5, g.protocol());
            ps.setLong(6, Rows.millis(g.createTime()));
            ps.setLong(7, Rows.millis(g.updateTime()));
            Rows.setOptionalInstant(ps, 8, g.finishTime());
            Rows.setOptionalInstant(ps, 9, g.rollbackTime());
            ps.setString(10, g.options().toDtmJson());
            ps.setString(11, g.customData());
            ps.setLong(12, g.nextCronInterval().toMillis());
            ps.setLong(13, Rows.millis(g.nextCronTime()));
            ps.setString(14, g.owner());
            ps.setString(15, g.extData());
            ps.setString(16, g.result());
            ps.setString(17, g.rollbackReason());
            if (ps.executeUpdate() == 0) {
                return false;
            }
        }
        insertBranches(c, g.gid(), branches);
        return true;
    }

    static boolean appendBranches(Connection c, String gid, GlobalStatus expected, List<Branch> branches)
            throws SQLException {
        if (!hasStatus(c, gid, expected)) {
            return false;
        }
        insertBranches(c, gid, branches);
        return true;
    }

    static boolean update(Connection c, TransactionUpdate u) throws SQLException {
        if (!hasStatus(c, u.gid(), u.expectedStatus())) {
            return false;
        }
        long now = Rows.millis(u.now());
        try (PreparedStatement ps = c.prepareStatement("UPDATE trans_branch_op SET status = ?, finish_time = ?,"
                + " update_time = ? WHERE gid = ? AND branch_id = ? AND op = ?")) {
            for (BranchUpdate bu : u.branchUpdates()) {
                ps.setString(1, bu.status().wireName());
                ps.setLong(2, now);
                ps.setLong(3, now);
                ps.setString(4, u.gid());
                ps.setString(5, bu.branchId());
                ps.setString(6, bu.op().wireName());
                if (ps.executeUpdate() == 0) {
                    throw new InvalidRequestException("gid=" + u.gid() + " branch=" + bu.branchId() + " op="
                            + bu.op().wireName() + ": no such branch row");
                }
            }
        }
        StringBuilder sql = new StringBuilder("UPDATE trans_global SET update_time = ?");
        List<Object> args = new ArrayList<>(List.of(now));
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
        set(sql, args, "next_cron_interval", u.nextCronInterval().map(Duration::toMillis));
        set(sql, args, "next_cron_time", u.nextCronTime().map(Rows::millis));
        sql.append(" WHERE gid = ? AND status = ?");
        args.add(u.gid());
        args.add(u.expectedStatus().wireName());
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                ps.setObject(i + 1, args.get(i));
            }
            return ps.executeUpdate() == 1;
        }
    }

    static List<GlobalTransaction> claimDue(Connection c, Instant now, Duration lease, String owner, int limit,
                                            String storeName) throws SQLException {
        List<GlobalTransaction> due = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + Rows.GLOBAL_COLUMNS + " FROM trans_global"
                + " WHERE status IN " + Rows.UNFINISHED + " AND next_cron_time <= ?"
                + " ORDER BY next_cron_time, id LIMIT ?")) {
            ps.setLong(1, Rows.millis(now));
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    due.add(Rows.global(rs, storeName));
                }
            }
        }
        Instant at = Rows.stored(now);
        Instant next = Rows.stored(now.plus(lease));
        List<GlobalTransaction> claimed = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("UPDATE trans_global SET owner = ?, next_cron_time = ?,"
                + " update_time = ? WHERE id = ?")) {
            for (GlobalTransaction g : due) {
                ps.setString(1, owner);
                ps.setLong(2, Rows.millis(next));
                ps.setLong(3, Rows.millis(at));
                ps.setLong(4, g.id());
                ps.executeUpdate();
                claimed.add(new GlobalTransaction(g.id(), g.gid(), g.transType(), g.status(), g.queryPrepared(),
                        g.protocol(), g.createTime(), at, g.finishTime(), g.rollbackTime(), g.options(),
                        g.customData(), g.nextCronInterval(), next, owner, g.extData(), g.result(),
                        g.rollbackReason()));
            }
        }
        return claimed;
    }

    static boolean retryNow(Connection c, String gid, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE trans_global SET next_cron_time = ?, update_time = ? WHERE gid = ?")) {
            ps.setLong(1, Rows.millis(now));
            ps.setLong(2, Rows.millis(now));
            ps.setString(3, gid);
            return ps.executeUpdate() == 1;
        }
    }

    static CronReset resetCronTime(Connection c, Instant now, Duration after, int limit) throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM trans_global WHERE status IN "
                + Rows.UNFINISHED + " AND next_cron_time > ? ORDER BY next_cron_time, id LIMIT ?")) {
            ps.setLong(1, Rows.millis(now.plus(after)));
            ps.setLong(2, limit + 1L);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
        }
        int count = Math.min(limit, ids.size());
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE trans_global SET next_cron_time = ?, update_time = ? WHERE id = ?")) {
            for (long id : ids.subList(0, count)) {
                ps.setLong(1, Rows.millis(now));
                ps.setLong(2, Rows.millis(now));
                ps.setLong(3, id);
                ps.executeUpdate();
            }
        }
        return new CronReset(count, ids.size() > limit);
    }

    static int purgeFinished(Connection c, Instant finishedBefore, int limit) throws SQLException {
        List<String> gids = new ArrayList<>();
        // Oldest ids first: finished rows cluster at low ids, so the scan stops early once limit rows are found.
        try (PreparedStatement ps = c.prepareStatement("SELECT gid FROM trans_global WHERE status IN "
                + Rows.FINISHED + " AND COALESCE(finish_time, rollback_time) < ? ORDER BY id LIMIT ?")) {
            ps.setLong(1, Rows.millis(finishedBefore));
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    gids.add(rs.getString(1));
                }
            }
        }
        try (PreparedStatement branches = c.prepareStatement("DELETE FROM trans_branch_op WHERE gid = ?");
             PreparedStatement global = c.prepareStatement("DELETE FROM trans_global WHERE gid = ?")) {
            for (String gid : gids) {
                branches.setString(1, gid);
                branches.executeUpdate();
                global.setString(1, gid);
                global.executeUpdate();
            }
        }
        return gids.size();
    }

    private static boolean hasStatus(Connection c, String gid, GlobalStatus expected) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT status FROM trans_global WHERE gid = ?")) {
            ps.setString(1, gid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && expected.wireName().equals(rs.getString(1));
            }
        }
    }

    private static void insertBranches(Connection c, String gid, List<Branch> branches) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT_BRANCH)) {
            for (Branch b : branches) {
                if (!b.gid().equals(gid)) {
                    throw new InvalidRequestException("gid=" + gid + " branch=" + b.branchId() + " op="
                            + b.op().wireName() + ": the branch row belongs to gid=" + b.gid());
                }
                ps.setString(1, gid);
                ps.setString(2, b.url());
                ps.setBytes(3, b.binData());
                ps.setString(4, b.branchId());
                ps.setString(5, b.op().wireName());
                ps.setString(6, b.status().wireName());
                ps.setLong(7, Rows.millis(b.createTime()));
                ps.setLong(8, Rows.millis(b.updateTime()));
                Rows.setOptionalInstant(ps, 9, b.finishTime());
                if (ps.executeUpdate() == 0) {
                    throw new DuplicateBranchException(gid, b.branchId(), b.op().wireName());
                }
            }
        }
    }

    private static void set(StringBuilder sql, List<Object> args, String column, Optional<?> value) {
        if (value.isPresent()) {
            sql.append(", ").append(column).append(" = ?");
            args.add(value.get());
        }
    }
}
