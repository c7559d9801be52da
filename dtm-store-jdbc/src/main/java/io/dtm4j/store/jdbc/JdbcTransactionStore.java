package io.dtm4j.store.jdbc;

import io.dtm4j.core.Branch;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.ListQuery;
import io.dtm4j.core.StoreUnavailableException;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionPage;
import io.dtm4j.core.TransactionUpdate;
import io.dtm4j.core.spi.CronReset;
import io.dtm4j.core.spi.PoolStats;
import io.dtm4j.core.spi.StatusCounts;
import io.dtm4j.core.spi.TransactionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * A {@link TransactionStore} in SQL: an embedded SQLite file (the default store of dtm4j), PostgreSQL, or
 * MySQL/MariaDB. Build one with {@link #builder()} (a {@link JdbcStoreBuilder}); {@link #sqlite(Path)} opens SQLite
 * with the defaults.
 *
 * <p>Layout: DTM's tables {@code trans_global}, {@code trans_branch_op} and {@code kv} with DTM's column,
 * constraint and index names, so a database DTM created can be used and DTM tools read ours. Created on first
 * open when absent; versioned (SQLite: {@code PRAGMA user_version}; servers: table {@code dtm4j_schema_version});
 * a database written by a newer dtm4j is refused. {@link #schemaSql(SqlDialect)} returns the DDL for a DBA. Gids
 * and branch ids compare case-sensitively on every database (MySQL: their columns are {@code utf8mb4_bin} from
 * schema version 2 on, in tables DTM created too). Times keep milliseconds (SQLite: INTEGER epoch milliseconds;
 * PostgreSQL: {@code timestamp(3) with time zone}; MySQL: {@code datetime(3)} holding <b>UTC</b>), or whole seconds
 * in tables DTM created; an instant is truncated toward the past to that precision. {@code next_cron_interval} is whole
 * seconds on servers (DTM's unit; a fraction rounds up) and milliseconds in SQLite. The {@code options} column
 * holds DTM's options JSON.
 *
 * <p>Writes: every write goes through a few writer threads with group commit: writes waiting together share one
 * database transaction and one commit, each rolled back alone if it fails (see {@code BatchWriter},
 * {@code BatchRun} and {@code docs/decisions/002-sqlite-group-commit.md}). A write returns once its commit is
 * durable. Reads run concurrently on a pool and see every write that returned.
 *
 * <p>Errors: a database that cannot be reached, refuses the login, or fails surfaces as
 * {@link StoreUnavailableException} naming the store ({@link #describe()}) and what to check, never the password;
 * a value too long for its column as {@link InvalidRequestException}. Thread-safe. {@link #close()} finishes the
 * queued writes, then stops the writers and closes every connection; later calls fail with a message saying the
 * store is closed.
 */
public final class JdbcTransactionStore implements TransactionStore {

    /** The SQLite database file inside the data directory. */
    public static final String DATABASE_FILE = "dtm.db";
    /** SQLite: default time to wait for a lock held by another connection: 5 s. */
    public static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(5);
    /** SQLite: default number of read connections: 4. */
    public static final int DEFAULT_READ_CONNECTIONS = 4;
    /** Default largest number of writes committed together: 256. */
    public static final int DEFAULT_MAX_BATCH = 256;
    /** PostgreSQL/MySQL: default most connections open at once, readers and writers together: 32. */
    public static final int DEFAULT_MAX_OPEN_CONNS = 32;
    /** PostgreSQL/MySQL: default read connections kept open while idle: 4. */
    public static final int DEFAULT_MAX_IDLE_CONNS = 4;
    /** PostgreSQL/MySQL: default age after which a connection is replaced: 5 min (DTM's). */
    public static final Duration DEFAULT_CONN_MAX_LIFETIME = Duration.ofMinutes(5);
    /** PostgreSQL/MySQL: default wait for a connection, new or from the pool: 3 s, so an outage fails calls fast. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(3);
    /** PostgreSQL/MySQL: default wait for any answer from the database before the connection is dropped: 30 s. */
    public static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(30);
    /** PostgreSQL/MySQL: default number of writer threads (and write connections): 2. */
    public static final int DEFAULT_WRITERS = 2;

    private static final Logger LOG = LoggerFactory.getLogger(JdbcTransactionStore.class);

    /** Where reads get their connection: a pool. */
    interface ReadConnections extends AutoCloseable {
        /** A connection; closing it gives it back. */
        Connection get() throws SQLException;

        /** Closes the pool. */
        @Override
        void close();
    }

    private final SqlErrors errors;
    private final BatchWriter writer;
    private final ReadConnections readers;
    private final ReadSql reads;
    private final WriteSql writes;
    /** The HikariCP pools' numbers, summed ({@link HikariStats}). */
    private final Supplier<PoolStats> pools;
    private volatile boolean closed;

    JdbcTransactionStore(SqlErrors errors, BatchWriter writer, ReadConnections readers, Rows rows,
                         GidPrefixSql gidPrefix, WriteSql writes, Supplier<PoolStats> pools) {
        this.errors = errors;
        this.writer = writer;
        this.readers = readers;
        this.reads = new ReadSql(rows, gidPrefix);
        this.writes = writes;
        this.pools = pools;
    }

    /** Opens (creating if needed) the SQLite store in {@code directory} with default settings. */
    public static JdbcTransactionStore sqlite(Path directory) {
        return builder().sqlite(directory).build();
    }

    /**
     * Returns a new {@link JdbcStoreBuilder}; choose the database with {@code sqlite}, {@code postgres} or
     * {@code mysql}.
     */
    public static JdbcStoreBuilder builder() {
        return new JdbcStoreBuilder();
    }

    /**
     * Returns the DDL of the newest schema of {@code dialect}, for a DBA who creates the tables ahead (then the
     * store needs no DDL privilege). For PostgreSQL and MySQL it also creates and fills
     * {@code dtm4j_schema_version}; run it in the store's schema or database.
     */
    public static String schemaSql(SqlDialect dialect) {
        Objects.requireNonNull(dialect, "dialect");
        return dialect == SqlDialect.SQLITE ? SqliteSchema.script() : SchemaScripts.fullScript(dialect);
    }

    @Override
    public boolean insert(GlobalTransaction global, List<Branch> branches) {
        List<Branch> rows = WriteSql.checkedRows(global.gid(), branches);
        return write("gid=" + global.gid() + ": insert", c -> writes.insert(c, global, rows));
    }

    @Override
    public Optional<GlobalTransaction> findGlobal(String gid) {
        return read("gid=" + gid + ": find", c -> reads.findGlobal(c, gid));
    }

    @Override
    public List<Branch> findBranches(String gid) {
        return read("gid=" + gid + ": find branches", c -> reads.findBranches(c, gid));
    }

    @Override
    public boolean update(TransactionUpdate update) {
        TransactionUpdate u = WriteSql.withDistinctBranches(update);
        return write("gid=" + u.gid() + ": update", c -> writes.update(c, u));
    }

    @Override
    public boolean appendBranches(String gid, GlobalStatus expected, TransType type, List<Branch> branches) {
        List<Branch> rows = WriteSql.checkedRows(gid, branches);
        return write("gid=" + gid + ": append branches", c -> writes.appendBranches(c, gid, expected, type, rows));
    }

    @Override
    public List<GlobalTransaction> claimDue(Instant now, Duration lease, String owner, int limit) {
        requireNonNegative(limit);
        if (limit == 0) {
            return List.of();
        }
        return write("claim due transactions", c -> writes.claimDue(c, now, lease, owner, limit));
    }

    @Override
    public boolean retryNow(String gid, Instant now) {
        return write("gid=" + gid + ": retry now", c -> writes.retryNow(c, gid, now));
    }

    @Override
    public CronReset resetCronTime(Instant now, Duration after, int limit) {
        requireNonNegative(limit);
        return write("reset cron time", c -> writes.resetCronTime(c, now, after, limit));
    }

    /**
     * {@inheritDoc}
     *
     * <p>A gid prefix is a range scan of the gid index on SQLite, MySQL and MariaDB, and on PostgreSQL when the gid
     * column's collation orders like bytes (C, POSIX, C.UTF-8); under a language collation (en_US.UTF-8, ICU)
     * PostgreSQL reads the table unless a DBA adds {@code CREATE INDEX CONCURRENTLY gid_prefix ON trans_global
     * (gid varchar_pattern_ops)}.
     */
    @Override
    public TransactionPage list(ListQuery query) {
        long before = query.position().isEmpty() ? Long.MAX_VALUE : position(query.position());
        return read("list transactions", c -> reads.list(c, query, before));
    }

    /**
     * Counts every transaction by status in one {@code SELECT status, COUNT(*) ... GROUP BY status}: one consistent
     * snapshot, but a scan of {@code trans_global}, so call it at most every few seconds.
     */
    @Override
    public Optional<StatusCounts> countByStatus() {
        return Optional.of(read("count transactions by status", reads::countByStatus));
    }

    @Override
    public int purgeFinished(Instant finishedBefore, int limit) {
        requireNonNegative(limit);
        return write("purge finished transactions", c -> writes.purgeFinished(c, finishedBefore, limit));
    }

    @Override
    public long deleteAll() {
        return writer.writeLong("delete all transactions", writes::deleteAll);
    }

    @Override
    public void ping() {
        read("ping", c -> {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
                return rs.next();
            }
        });
    }

    /**
     * Returns where the data lives, without secrets: {@code sqlite:<absolute path of dtm.db>},
     * {@code postgres://host:port/database?schema=s} or {@code mysql://host:port/database}.
     */
    @Override
    public String describe() {
        return errors.name();
    }

    /**
     * Returns the HikariCP pools' connections, summed: for PostgreSQL and MySQL the write pool (one connection per
     * writer thread) and the read pool; for SQLite the read pool only, its single write connection being no pool.
     * All zero once closed.
     */
    @Override
    public Optional<PoolStats> poolStats() {
        return Optional.of(pools.get());
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        LOG.info("{}: closing", errors.name());
        readers.close();
        // The writer closes its connections last, so SQLite checkpoints the WAL into dtm.db on the way out.
        writer.close();
    }

    /**
     * Returns how many database transactions the writer threads have committed since the store opened; each holds
     * one or more writes (group commit), and each is one fsync on SQLite ({@code synchronous=FULL}, WAL) and one
     * commit record on a server. With {@link #committedWrites()} it gives the mean batch size, for benchmarks and
     * tests. Cheap (no I/O); thread-safe.
     */
    public long commits() {
        return writer.commits();
    }

    /**
     * Returns how many writes (inserts, updates, claims and other changes, each as the engine asked for it) those
     * commits held, together since the store opened: a write that failed alone in its batch is not counted, a
     * compare-and-set that matched nothing is. Cheap (no I/O); thread-safe.
     */
    public long committedWrites() {
        return writer.writes();
    }

    /** How many writes are queued and not yet taken into a batch. For tests. */
    int pendingWrites() {
        return writer.pending();
    }

    /** How many writer threads there are. For tests. */
    int writers() {
        return writer.writers();
    }

    /**
     * Makes every writer thread wait inside a batch of its own until {@code release} opens; returns once all of
     * them are waiting, with the future of those batches. For tests that need several writes to queue into one
     * batch.
     */
    CompletableFuture<Void> holdWriter(CountDownLatch release) throws InterruptedException {
        return writer.holdAll(release);
    }

    /** Runs {@code work} on a write connection in the next batch and returns its result. For tests. */
    <T> T onWriter(WriteOp.Work<T> work) {
        return write("test work", work);
    }

    private <T> T write(String what, WriteOp.Work<T> work) {
        return writer.write(what, work);
    }

    private <T> T read(String what, WriteOp.Work<T> work) {
        if (closed) {
            throw errors.closed(what);
        }
        try (Connection c = readers.get()) {
            return work.run(c);
        } catch (SQLException e) {
            throw errors.translate(what, e);
        }
    }

    private static long position(String position) {
        try {
            return Long.parseLong(position);
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("position must be a number from a previous page, got '" + position
                    + "'");
        }
    }

    private static void requireNonNegative(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative, got " + limit);
        }
    }
}
