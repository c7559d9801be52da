package io.dtm4j.store.jdbc;

import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.core.testing.HappySagas;
import io.dtm4j.core.testing.ItEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Durable writes of a happy 2-branch saga on PostgreSQL, counted by PostgreSQL: the {@code xact_commit} of
 * {@code pg_stat_database}. Spec performance.md 5.1: DTM commits 4 times per such saga (about 12 round trips),
 * the minimum is 2 (intent, outcome).
 *
 * <p>Method. {@code xact_commit} counts every committed transaction of a database, reads in autocommit and
 * connection setup included, and a backend publishes its counts lazily (within 10 s of going idle) but always
 * when it exits. So the store gets a database of its own ({@code it_wc_<random>}, dropped afterwards; this class
 * reads the statistics from the test database, so its own queries are not counted), and each measurement is a
 * bracket: read the counter, open a store, wait until its writer connections are open, do the work, close the
 * store, wait until its backends are gone, read again. The store's pools are made fixed (2 writer connections,
 * no idle read connection) so that its life costs the same every time; a bracket without work gives that cost
 * (11 here: about 2 commits per connection plus the schema check), and the saga costs the difference. Hikari
 * validates a connection that has been idle for 500 ms before lending it (one more commit, depending on timing),
 * so that window is widened for these pools. The engine's SPI reads, if any, are subtracted at the measured cost
 * of one {@code findGlobal}. An autovacuum worker visiting the database also commits (autovacuum is switched off
 * for the store's tables, but a worker may still visit), so a measurement counts only when the brackets without
 * work around it agree, and the result only when two such measurements in a row agree.
 */
class PostgresWriteCountIT {

    /** The store's own database, new for each run, so that runs of several engineers never meet. */
    private static final String DATABASE = "it_wc_" + UUID.randomUUID().toString().substring(0, 8);
    private static final String SCHEMA = "write_count";
    private static final String HIKARI_BYPASS = "com.zaxxer.hikari.aliveBypassWindowMs";
    private static final int WRITERS = 2;
    private static final int CONCURRENT = 16;
    private static final int READS = 10;
    private static final int ATTEMPTS = 6;
    private static final Duration SETTLE = Duration.ofSeconds(20);
    private static final Duration POLL = Duration.ofMillis(50);

    private static Connection stats;
    private static String bypassBefore;

    @BeforeAll
    static void createDatabase() throws SQLException {
        stats = DriverManager.getConnection(ItEnvironment.postgresUrl(), ItEnvironment.dbUser(),
                ItEnvironment.dbPassword());
        try (Statement st = stats.createStatement()) {
            st.execute("CREATE DATABASE " + DATABASE);
        }
        bypassBefore = System.getProperty(HIKARI_BYPASS);
        System.setProperty(HIKARI_BYPASS, String.valueOf(Duration.ofHours(1).toMillis()));
        // creates the schema and warms up the JIT, the driver and the server's caches
        bracket(store -> HappySagas.run(store, "PostgresWriteCountWarmup", 1));
        // autovacuum would analyze the tables once enough rows changed, committing in the middle of a measurement
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + ItEnvironment.postgresHost() + ":"
                + ItEnvironment.postgresPort() + "/" + DATABASE, ItEnvironment.dbUser(), ItEnvironment.dbPassword());
             Statement st = c.createStatement()) {
            st.execute("DO $$ DECLARE t record; BEGIN FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = '"
                    + SCHEMA + "' LOOP EXECUTE format('ALTER TABLE " + SCHEMA + ".%I SET (autovacuum_enabled = false)',"
                    + " t.tablename); END LOOP; END $$");
        }
    }

    @AfterAll
    static void restore() throws SQLException {
        if (bypassBefore == null) {
            System.clearProperty(HIKARI_BYPASS);
        } else {
            System.setProperty(HIKARI_BYPASS, bypassBefore);
        }
        if (stats != null) {
            try (Statement st = stats.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
            } finally {
                stats.close();
            }
        }
    }

    @Test
    void happySagaWithWaitResultCommitsTwiceInPostgres() {
        long previous = -1;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            long idle = bracket(store -> null).commits;
            String gid = "happySagaWithWaitResultCommitsTwiceInPostgres-" + attempt;
            Bracket<HappySagas.SpiCalls> saga = bracket(store -> HappySagas.run(store, gid, 1));
            long idleAfter = bracket(store -> null).commits;
            assertThat(saga.result.writes()).as("SPI writes").isEqualTo(2);
            if (idle != idleAfter) {
                previous = -1;
                continue; // someone else committed in the database (autovacuum): measure again
            }
            long reads = readCommits(saga.result.reads());
            long commits = saga.commits - idle - reads;
            System.out.printf("PostgreSQL: happy saga: xact_commit %d - %d (store life) - %d (reads) = %d commits;"
                    + " SPI writes %d, SPI reads %d%n", saga.commits, idle, reads, commits, saga.result.writes(),
                    saga.result.reads());
            if (commits == previous) {
                assertThat(commits).as("xact_commit per happy saga").isEqualTo(2);
                return;
            }
            previous = commits;
        }
        throw new AssertionError("no two quiet measurements in a row agreed in " + ATTEMPTS + " attempts");
    }

    /**
     * Reported, not asserted beyond the SPI count: the store's group commit puts writes that wait together into one
     * transaction, so the count per saga drops below 2 by an amount that depends on timing.
     */
    @Test
    void concurrentSagasShareCommits() {
        long idle = bracket(store -> null).commits;
        Bracket<HappySagas.SpiCalls> sagas = bracket(store -> HappySagas.run(store, "concurrentSagasShareCommits",
                CONCURRENT));
        long commits = sagas.commits - idle - readCommits(sagas.result.reads());
        System.out.printf("PostgreSQL: %d concurrent happy sagas: %d commits (%.2f per saga), SPI writes %d%n",
                CONCURRENT, commits, (double) commits / CONCURRENT, sagas.result.writes());
        assertThat(sagas.result.writes()).isEqualTo(2 * CONCURRENT);
    }

    /**
     * The commits of {@code reads} engine reads: each {@code findGlobal} is expected to be one autocommit SELECT;
     * measured (the least of a few brackets, as a pool that grows on a borrow adds its setup) when needed.
     */
    private static long readCommits(int reads) {
        if (reads == 0) {
            return 0;
        }
        long least = Long.MAX_VALUE;
        for (int attempt = 0; attempt < 3; attempt++) {
            // the first read opens the read connection: both brackets pay for that
            long one = bracket(store -> findGlobal(store, 1)).commits;
            long more = bracket(store -> findGlobal(store, 1 + READS)).commits;
            least = Math.min(least, more - one);
        }
        long perRead = Math.round((double) least / READS);
        System.out.printf("PostgreSQL: %d findGlobal cost %d commits (%d per read)%n", READS, least, perRead);
        return reads * perRead;
    }

    private static Void findGlobal(TransactionStore store, int times) {
        for (int i = 0; i < times; i++) {
            store.findGlobal("PostgresWriteCountWarmup");
        }
        return null;
    }

    private record Bracket<T>(long commits, T result) {
    }

    private static <T> Bracket<T> bracket(Function<TransactionStore, T> work) {
        long before = settledCommits();
        T result;
        try (TransactionStore store = JdbcTransactionStore.builder()
                .postgres(ItEnvironment.postgresHost(), ItEnvironment.postgresPort(), DATABASE, SCHEMA)
                .user(ItEnvironment.dbUser()).password(ItEnvironment.dbPassword())
                .writers(WRITERS).maxIdleConns(0).build()) {
            awaitWriterConnections();
            result = work.apply(store);
        }
        return new Bracket<>(settledCommits() - before, result);
    }

    /** Waits until no backend is connected to the database, so every count has been published; then reads. */
    private static long settledCommits() {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (backends() > 0) {
            pause(deadline, "backends of " + DATABASE + " to exit");
        }
        return query("SELECT xact_commit FROM pg_stat_database WHERE datname = '" + DATABASE + "'");
    }

    /** Waits until the writers' pool has opened all its connections (its size is fixed; no read is open yet). */
    private static void awaitWriterConnections() {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (backends() < WRITERS) {
            pause(deadline, "the writer connections of the store on " + DATABASE);
        }
    }

    private static long backends() {
        return query("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + DATABASE + "'");
    }

    private static long query(String sql) {
        try (Statement st = stats.createStatement()) {
            st.execute("SELECT pg_stat_clear_snapshot()");
            try (ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the statistics of " + DATABASE, e);
        }
    }

    private static void pause(long deadline, String what) {
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException("gave up waiting " + SETTLE + " for " + what);
        }
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
