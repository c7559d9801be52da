package io.dtm4j.store.jdbc;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.DuplicateBranchException;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.ListQuery;
import io.dtm4j.core.StoreUnavailableException;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionUpdate;
import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.core.testing.TransactionStoreContract;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The store contract on a database server, plus what the PostgreSQL and MySQL dialects add: DTM's layout, schema
 * versions, group commit, claims from several processes, and error messages. Each test gets a schema or database
 * of its own ({@link TestDatabases}). Not thread-safe: JUnit runs one test per instance.
 */
abstract class ServerStoreContract extends TransactionStoreContract {

    static final int THREADS = 64;
    static final long WAIT_SECONDS = 60;

    /** The databases of the concrete test class. */
    abstract TestDatabases dbs();

    /** Asserts DTM's table, column, constraint and index names, and millisecond time columns. */
    abstract void assertDtmLayout(Connection c) throws SQLException;

    /** The precision (fractional digits) of {@code trans_global.create_time}. */
    abstract int createTimePrecision(Connection c) throws SQLException;

    /**
     * Asserts that gids, branch ids and kv keys compare byte for byte (case-sensitively), with their type, length,
     * nullability and unique keys as in version 1.
     */
    abstract void assertIdentifiersCompareBytes(Connection c) throws SQLException;

    @Override
    protected TransactionStore newStore() {
        dbs().fresh();
        return dbs().builder().build();
    }

    JdbcTransactionStore jdbc() {
        return (JdbcTransactionStore) store;
    }

    String product() {
        return dbs().dialect().productName();
    }

    // ---------------------------------------------------------------- layout and versions

    @Test
    void theTablesHaveDtmsNamesAndMillisecondTimes() throws SQLException {
        try (Connection c = dbs().admin()) {
            assertDtmLayout(c);
            assertThat(columns(c, "trans_global")).containsExactly("id", "gid", "trans_type", "status",
                    "query_prepared", "protocol", "create_time", "update_time", "finish_time", "rollback_time",
                    "options", "custom_data", "next_cron_interval", "next_cron_time", "owner", "ext_data", "result",
                    "rollback_reason");
            assertThat(columns(c, "trans_branch_op")).containsExactly("id", "gid", "url", "data", "bin_data",
                    "branch_id", "op", "status", "finish_time", "rollback_time", "create_time", "update_time");
            assertThat(columns(c, "kv")).containsExactly("id", "cat", "k", "v", "version", "create_time",
                    "update_time");
        }
    }

    @Test
    void theSchemaVersionIsRecordedOnceAndReopeningRunsNoMigration() throws SQLException {
        store.insert(saga(gid(), GlobalStatus.SUBMITTED), sagaRows(gid(), 1));
        store.close();
        store = dbs().builder().build();

        assertThat(store.findBranches(gid())).hasSize(2);
        try (Connection c = dbs().admin()) {
            assertThat(versions(c)).containsExactly("1", "2");
            assertThat(strings(c, "SELECT description FROM dtm4j_schema_version ORDER BY version").get(0))
                    .contains("DTM tables").doesNotContain("adopted");
            assertIdentifiersCompareBytes(c);
        }
    }

    @Test
    void aDatabaseWithANewerSchemaVersionIsRefused() throws SQLException {
        store.close();
        try (Connection c = dbs().admin(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO dtm4j_schema_version (version, description) VALUES (99, 'from the future')");
        }

        assertThatThrownBy(() -> dbs().builder().build()).isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining(dbs().current()).hasMessageContaining("schema version 99")
                .hasMessageContaining("knows versions up to 2").hasMessageContaining("upgrade dtm4j");
    }

    @Test
    void inspectReportsTheSchemaAndCreatesNothing() throws SQLException {
        assertThat(dbs().builder().inspect()).isEqualTo(new SchemaStatus(jdbc().describe(), 2, 2, true));
        store.close();

        dbs().fresh();
        SchemaStatus missing = dbs().builder().inspect();
        assertThat(missing.version()).isZero();
        assertThat(missing.dtmTables()).isFalse();
        assertThat(missing.usable()).isTrue();
        assertThat(missing.describe()).startsWith("no tables yet; the server creates schema version 2");
        try (Connection c = dbs().admin()) { // creates the empty schema or database inspect did not create
            assertThat(columns(c, "trans_global")).as("inspect created no table").isEmpty();
        }
        assertThat(dbs().builder().inspect().version()).isZero();

        store = dbs().builder().build();
        try (Connection c = dbs().admin(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO dtm4j_schema_version (version, description) VALUES (99, 'from the future')");
        }
        SchemaStatus newer = dbs().builder().inspect();
        assertThat(newer.version()).isEqualTo(99);
        assertThat(newer.usable()).isFalse();
        assertThat(newer.describe()).isEqualTo("schema version 99 was written by a newer dtm4j (this one knows up to "
                + "2); upgrade dtm4j or point it at another database");
    }

    @Test
    void theDbaScriptCreatesTheSameSchemaAndTheStoreRunsNoDdl() throws Exception {
        store.close();
        dbs().fresh();
        String script = JdbcTransactionStore.schemaSql(dbs().dialect());
        try (Connection c = dbs().admin(); Statement st = c.createStatement()) {
            for (String sql : script.split(";\n")) {
                if (!sql.strip().replaceAll("(?m)^--.*$", "").isBlank()) {
                    st.execute(sql);
                }
            }
        }

        store = dbs().builder().build();

        store.insert(saga(gid(), GlobalStatus.SUBMITTED), sagaRows(gid(), 1));
        assertThat(store.findBranches(gid())).hasSize(2);
        try (Connection c = dbs().admin()) {
            assertDtmLayout(c);
            assertIdentifiersCompareBytes(c);
            assertThat(versions(c)).containsExactly("1", "2");
        }
    }

    @Test
    void aDatabaseCreatedByDtmWithSecondPrecisionOpensAndWorks() throws Exception {
        store.close();
        dbs().fresh();
        try (Connection c = dbs().admin(); Statement st = c.createStatement()) {
            for (String sql : dtmDdl()) {
                st.execute(sql);
            }
        }
        store = dbs().builder().build();
        ServerChecks.secondPrecision(store, gid(), dbs());
        try (Connection c = dbs().admin()) {
            assertThat(createTimePrecision(c)).as("DTM's time columns are kept as they are").isZero();
            assertThat(versions(c)).containsExactly("1", "2");
            assertThat(strings(c, "SELECT description FROM dtm4j_schema_version ORDER BY version").get(0))
                    .contains("adopted");
            assertIdentifiersCompareBytes(c);
        }
    }

    @Test
    void aVersion1DatabaseWithRowsIsMigratedAndKeepsThem() throws Exception {
        store.close();
        dbs().fresh();
        try (Connection c = dbs().admin()) {
            createVersion1(c);
            ServerChecks.insertRowsByHand(c, dbs().dialect(), gid("CaseX"));
        }

        store = dbs().builder().build();

        ServerChecks.rowsWrittenByHandSurvive(store, gid("CaseX"));
        try (Connection c = dbs().admin()) {
            assertThat(versions(c)).containsExactly("1", "2");
            assertDtmLayout(c);
            assertIdentifiersCompareBytes(c);
            ServerChecks.uniqueKeysHoldByteForByte(c, gid("CaseX"));
        }
        assertThat(store.insert(saga(gid("CaseX"), GlobalStatus.SUBMITTED), List.of())).as("same gid").isFalse();
        assertThat(store.insert(saga(gid("casex"), GlobalStatus.SUBMITTED), sagaRows(gid("casex"), 1))).isTrue();
        assertThat(store.findGlobal(gid("CaseX")).orElseThrow().status()).isEqualTo(GlobalStatus.PREPARED);
    }

    @Test
    void gidsAndBranchIdsThatDifferOnlyInCaseAreDistinct() {
        assertThat(store.insert(tcc(gid("CaseX"), GlobalStatus.PREPARED), List.of())).isTrue();
        assertThat(store.insert(saga(gid("casex"), GlobalStatus.SUBMITTED), sagaRows(gid("casex"), 1))).isTrue();
        assertThat(store.insert(saga(gid("CASEX"), GlobalStatus.SUBMITTED), List.of())).isTrue();
        assertThat(store.insert(saga(gid("casex"), GlobalStatus.SUBMITTED), List.of())).as("same gid").isFalse();

        assertThat(store.findGlobal(gid("CaseX")).orElseThrow().gid()).isEqualTo(gid("CaseX"));
        assertThat(store.findGlobal(gid("casex")).orElseThrow().gid()).isEqualTo(gid("casex"));
        assertThat(store.findGlobal(gid("caseX"))).isEmpty();
        assertThat(store.findBranches(gid("CaseX"))).isEmpty();
        assertThat(store.update(TransactionUpdate.of(gid("CASEX"), GlobalStatus.SUBMITTED, T0.plusSeconds(1))
                .status(GlobalStatus.FAILED).build())).isTrue();
        assertThat(store.findGlobal(gid("casex")).orElseThrow().status()).isEqualTo(GlobalStatus.SUBMITTED);

        assertThat(store.appendBranches(gid("CaseX"), GlobalStatus.PREPARED, TransType.TCC,
                tccRows(gid("CaseX"), "Br"))).isTrue();
        assertThat(store.appendBranches(gid("CaseX"), GlobalStatus.PREPARED, TransType.TCC,
                tccRows(gid("CaseX"), "bR"))).isTrue();
        assertThat(store.findBranches(gid("CaseX"))).extracting(Branch::branchId)
                .containsExactly("Br", "Br", "bR", "bR");
        assertThat(store.list(ListQuery.firstPage().withGidPrefix(gid("Case"))).transactions())
                .extracting(GlobalTransaction::gid).containsExactly(gid("CaseX"));
    }

    @Test
    void theOptionsColumnHoldsDtmsJsonAndTheIntervalWholeSeconds() throws SQLException {
        store.insert(saga(gid(), GlobalStatus.SUBMITTED).withOptions(TransOptions.builder().waitResult(true)
                .retryInterval(Duration.ofSeconds(15)).branchHeaders(Map.of("X-A", "1")).build())
                .withCron(Duration.ofMillis(2500), T0), List.of());

        try (Connection c = dbs().admin()) {
            assertThat(strings(c, "SELECT options FROM trans_global")).containsExactly("{\"wait_result\":true,"
                    + "\"retry_interval\":15,\"branch_headers\":{\"X-A\":\"1\"},\"concurrent\":false}");
            assertThat(strings(c, "SELECT next_cron_interval FROM trans_global")).containsExactly("3");
        }
        assertThat(store.findGlobal(gid()).orElseThrow().nextCronInterval()).isEqualTo(Duration.ofSeconds(3));
    }

    // ---------------------------------------------------------------- group commit and concurrency

    @Test
    void concurrentWritesQueuedTogetherShareCommits() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> held = jdbc().holdWriter(release);
        int writers = jdbc().writers();
        long before = jdbc().commits();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<Boolean>> inserts = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                String gid = gid("t" + i);
                inserts.add(pool.submit(() -> store.insert(saga(gid, GlobalStatus.SUBMITTED), sagaRows(gid, 1))));
            }
            awaitPendingWrites(THREADS);
            release.countDown();
            held.get(WAIT_SECONDS, TimeUnit.SECONDS);
            for (Future<Boolean> f : inserts) {
                assertThat(f.get(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }

        long commits = jdbc().commits() - before - writers;
        System.out.printf("%s group commit, writers held: %d inserts in %d commits (%d writers)%n", product(),
                THREADS, commits, writers);
        assertThat(commits).as("commits of %d queued inserts", THREADS).isBetween(1L, (long) writers);
        for (int i = 0; i < THREADS; i++) {
            assertThat(store.findBranches(gid("t" + i))).hasSize(2);
        }
    }

    @Test
    void concurrentInsertsFromManyThreadsShareCommits() throws Exception {
        long before = jdbc().commits();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<Boolean>> inserts = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                String gid = gid("t" + i);
                inserts.add(pool.submit(() -> {
                    start.await();
                    return store.insert(saga(gid, GlobalStatus.SUBMITTED), sagaRows(gid, 1));
                }));
            }
            start.countDown();
            for (Future<Boolean> f : inserts) {
                assertThat(f.get(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }

        long commits = jdbc().commits() - before;
        System.out.printf("%s group commit, free-running: %d concurrent inserts in %d commits (%d writers)%n",
                product(), THREADS, commits, jdbc().writers());
        assertThat(commits).isBetween(1L, (long) THREADS);
    }

    @Test
    void aFailingWriteInABatchFailsAloneAndTheOthersCommit() throws Exception {
        store.close();
        store = dbs().builder().writers(1).build();
        store.insert(tcc(gid("tcc"), GlobalStatus.PREPARED), List.of());
        store.appendBranches(gid("tcc"), GlobalStatus.PREPARED, TransType.TCC, tccRows(gid("tcc"), "01"));
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> held = jdbc().holdWriter(release);
        long before = jdbc().commits();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            Future<Boolean> first = pool.submit(() -> store.insert(saga(gid("a"), GlobalStatus.SUBMITTED),
                    sagaRows(gid("a"), 1)));
            awaitPendingWrites(1);
            Future<Boolean> duplicate = pool.submit(() -> store.appendBranches(gid("tcc"), GlobalStatus.PREPARED,
                    TransType.TCC, List.of(branch(gid("tcc"), "02", BranchOp.CANCEL, "", new byte[0]),
                            branch(gid("tcc"), "01", BranchOp.CONFIRM, "", new byte[0]))));
            awaitPendingWrites(2);
            Future<Boolean> last = pool.submit(() -> store.insert(saga(gid("b"), GlobalStatus.SUBMITTED),
                    sagaRows(gid("b"), 1)));
            awaitPendingWrites(3);
            release.countDown();
            held.get(WAIT_SECONDS, TimeUnit.SECONDS);

            assertThat(first.get(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(last.get(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(() -> duplicate.get(WAIT_SECONDS, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(DuplicateBranchException.class).hasMessageContaining("branch=01 op=confirm");
        } finally {
            pool.shutdownNow();
        }

        assertThat(jdbc().commits() - before).as("the held batch, then one for all three").isEqualTo(2);
        assertThat(store.findBranches(gid("a"))).hasSize(2);
        assertThat(store.findBranches(gid("b"))).hasSize(2);
        assertThat(store.findBranches(gid("tcc"))).hasSize(2);
    }

    @Test
    void claimsFromTwoProcessesNeverOverlap() throws Exception {
        try (JdbcTransactionStore other = dbs().builder().build()) {
            ServerChecks.claimsNeverOverlap(store, other, gid());
        }
    }

    @Test
    void anAppendRacingAStatusChangeIsSeenByWhoeverChangedTheStatus() throws Exception {
        ServerChecks.appendRace(store, gid());
    }

    // ---------------------------------------------------------------- errors and names

    @Test
    void describeNamesTheServerButNotThePassword() {
        String expected = dbs().dialect() == SqlDialect.POSTGRES
                ? "postgres://" + dbs().address() + "/" + dbs().database() + "?schema=" + dbs().current()
                : "mysql://" + dbs().address() + "/" + dbs().current();
        assertThat(store.describe()).isEqualTo(expected);
    }

    @Test
    void aWrongPasswordFailsWithAClearMessageWithoutThePassword() {
        assertThatThrownBy(() -> dbs().builder().password("wrong-Secret-9").build())
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining(dbs().address()).hasMessageContaining("check the user and password")
                .hasMessageNotContaining("wrong-Secret-9");
    }

    @Test
    void aValueTooLongForItsColumnIsAnInvalidRequestAndTheStoreGoesOn() {
        GlobalTransaction tooLong = new GlobalTransaction(0, gid("long"), TransType.MSG,
                GlobalStatus.PREPARED, "http://q/" + "x".repeat(2000), "http", T0, T0, java.util.Optional.empty(),
                java.util.Optional.empty(), null, "", INTERVAL, T0, "", "", "", "");

        assertThatThrownBy(() -> store.insert(tooLong, List.of())).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("gid=" + gid("long")).hasMessageContaining("does not fit");
        assertThat(store.insert(saga(gid(), GlobalStatus.SUBMITTED), List.of())).isTrue();
        assertThat(store.findGlobal(gid("long"))).isEmpty();
    }

    @Test
    void callsAfterCloseFailWithAClearMessage() {
        store.close();

        assertThatThrownBy(() -> store.insert(saga(gid(), GlobalStatus.SUBMITTED), List.of()))
                .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("the store is closed");
        assertThatThrownBy(() -> store.findGlobal(gid()))
                .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("the store is closed");
    }

    @Test
    void anUpdateOfTheSameRowTwiceKeepsTheLastStatus() {
        store.insert(saga(gid(), GlobalStatus.SUBMITTED), sagaRows(gid(), 1));

        assertThat(store.update(TransactionUpdate.of(gid(), GlobalStatus.SUBMITTED, T0.plusSeconds(1))
                .branches(List.of(new io.dtm4j.core.BranchUpdate("01", BranchOp.ACTION,
                                io.dtm4j.core.BranchStatus.FAILED),
                        new io.dtm4j.core.BranchUpdate("01", BranchOp.ACTION, io.dtm4j.core.BranchStatus.SUCCEED)))
                .build())).isTrue();

        Branch action = store.findBranches(gid()).get(1);
        assertThat(action.status()).isEqualTo(io.dtm4j.core.BranchStatus.SUCCEED);
    }

    // ---------------------------------------------------------------- helpers

    void awaitPendingWrites(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (jdbc().pendingWrites() < count) {
            assertThat(System.nanoTime()).as("%d writes queued in time", count).isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    /** Creates schema version 1 with its version row, as a build before version 2 did. */
    void createVersion1(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(SchemaScripts.versionTable(dbs().dialect()));
            for (String sql : SchemaScripts.statements(dbs().dialect(), SchemaScripts.MIGRATIONS.get(0))) {
                st.execute(sql);
            }
            st.execute("INSERT INTO dtm4j_schema_version (version, description) VALUES (1, 'as an earlier build')");
        }
    }

    /** DTM's own DDL for this database, statement by statement. */
    List<String> dtmDdl() throws IOException {
        String file = dbs().dialect() == SqlDialect.POSTGRES ? "/dtm-ddl/postgres.sql" : "/dtm-ddl/mysql.sql";
        try (InputStream in = getClass().getResourceAsStream(file)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).replaceAll("(?m)^--.*\n", "");
            List<String> out = new ArrayList<>();
            for (String sql : text.split(";\n")) {
                if (!sql.isBlank()) {
                    out.add(sql);
                }
            }
            return out;
        }
    }

    static List<String> versions(Connection c) throws SQLException {
        return strings(c, "SELECT version FROM dtm4j_schema_version ORDER BY version");
    }

    static List<String> strings(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private List<String> columns(Connection c, String table) throws SQLException {
        String schema = dbs().dialect() == SqlDialect.POSTGRES ? "current_schema()" : "DATABASE()";
        return strings(c, "SELECT column_name FROM information_schema.columns WHERE table_schema = " + schema
                + " AND table_name = '" + table + "' ORDER BY ordinal_position");
    }
}
