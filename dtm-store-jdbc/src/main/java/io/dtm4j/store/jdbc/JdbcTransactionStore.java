package io.dtm4j.store.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.dtm4j.core.Branch;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.ListQuery;
import io.dtm4j.core.StoreUnavailableException;
import io.dtm4j.core.TransactionPage;
import io.dtm4j.core.TransactionUpdate;
import io.dtm4j.core.spi.CronReset;
import io.dtm4j.core.spi.TransactionStore;

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

/**
 * A {@link TransactionStore} in SQL. Today: an embedded SQLite file, {@code dtm.db} in a data directory,
 * the default store of dtm4j.
 *
 * <p>Durability: WAL journal with {@code synchronous=FULL} (and {@code fullfsync} where the OS has it), so a
 * write that returned survives a process kill and a power loss. All writes go through one writer thread
 * ({@code dtm-sqlite-writer}) with group commit: writes waiting together share one transaction and one fsync,
 * each in its own savepoint (see {@code docs/decisions/002-sqlite-group-commit.md}). Reads run concurrently on
 * a small pool of query-only connections, which WAL lets read while the writer writes.
 *
 * <p>Layout: DTM's tables {@code trans_global}, {@code trans_branch_op} and {@code kv} with DTM's column names.
 * SQLite has no datetime type, so times are INTEGER epoch milliseconds (UTC) and {@code next_cron_interval} is
 * milliseconds; instants are truncated to whole milliseconds. The {@code options} column holds DTM's options
 * JSON. The schema is created on first open and versioned in {@code PRAGMA user_version}; a file written by a
 * newer version is refused.
 *
 * <p>Errors: SQLite failures (disk full, I/O error, cannot open, locked, corrupt) surface as
 * {@link StoreUnavailableException} naming the file and what to check. Thread-safe. {@link #close()} finishes
 * the queued writes, then stops the writer and closes every connection; later calls fail with a message saying
 * the store is closed.
 */
public final class JdbcTransactionStore implements TransactionStore {

    /** The database file inside the data directory. */
    public static final String DATABASE_FILE = "dtm.db";
    /** Default time SQLite waits for a lock held by another connection: 5 s. */
    public static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(5);
    /** Default number of read connections: 4. */
    public static final int DEFAULT_READ_CONNECTIONS = 4;
    /** Default largest number of writes committed together: 256. */
    public static final int DEFAULT_MAX_BATCH = 256;

    private final SqliteErrors errors;
    private final SqliteWriter writer;
    private final HikariDataSource readers;
    private volatile boolean closed;

    private JdbcTransactionStore(SqliteErrors errors, SqliteWriter writer, HikariDataSource readers) {
        this.errors = errors;
        this.writer = writer;
        this.readers = readers;
    }

    /** Opens (creating if needed) the SQLite store in {@code directory} with default settings. */
    public static JdbcTransactionStore sqlite(Path directory) {
        return builder().sqlite(directory).build();
    }

    /** Returns a builder; choose the database with {@link Builder#sqlite(Path)}. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public boolean insert(GlobalTransaction global, List<Branch> branches) {
        List<Branch> rows = List.copyOf(branches);
        return write("gid=" + global.gid() + ": insert", c -> WriteSql.insert(c, global, rows));
    }

    @Override
    public Optional<GlobalTransaction> findGlobal(String gid) {
        return read("gid=" + gid + ": find", c -> ReadSql.findGlobal(c, gid, errors.name()));
    }

    @Override
    public List<Branch> findBranches(String gid) {
        return read("gid=" + gid + ": find branches", c -> ReadSql.findBranches(c, gid));
    }

    @Override
    public boolean update(TransactionUpdate update) {
        return write("gid=" + update.gid() + ": update", c -> WriteSql.update(c, update));
    }

    @Override
    public boolean appendBranches(String gid, GlobalStatus expected, List<Branch> branches) {
        List<Branch> rows = List.copyOf(branches);
        return write("gid=" + gid + ": append branches", c -> WriteSql.appendBranches(c, gid, expected, rows));
    }

    @Override
    public List<GlobalTransaction> claimDue(Instant now, Duration lease, String owner, int limit) {
        requireNonNegative(limit);
        return write("claim due transactions",
                c -> WriteSql.claimDue(c, now, lease, owner, limit, errors.name()));
    }

    @Override
    public boolean retryNow(String gid, Instant now) {
        return write("gid=" + gid + ": retry now", c -> WriteSql.retryNow(c, gid, now));
    }

    @Override
    public CronReset resetCronTime(Instant now, Duration after, int limit) {
        requireNonNegative(limit);
        return write("reset cron time", c -> WriteSql.resetCronTime(c, now, after, limit));
    }

    @Override
    public TransactionPage list(ListQuery query) {
        long before = query.position().isEmpty() ? Long.MAX_VALUE : position(query.position());
        return read("list transactions", c -> ReadSql.list(c, query, before, errors.name()));
    }

    @Override
    public int purgeFinished(Instant finishedBefore, int limit) {
        requireNonNegative(limit);
        return write("purge finished transactions", c -> WriteSql.purgeFinished(c, finishedBefore, limit));
    }

    @Override
    public void ping() {
        read("ping", c -> {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
                return rs.next();
            }
        });
    }

    /** Returns {@code sqlite:<absolute path of dtm.db>}. */
    @Override
    public String describe() {
        return errors.name();
    }

    @Override
    public void close() {
        closed = true;
        readers.close();
        // The writer closes its connection last, so SQLite checkpoints the WAL into dtm.db on the way out.
        writer.close();
    }

    /** How many SQLite transactions the writer has committed; each holds one or more writes. For tests. */
    long commits() {
        return writer.commits();
    }

    /** How many writes are queued and not yet taken into a batch. For tests. */
    int pendingWrites() {
        return writer.pending();
    }

    /**
     * Makes the writer wait inside a batch of its own until {@code release} opens; returns once the writer is
     * waiting, with the future of that batch. For tests that need several writes to queue into one batch.
     */
    CompletableFuture<Void> holdWriter(CountDownLatch release) throws InterruptedException {
        CountDownLatch holding = new CountDownLatch(1);
        CompletableFuture<Void> done = writer.writeAsync("hold", c -> {
            holding.countDown();
            awaitUninterruptibly(release);
            return null;
        });
        holding.await();
        return done;
    }

    /** Runs {@code work} on the write connection in the next batch and returns its result. For tests. */
    <T> T onWriter(SqliteWriter.Work<T> work) {
        return write("test work", work);
    }

    private <T> T write(String what, SqliteWriter.Work<T> work) {
        return writer.write(what, work);
    }

    private <T> T read(String what, SqliteWriter.Work<T> work) {
        if (closed) {
            throw errors.closed(what);
        }
        try (Connection c = readers.getConnection()) {
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

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Builder of {@link JdbcTransactionStore}; not thread-safe. */
    public static final class Builder {
        private Path directory;
        private Duration busyTimeout = DEFAULT_BUSY_TIMEOUT;
        private int readConnections = DEFAULT_READ_CONNECTIONS;
        private int maxBatch = DEFAULT_MAX_BATCH;

        private Builder() {
        }

        /**
         * Uses the SQLite file {@code dtm.db} in {@code directory}, created with its parents when missing.
         * Required (the server's default is {@code ./dtm-data/}).
         */
        public Builder sqlite(Path directory) {
            this.directory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /** How long SQLite waits for a lock held by another connection; default 5 s; 1 ms to 24 h. */
        public Builder busyTimeout(Duration value) {
            Objects.requireNonNull(value, "busyTimeout");
            if (value.toMillis() < 1 || value.compareTo(Duration.ofHours(24)) > 0) {
                throw new IllegalArgumentException("busyTimeout must be 1 ms to 24 h, got " + value);
            }
            this.busyTimeout = value;
            return this;
        }

        /** Size of the read connection pool; default 4; 1 to 64. */
        public Builder readConnections(int value) {
            if (value < 1 || value > 64) {
                throw new IllegalArgumentException("readConnections must be 1 to 64, got " + value);
            }
            this.readConnections = value;
            return this;
        }

        /** Largest number of writes committed in one transaction; default 256; 1 to 10000. */
        public Builder maxBatch(int value) {
            if (value < 1 || value > 10_000) {
                throw new IllegalArgumentException("maxBatch must be 1 to 10000, got " + value);
            }
            this.maxBatch = value;
            return this;
        }

        /**
         * Opens the store: creates the directory and the schema when missing, checks the schema version and
         * starts the writer thread.
         *
         * @throws StoreUnavailableException when the directory or file cannot be used, saying what to check
         */
        public JdbcTransactionStore build() {
            if (directory == null) {
                throw new IllegalStateException("choose a database first: builder().sqlite(directory)");
            }
            Path dir = directory.toAbsolutePath().normalize();
            Path file = dir.resolve(DATABASE_FILE);
            SqliteErrors errors = new SqliteErrors(file);
            SqliteFiles.createDirectory(dir, errors.name());
            Connection writeConnection = SqliteFiles.openWriter(file, errors, busyTimeout);
            HikariDataSource readers;
            try {
                readers = SqliteFiles.openReaders(file, errors, busyTimeout, readConnections);
            } catch (RuntimeException e) {
                SqliteFiles.closeQuietly(writeConnection);
                throw e;
            }
            return new JdbcTransactionStore(errors, new SqliteWriter(writeConnection, errors, maxBatch), readers);
        }
    }
}
