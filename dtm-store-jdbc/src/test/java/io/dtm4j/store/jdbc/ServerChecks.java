package io.dtm4j.store.jdbc;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.BranchUpdate;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.ListQuery;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionUpdate;
import io.dtm4j.core.spi.TransactionStore;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/** Checks of the server stores that need more than a few lines; see {@link ServerStoreContract}. */
final class ServerChecks {

    private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");
    private static final Duration LEASE = Duration.ofSeconds(10);
    private static final long WAIT_SECONDS = 60;

    private ServerChecks() {
    }

    /** A store on DTM's own tables keeps whole seconds, truncating toward the past, and works throughout. */
    static void secondPrecision(TransactionStore store, String gid, TestDatabases dbs) throws Exception {
        Instant created = T0.plusMillis(789);
        store.insert(transaction(gid, TransType.SAGA, GlobalStatus.SUBMITTED, created, T0.plusMillis(10_500)),
                List.of(Branch.prepared(gid, "01", BranchOp.ACTION, "http://a", new byte[] {1, 2}, created)));

        GlobalTransaction stored = store.findGlobal(gid).orElseThrow();
        assertThat(stored.createTime()).isEqualTo(T0);
        assertThat(stored.nextCronTime()).isEqualTo(T0.plusSeconds(10));
        assertThat(store.findBranches(gid).get(0).createTime()).isEqualTo(T0);
        assertThat(store.claimDue(T0.plusMillis(9_999), LEASE, "n", 10)).isEmpty();
        List<GlobalTransaction> claimed = store.claimDue(T0.plusSeconds(10), LEASE, "n", 10);
        assertThat(claimed).extracting(GlobalTransaction::gid).containsExactly(gid);
        assertThat(store.findGlobal(gid).orElseThrow()).isEqualTo(claimed.get(0));

        Instant done = T0.plusMillis(11_900);
        assertThat(store.update(TransactionUpdate.of(gid, GlobalStatus.SUBMITTED, done).status(GlobalStatus.SUCCEED)
                .branches(List.of(new BranchUpdate("01", BranchOp.ACTION, BranchStatus.SUCCEED))).build())).isTrue();
        assertThat(store.findGlobal(gid).orElseThrow().finishTime()).contains(T0.plusSeconds(11));
        assertThat(store.findBranches(gid).get(0).finishTime()).contains(T0.plusSeconds(11));
        ListQuery from = new ListQuery("", 10, Optional.empty(), Optional.empty(), Optional.of(T0.plusMillis(1)),
                Optional.empty());
        assertThat(store.list(from).transactions()).isEmpty();

        // A row as DTM writes it: no next_cron_interval, DTM's options JSON.
        String time = dbs.dialect() == SqlDialect.POSTGRES ? "'2024-05-01 10:00:00+00'" : "'2024-05-01 10:00:00'";
        try (Connection c = dbs.admin(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO trans_global (gid, trans_type, status, query_prepared, protocol, create_time,"
                    + " update_time, options, custom_data, next_cron_time, owner) VALUES ('" + gid + "-dtm', 'msg',"
                    + " 'prepared', 'http://q', 'http', " + time + ", " + time + ", '{\"concurrent\":false}', '', "
                    + time + ", '')");
        }
        GlobalTransaction dtm = store.findGlobal(gid + "-dtm").orElseThrow();
        assertThat(dtm.createTime()).isEqualTo(T0);
        assertThat(dtm.nextCronInterval()).isEqualTo(Duration.ZERO);
        assertThat(dtm.options()).isEqualTo(TransOptions.DEFAULT);
        assertThat(store.purgeFinished(T0.plusMillis(11_001), 10)).isEqualTo(1);
        assertThat(store.findGlobal(gid)).isEmpty();
    }

    /**
     * Writes, as an earlier build would have, a prepared TCC {@code gid} with branch {@code Br} (cancel, confirm)
     * and a kv row {@code topics/Orders}.
     */
    static void insertRowsByHand(Connection c, SqlDialect dialect, String gid) throws SQLException {
        String time = dialect == SqlDialect.POSTGRES ? "'2024-05-01 10:00:00.250+00'" : "'2024-05-01 10:00:00.250'";
        try (Statement st = c.createStatement()) {
            st.execute("INSERT INTO trans_global (gid, trans_type, status, query_prepared, protocol, create_time,"
                    + " update_time, options, custom_data, next_cron_interval, next_cron_time, owner) VALUES ('"
                    + gid + "', 'tcc', 'prepared', '', 'http', " + time + ", " + time + ", '', '', 10, " + time
                    + ", '')");
            st.execute("INSERT INTO kv (cat, k, v, create_time, update_time) VALUES ('topics', 'Orders', 'v', "
                    + time + ", " + time + ")");
        }
        for (String op : List.of("cancel", "confirm")) {
            insertBranch(c, gid, "Br", op, time);
        }
    }

    /** The rows of {@link #insertRowsByHand} read back through the store. */
    static void rowsWrittenByHandSurvive(TransactionStore store, String gid) {
        GlobalTransaction g = store.findGlobal(gid).orElseThrow();
        assertThat(g.transType()).isEqualTo(TransType.TCC);
        assertThat(g.status()).isEqualTo(GlobalStatus.PREPARED);
        assertThat(g.createTime()).isEqualTo(T0.plusMillis(250));
        assertThat(store.findBranches(gid)).extracting(Branch::branchId, Branch::op, b -> new String(b.binData(),
                StandardCharsets.UTF_8)).containsExactly(tuple("Br", BranchOp.CANCEL, "c"),
                tuple("Br", BranchOp.CONFIRM, "c"));
    }

    /** The unique keys refuse an exact duplicate and take a value that differs in case only. */
    static void uniqueKeysHoldByteForByte(Connection c, String gid) throws SQLException {
        String time = "'2024-05-01 10:00:00'";
        try (Statement st = c.createStatement()) {
            assertThatThrownBy(() -> st.execute("INSERT INTO trans_global (gid, trans_type, status, query_prepared,"
                    + " protocol) VALUES ('" + gid + "', 'saga', 'submitted', '', 'http')"))
                    .as("gid").isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> insertBranch(c, gid, "Br", "cancel", time)).as("gid_uniq")
                    .isInstanceOf(SQLException.class);
            insertBranch(c, gid, "bR", "cancel", time);
            assertThatThrownBy(() -> st.execute("INSERT INTO kv (cat, k) VALUES ('topics', 'Orders')")).as("uniq_k")
                    .isInstanceOf(SQLException.class);
            st.execute("INSERT INTO kv (cat, k) VALUES ('topics', 'orders')");
        }
    }

    private static void insertBranch(Connection c, String gid, String branchId, String op, String time)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO trans_branch_op (gid, url, bin_data, branch_id,"
                + " op, status, create_time, update_time) VALUES (?, 'http://busi/" + op + "', ?, ?, ?, 'prepared', "
                + time + ", " + time + ")")) {
            ps.setString(1, gid);
            ps.setBytes(2, new byte[] {'c'});
            ps.setString(3, branchId);
            ps.setString(4, op);
            ps.executeUpdate();
        }
    }

    /** Two stores (two pools, as two processes would have) claim concurrently; no transaction is claimed twice. */
    static void claimsNeverOverlap(TransactionStore a, TransactionStore b, String prefix) throws Exception {
        int count = 60;
        for (int i = 0; i < count; i++) {
            a.insert(transaction(prefix + "-" + i, TransType.SAGA, GlobalStatus.SUBMITTED, T0,
                    T0.minusMillis(i)), List.of());
        }
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<String>>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                TransactionStore s = t % 2 == 0 ? a : b;
                String owner = "node-" + t;
                futures.add(pool.submit(() -> {
                    start.await();
                    List<String> mine = new ArrayList<>();
                    for (List<GlobalTransaction> got = s.claimDue(T0, LEASE, owner, 3); !got.isEmpty();
                         got = s.claimDue(T0, LEASE, owner, 3)) {
                        got.forEach(g -> mine.add(g.gid()));
                    }
                    return mine;
                }));
            }
            start.countDown();
            List<String> all = new ArrayList<>();
            for (Future<List<String>> f : futures) {
                all.addAll(f.get(WAIT_SECONDS, TimeUnit.SECONDS));
            }
            assertThat(all).doesNotHaveDuplicates().hasSize(count);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * An append and a status change race, many times: when the append returned true, the writer of the new status
     * sees the appended rows right after its change (the append was ordered before it); otherwise none was written.
     */
    static void appendRace(TransactionStore store, String prefix) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        int appended = 0;
        int rounds = 30;
        try {
            for (int round = 0; round < rounds; round++) {
                String gid = prefix + "-r" + round;
                store.insert(transaction(gid, TransType.TCC, GlobalStatus.PREPARED, T0, T0.plusSeconds(10)),
                        List.of());
                List<Branch> rows = List.of(Branch.prepared(gid, "01", BranchOp.CANCEL, "http://c", new byte[0], T0),
                        Branch.prepared(gid, "01", BranchOp.CONFIRM, "http://f", new byte[0], T0));
                CountDownLatch start = new CountDownLatch(1);
                Future<Boolean> append = pool.submit(() -> {
                    start.await();
                    return store.appendBranches(gid, GlobalStatus.PREPARED, TransType.TCC, rows);
                });
                Future<List<Branch>> seen = pool.submit(() -> {
                    start.await();
                    assertThat(store.update(TransactionUpdate.of(gid, GlobalStatus.PREPARED, T0.plusSeconds(1))
                            .status(GlobalStatus.SUBMITTED).build())).isTrue();
                    return store.findBranches(gid);
                });
                start.countDown();
                boolean won = append.get(WAIT_SECONDS, TimeUnit.SECONDS);
                List<Branch> afterChange = seen.get(WAIT_SECONDS, TimeUnit.SECONDS);
                assertThat(afterChange).as("round %d, append returned %s", round, won).hasSize(won ? 2 : 0);
                assertThat(store.findBranches(gid)).hasSize(won ? 2 : 0);
                appended += won ? 1 : 0;
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("append race: %d of %d appends came first%n", appended, rounds);
    }

    private static GlobalTransaction transaction(String gid, TransType type, GlobalStatus status, Instant created,
                                                 Instant next) {
        return new GlobalTransaction(0, gid, type, status, "", "http", created, created, Optional.empty(),
                Optional.empty(), TransOptions.DEFAULT, "", Duration.ofSeconds(10), next, "", "", "", "");
    }
}
