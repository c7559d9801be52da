package io.dtm4j.server;

import io.dtm4j.server.BankHistory.ClientOutcome;
import io.dtm4j.server.BankHistory.Entry;
import io.dtm4j.server.BankHistory.Final;
import io.dtm4j.server.BankHistory.Transfer;
import io.dtm4j.server.BankHistory.Type;

import javax.sql.DataSource;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The checker of {@link BankInvariantIT}, run once the nemesis stopped and the clients are done: it waits (bounded)
 * until the coordinator reports every transfer final, then reads the bank and compares it with the history:
 * <ul>
 *   <li>the total balance equals the starting total; no balance, frozen or incoming amount is negative; no amount
 *       is left frozen or announced (every TCC try was confirmed or cancelled);</li>
 *   <li>each account holds its start balance plus exactly the transfers that {@code succeed}ed: a failed or never
 *       stored transfer moved nothing, a succeeded one moved its amount once;</li>
 *   <li>every transfer is {@code succeed}, {@code failed} or was never stored (only when its client got no
 *       answer); none is stuck in prepared, submitted or aborting;</li>
 *   <li>an acknowledged commit (TCC, XA, msg, workflow) ended {@code succeed}; a refused one did not (unless it
 *       was a repeated call);</li>
 *   <li>no barrier row is duplicated per {@code (gid, branch_id, op)}, and a never stored transfer left none;</li>
 *   <li>no prepared XA transaction of the run is left in the database.</li>
 * </ul>
 */
final class BankChecker {
    private static final Duration POLL = Duration.ofMillis(500);

    /** The findings; {@link #violations()} lists what breaks an invariant. */
    record Result(long totalBefore, long totalAfter, long frozen, long incoming, int negativeAccounts,
                  List<String> accountsOff, List<String> stuck, int absent, List<String> ackViolations,
                  List<String> duplicateBarrierRows, int barrierRowsOfAbsent, List<String> preparedXaLeft,
                  long barrierRows, long quietMillis) {

        List<String> violations() {
            List<String> v = new ArrayList<>();
            if (totalAfter != totalBefore) {
                v.add("total " + totalAfter + " != " + totalBefore);
            }
            if (frozen != 0 || incoming != 0) {
                v.add("frozen " + frozen + " and incoming " + incoming + " left after every TCC finished");
            }
            if (negativeAccounts != 0) {
                v.add(negativeAccounts + " accounts with a negative balance, frozen or incoming amount");
            }
            accountsOff.forEach(a -> v.add("account off its history: " + a));
            stuck.forEach(s -> v.add("not final: " + s));
            ackViolations.forEach(a -> v.add("client outcome not kept: " + a));
            duplicateBarrierRows.forEach(d -> v.add("duplicate barrier row: " + d));
            if (barrierRowsOfAbsent != 0) {
                v.add(barrierRowsOfAbsent + " barrier rows of transfers the coordinator never stored");
            }
            preparedXaLeft.forEach(x -> v.add("prepared XA left: " + x));
            return v;
        }
    }

    private BankChecker() {
    }

    /** Waits until every transfer is final (at most {@code bound}), then checks the bank against the history. */
    static Result check(BankService bank, BankCoordinator coordinator, BankHistory history, long startBalance,
                        Duration bound) throws SQLException, InterruptedException {
        long t0 = System.nanoTime();
        List<String> stuck = awaitFinal(coordinator, history, bound);
        long quiet = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        int n = bank.accounts() + 1;
        long[] expected = new long[n + 1];
        for (int a = 1; a <= bank.accounts(); a++) {
            expected[a] = startBalance;
        }
        Set<String> absent = new HashSet<>();
        List<String> ackViolations = new ArrayList<>();
        for (Entry e : history.entries()) {
            Transfer t = e.transfer;
            if (e.outcome == Final.SUCCEED) {
                expected[t.from()] -= t.amount();
                expected[t.to()] += t.amount();
            } else if (e.outcome == Final.ABSENT) {
                absent.add(t.gid());
            }
            String broken = ackBroken(e);
            if (broken != null) {
                ackViolations.add(t.gid() + " " + broken);
            }
        }
        long totalAfter = 0;
        long frozen = 0;
        long incoming = 0;
        int negative = 0;
        List<String> off = new ArrayList<>();
        try (Connection c = bank.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select id, balance, frozen, incoming from " + bank.accountTable()
                     + " order by id")) {
            while (rs.next()) {
                int id = rs.getInt(1);
                long balance = rs.getLong(2);
                totalAfter += balance;
                frozen += rs.getLong(3);
                incoming += rs.getLong(4);
                if (balance < 0 || rs.getLong(3) < 0 || rs.getLong(4) < 0) {
                    negative++;
                }
                if (balance != expected[id]) {
                    off.add("account " + id + " holds " + balance + ", its succeeded transfers say " + expected[id]);
                }
            }
        }
        return new Result(startBalance * bank.accounts(), totalAfter, frozen, incoming, negative, off, stuck,
                absent.size(), ackViolations, duplicateBarrierRows(bank), barrierRowsOf(bank, absent),
                preparedXa(bank.db(), bank.unpooled(), BankInvariantIT.GID_PREFIX), count(bank, "select count(*) from "
                + bank.barrierTable()), quiet);
    }

    /**
     * Polls {@code query} for every transfer not yet final until all are, or {@code bound} passed; returns those
     * still not final, with their last status.
     */
    private static List<String> awaitFinal(BankCoordinator coordinator, BankHistory history, Duration bound)
            throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            List<String> pending = new ArrayList<>();
            for (Entry e : history.entries()) {
                if (e.outcome == Final.NOT_FINAL) {
                    poll(coordinator, e);
                }
                if (e.outcome == Final.NOT_FINAL) {
                    pending.add(e.transfer.gid() + " (" + e.lastStatus + ", client " + e.client + ")");
                }
            }
            if (pending.isEmpty() || System.nanoTime() > deadline) {
                return pending;
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    private static void poll(BankCoordinator coordinator, Entry e) {
        DtmHttp.Query q;
        try {
            q = coordinator.dtm().query(e.transfer.gid());
        } catch (UncheckedIOException | AssertionError ex) {
            e.lastStatus = "query failed: " + ex.getMessage();
            return;
        }
        if (!q.exists()) {
            e.lastStatus = "absent";
            e.outcome = Final.ABSENT; // the clients are done: nothing can store it any more
            return;
        }
        e.lastStatus = q.status();
        switch (q.status()) {
            case "succeed" -> e.outcome = Final.SUCCEED;
            case "failed" -> e.outcome = Final.FAILED;
            default -> {
                // prepared, submitted or aborting: the coordinator is still working on it
            }
        }
    }

    /** What about this transfer contradicts what its client was told, or null. */
    private static String ackBroken(Entry e) {
        Type type = e.transfer.type();
        if (e.client == ClientOutcome.ACKED) {
            if (e.outcome == Final.ABSENT) {
                return "acknowledged but never stored";
            }
            if (type != Type.SAGA && e.outcome == Final.FAILED) {
                return "committed for its client (" + type + ") but failed";
            }
        }
        // a repeated call may be refused because the first one went through (prepare of a submitted msg, submit
        // of a finished saga), so only a first call's refusal must hold
        if (e.client == ClientOutcome.REFUSED && e.outcome == Final.SUCCEED && !e.retried) {
            return "refused to its client (" + e.clientDetail + ") but succeeded";
        }
        if (e.client == ClientOutcome.SKIPPED && e.outcome != Final.ABSENT) {
            return "never started but " + e.outcome;
        }
        return null;
    }

    /** Barrier rows sharing a {@code (gid, branch_id, op)}: every branch of the bank calls its barrier once. */
    private static List<String> duplicateBarrierRows(BankService bank) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = bank.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select gid, branch_id, op, count(*) from " + bank.barrierTable()
                     + " group by gid, branch_id, op having count(*) > 1")) {
            while (rs.next()) {
                out.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3) + " x" + rs.getLong(4));
            }
        }
        return out;
    }

    private static int barrierRowsOf(BankService bank, Set<String> gids) throws SQLException {
        int n = 0;
        try (Connection c = bank.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                "select count(*) from " + bank.barrierTable() + " where gid = ?")) {
            for (String gid : gids) {
                ps.setString(1, gid);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    n += rs.getInt(1);
                }
            }
        }
        return n;
    }

    private static long count(BankService bank, String sql) throws SQLException {
        try (Connection c = bank.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The prepared XA transactions whose xid starts with {@code prefix}. */
    static List<String> preparedXa(ItStore db, DataSource ds, String prefix) throws SQLException {
        List<String> out = new ArrayList<>();
        String sql = db == ItStore.MARIADB ? "XA RECOVER" : "select gid from pg_prepared_xacts";
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                String xid = rs.getString(db == ItStore.MARIADB ? "data" : "gid");
                if (xid.startsWith(prefix)) {
                    out.add(xid);
                }
            }
        }
        return out;
    }

    /** Rolls back the prepared XA transactions whose xid starts with {@code prefix} (leftovers of a killed run). */
    static void rollbackPreparedXa(ItStore db, DataSource ds, String prefix) throws SQLException {
        List<String> xids = preparedXa(db, ds, prefix);
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            for (String xid : xids) {
                if (!xid.matches("[A-Za-z0-9_.:-]+")) {
                    continue;
                }
                st.execute(db == ItStore.MARIADB ? "XA ROLLBACK '" + xid + "'" : "ROLLBACK PREPARED '" + xid + "'");
            }
        }
    }
}
