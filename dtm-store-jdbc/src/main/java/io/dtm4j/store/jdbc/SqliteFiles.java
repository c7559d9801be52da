package io.dtm4j.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dtm4j.core.StoreUnavailableException;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Opens the pieces of a SQLite store: the data directory, the write connection (WAL, {@code synchronous=FULL},
 * schema checked or created) and the pool of query-only read connections. Thread-safe (stateless).
 */
final class SqliteFiles {

    private static final int JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
    private static final long MIN_POOL_TIMEOUT_MILLIS = 250;

    private SqliteFiles() {
    }

    /**
     * Creates {@code dir} and its missing parents, then fsyncs the parent of each directory it created, so a
     * power loss cannot drop the directory entry under a database that already acknowledged writes.
     */
    static void createDirectory(Path dir, String storeName) {
        Deque<Path> created = new ArrayDeque<>();
        for (Path p = dir; p != null && !Files.exists(p); p = p.getParent()) {
            created.push(p);
        }
        try {
            Files.createDirectories(dir);
            for (Path p : created) {
                syncDirectory(p.getParent());
            }
        } catch (IOException | SecurityException e) {
            throw new StoreUnavailableException(storeName + ": cannot create the data directory " + dir + " (" + e
                    + "); check that the path is not a file and its parent is writable, or choose another directory",
                    e);
        }
    }

    private static void syncDirectory(Path dir) {
        if (dir == null) {
            return;
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms (Windows) cannot open a directory; their file systems journal metadata instead.
        }
    }

    /** Opens the write connection and makes sure the schema is there and of a known version. */
    static Connection openWriter(Path file, SqliteErrors errors, Duration busyTimeout) {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        // F_FULLFSYNC on macOS, where fsync alone does not flush the drive's cache; ignored elsewhere.
        config.enableFullSync(true);
        // After a checkpoint, shrink a WAL that grew during a burst.
        config.setJournalSizeLimit(JOURNAL_SIZE_LIMIT_BYTES);
        config.setBusyTimeout((int) busyTimeout.toMillis());
        Connection c = null;
        try {
            c = config.createConnection("jdbc:sqlite:" + file);
            requireWal(c, errors);
            SqliteSchema.ensure(c, errors.name());
            return c;
        } catch (SQLException e) {
            closeQuietly(c);
            throw errors.translate("open", e);
        } catch (RuntimeException e) {
            closeQuietly(c);
            throw e;
        }
    }

    /**
     * Opens the readers: a HikariCP pool rather than ad hoc connections, because it bounds how many are open,
     * hands them out thread-safely with a timeout and replaces broken ones, and opening a SQLite connection per
     * read would parse the schema each time. Each connection is {@code query_only}, so no write can bypass the
     * writer thread; WAL lets them read while the writer writes.
     */
    static HikariDataSource openReaders(Path file, SqliteErrors errors, Duration busyTimeout, int size) {
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout((int) busyTimeout.toMillis());
        SQLiteDataSource source = new SQLiteDataSource(config);
        source.setUrl("jdbc:sqlite:" + file);
        HikariConfig hikari = new HikariConfig();
        hikari.setDataSource(source);
        hikari.setPoolName("dtm-sqlite-read");
        hikari.setMaximumPoolSize(size);
        hikari.setMinimumIdle(1);
        hikari.setConnectionTimeout(Math.max(busyTimeout.toMillis(), MIN_POOL_TIMEOUT_MILLIS));
        hikari.setConnectionInitSql("PRAGMA query_only = ON");
        try {
            return new HikariDataSource(hikari);
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() instanceof SQLException ? e.getCause() : e;
            throw new StoreUnavailableException(errors.name() + ": cannot open read connections (" + cause
                    + "); check that the file is readable by this process", e);
        }
    }

    static void closeQuietly(Connection c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (SQLException e) {
            // Opening already failed; that error is the one to report.
        }
    }

    private static void requireWal(Connection c, SqliteErrors errors) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
            String mode = rs.next() ? rs.getString(1) : "?";
            if (!"wal".equalsIgnoreCase(mode)) {
                throw new StoreUnavailableException(errors.name() + ": SQLite could not switch to WAL mode"
                        + " (journal_mode is " + mode + "); put the data directory on a local disk, not a network"
                        + " share");
            }
        }
    }
}
