package io.dtm4j.store.jdbc;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.DuplicateBranchException;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.StoreUnavailableException;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionUpdate;
import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.core.testing.TransactionStoreContract;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
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

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Runs the store contract against the SQLite store (a new temporary directory per test), plus SQLite's own rules. */
class SqliteTransactionStoreTest extends TransactionStoreContract {

    private static final int THREADS = 64;
    private static final long WAIT_SECONDS = 30;

    @TempDir
    Path dir;

    @Override
    protected TransactionStore newStore() {
        return JdbcTransactionStore.sqlite(dir);
    }

    private JdbcTransactionStore sqlite() {
        return (JdbcTransactionStore) store;
    }

    // ---------------------------------------------------------------- group commit

    @Test
    void concurrentWritesQueuedTogetherShareOneCommit() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> held = sqlite().holdWriter(release);
        long before = sqlite().commits();
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

        // One commit for the held batch, one for all 64 inserts (maxBatch is 256).
        assertThat(sqlite().commits() - before).isEqualTo(2);
        for (int i = 0; i < THREADS; i++) {
            assertThat(store.findGlobal(gid("t" + i))).isPresent();
            assertThat(store.findBranches(gid("t" + i))).hasSize(2);
        }
    }

    @Test
    void concurrentInsertsFromManyThreadsAreAllCommittedInFewerCommits() throws Exception {
        long before = sqlite().commits();
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

        long commits = sqlite().commits() - before;
        assertThat(commits).isBetween(1L, (long) THREADS);
        for (int i = 0; i < THREADS; i++) {
            assertThat(store.findGlobal(gid("t" + i))).isPresent();
        }
    }

    @Test
    void aFailingWriteInABatchFailsAloneAndTheOthersCommit() throws Exception {
        store.insert(tcc(gid("tcc"), GlobalStatus.PREPARED), List.of());
        store.appendBranches(gid("tcc"), GlobalStatus.PREPARED, TransType.TCC, tccRows(gid("tcc"), "01"));
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> held = sqlite().holdWriter(release);
        long before = sqlite().commits();
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
                    .hasCauseInstanceOf(DuplicateBranchException.class);
        } finally {
            pool.shutdownNow();
        }

        assertThat(sqlite().commits() - before).isEqualTo(2);
        assertThat(store.findBranches(gid("a"))).hasSize(2);
        assertThat(store.findBranches(gid("b"))).hasSize(2);
        assertThat(store.findBranches(gid("tcc"))).hasSize(2);
    }

    @Test
    void aFullDiskFailsTheWriteWithAClearMessageAndTheStoreKeepsWorking() {
        long pages = sqlite().onWriter(c -> queryLong(c, "PRAGMA page_count"));
        sqlite().onWriter(c -> queryLong(c, "PRAGMA max_page_count = " + (pages + 2)));
        String gid = gid("big");
        List<Branch> big = List.of(branch(gid, "01", BranchOp.ACTION, "", new byte[256 * 1024]));

        assertThatThrownBy(() -> store.insert(saga(gid, GlobalStatus.SUBMITTED), big))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("gid=" + gid)
                .hasMessageContaining(dir.resolve("dtm.db").toAbsolutePath().toString())
                .hasMessageContaining("SQLITE_FULL")
                .hasMessageContaining("free space");
        assertThat(store.findGlobal(gid)).isEmpty();

        sqlite().onWriter(c -> queryLong(c, "PRAGMA max_page_count = 1073741823"));
        assertThat(store.insert(saga(gid("small"), GlobalStatus.SUBMITTED), sagaRows(gid("small"), 1))).isTrue();
    }

    // ---------------------------------------------------------------- files, schema and lifecycle

    @Test
    void reopeningTheDirectoryFindsTheData() {
        GlobalTransaction g = saga(gid(), GlobalStatus.SUBMITTED).withOptions(fullOptions());
        List<Branch> rows = sagaRows(gid(), 2);
        store.insert(g, rows);
        store.update(TransactionUpdate.of(gid(), GlobalStatus.SUBMITTED, T0.plusSeconds(1))
                .status(GlobalStatus.ABORTING).rollbackReason("why").build());
        store.close();

        store = JdbcTransactionStore.sqlite(dir);

        assertSameGlobal(store.findGlobal(gid()).orElseThrow(), g.apply(TransactionUpdate.of(gid(),
                GlobalStatus.SUBMITTED, T0.plusSeconds(1)).status(GlobalStatus.ABORTING).rollbackReason("why")
                .build()));
        assertSameBranches(store.findBranches(gid()), rows);
    }

    @Test
    void aDatabaseWithANewerSchemaVersionIsRefused() throws SQLException {
        store.close();
        execute("PRAGMA user_version = " + (SqliteSchema.VERSION + 1));

        assertThatThrownBy(() -> JdbcTransactionStore.sqlite(dir))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining(dir.resolve("dtm.db").toString())
                .hasMessageContaining("schema version " + (SqliteSchema.VERSION + 1))
                .hasMessageContaining("knows versions up to " + SqliteSchema.VERSION)
                .hasMessageContaining("upgrade dtm4j");
    }

    @Test
    void aDatabaseWithOurTablesButNoVersionIsRefused() throws Exception {
        Path other = Files.createDirectories(dir.resolve("other"));
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + other.resolve("dtm.db"));
             Statement st = c.createStatement()) {
            st.execute("CREATE TABLE trans_global (gid TEXT)");
        }

        assertThatThrownBy(() -> JdbcTransactionStore.sqlite(other))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("trans_global")
                .hasMessageContaining("not created by dtm4j");
    }

    @Test
    void aFileThatIsNotADatabaseIsRefused() throws Exception {
        Path other = Files.createDirectories(dir.resolve("other"));
        Files.write(other.resolve("dtm.db"), "this is not a database, just some text padding it out".repeat(50)
                .getBytes(US_ASCII));

        assertThatThrownBy(() -> JdbcTransactionStore.sqlite(other))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining(other.resolve("dtm.db").toString())
                .hasMessageContaining("not a valid SQLite database");
    }

    @Test
    void aDirectoryThatCannotBeCreatedIsReportedClearly() throws Exception {
        Path file = Files.writeString(dir.resolve("plain-file"), "x");

        assertThatThrownBy(() -> JdbcTransactionStore.sqlite(file.resolve("data")))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("cannot create the data directory " + file.resolve("data"))
                .hasMessageContaining("choose another directory");
    }

    @Test
    void theDirectoryIsCreatedWithItsParents() {
        Path nested = dir.resolve("a/b/dtm-data");

        try (JdbcTransactionStore s = JdbcTransactionStore.sqlite(nested)) {
            assertThat(s.insert(saga(gid(), GlobalStatus.SUBMITTED), List.of())).isTrue();
        }

        assertThat(nested.resolve("dtm.db")).exists();
    }

    @Test
    void callsAfterCloseFailWithAClearMessage() {
        store.close();

        assertThatThrownBy(() -> store.insert(saga(gid(), GlobalStatus.SUBMITTED), List.of()))
                .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("gid=" + gid())
                .hasMessageContaining("the store is closed");
        assertThatThrownBy(() -> store.findGlobal(gid()))
                .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("the store is closed");
        assertThatThrownBy(() -> store.claimDue(T0, LEASE, "n", 1))
                .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("the store is closed");
    }

    @Test
    void closeCommitsTheWritesAlreadyQueued() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        sqlite().holdWriter(release);
        ExecutorService pool = Executors.newFixedThreadPool(1);
        try {
            Future<Boolean> queued = pool.submit(() -> store.insert(saga(gid(), GlobalStatus.SUBMITTED), List.of()));
            awaitPendingWrites(1);
            Thread closer = new Thread(store::close);
            closer.start();
            release.countDown();
            closer.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            assertThat(queued.get(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
        } finally {
            pool.shutdownNow();
        }

        store = JdbcTransactionStore.sqlite(dir);
        assertThat(store.findGlobal(gid())).isPresent();
    }

    @Test
    void describeNamesTheAbsolutePathOfTheFile() {
        assertThat(store.describe()).isEqualTo("sqlite:" + dir.toAbsolutePath().normalize().resolve("dtm.db"));
    }

    @Test
    void theFileUsesWalWithFullSyncAndDtmsTableLayout() throws SQLException {
        String journalMode = sqlite().onWriter(c -> queryString(c, "PRAGMA journal_mode"));
        long synchronous = sqlite().onWriter(c -> queryLong(c, "PRAGMA synchronous"));
        long busyTimeout = sqlite().onWriter(c -> queryLong(c, "PRAGMA busy_timeout"));
        assertThat(journalMode).isEqualTo("wal");
        assertThat(synchronous).as("2 = FULL").isEqualTo(2L);
        assertThat(busyTimeout).isEqualTo(JdbcTransactionStore.DEFAULT_BUSY_TIMEOUT.toMillis());
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("dtm.db"))) {
            assertThat(names(c, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"))
                    .containsExactlyInAnyOrder("trans_global", "trans_branch_op", "kv");
            assertThat(names(c, "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite%'"))
                    .containsExactlyInAnyOrder("owner", "status_next_cron_time");
            assertThat(names(c, "SELECT name FROM pragma_table_info('trans_global')")).containsExactly("id", "gid",
                    "trans_type", "status", "query_prepared", "protocol", "create_time", "update_time",
                    "finish_time", "rollback_time", "options", "custom_data", "next_cron_interval", "next_cron_time",
                    "owner", "ext_data", "result", "rollback_reason");
            assertThat(names(c, "SELECT name FROM pragma_table_info('trans_branch_op')")).containsExactly("id",
                    "gid", "url", "data", "bin_data", "branch_id", "op", "status", "finish_time", "rollback_time",
                    "create_time", "update_time");
        }
    }

    @Test
    void theOptionsColumnHoldsDtmsJson() throws SQLException {
        store.insert(saga(gid("default"), GlobalStatus.SUBMITTED), List.of());
        store.insert(saga(gid("full"), GlobalStatus.SUBMITTED).withOptions(TransOptions.builder().waitResult(true)
                .retryInterval(Duration.ofSeconds(15)).branchHeaders(Map.of("X-A", "1")).build()), List.of());

        assertThat(optionsColumn(gid("default"))).isEqualTo("{\"concurrent\":false}");
        assertThat(optionsColumn(gid("full")))
                .isEqualTo("{\"wait_result\":true,\"retry_interval\":15,\"branch_headers\":{\"X-A\":\"1\"},"
                        + "\"concurrent\":false}");
    }

    @Test
    void subSecondCronIntervalRoundTripsExactly() {
        store.insert(saga(gid(), GlobalStatus.SUBMITTED).withCron(Duration.ofMillis(750), T0), List.of());

        GlobalTransaction stored = store.findGlobal(gid()).orElseThrow();
        assertThat(stored.nextCronInterval()).isEqualTo(Duration.ofMillis(750));
    }

    // ---------------------------------------------------------------- helpers

    private void awaitPendingWrites(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (sqlite().pendingWrites() < count) {
            assertThat(System.nanoTime()).as("%d writes queued in time", count).isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("dtm.db"));
             Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private String optionsColumn(String gid) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("dtm.db"));
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT options FROM trans_global WHERE gid = '" + gid + "'")) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    private static long queryLong(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getLong(1) : -1;
        }
    }

    private static String queryString(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static List<String> names(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
