package io.dtm4j.store.jdbc;

import io.dtm4j.core.StoreUnavailableException;
import org.sqlite.SQLiteConfig;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * An online backup of the SQLite store: a consistent copy of {@code dtm.db} taken with SQLite's
 * {@code VACUUM INTO} while a server keeps writing (WAL lets the copy read one snapshot), synced to disk and
 * checked before it is reported. Restoring is copying the file back while no server runs. Thread-safe (stateless).
 */
public final class SqliteBackup {

    /** What was copied: the file, its size and the transactions it holds. */
    public record Result(Path target, long bytes, long transactions) {
    }

    private static final Duration BUSY_TIMEOUT = Duration.ofSeconds(10);

    private SqliteBackup() {
    }

    /**
     * Copies the store in {@code dataDirectory} to {@code target}, which must not exist yet.
     *
     * @throws IllegalArgumentException  when there is no store in {@code dataDirectory} or {@code target} exists
     * @throws StoreUnavailableException when SQLite fails; the message names the file and what to check
     */
    public static Result copy(Path dataDirectory, Path target) {
        Path file = dataDirectory.resolve(JdbcTransactionStore.DATABASE_FILE).toAbsolutePath();
        Path to = target.toAbsolutePath();
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no SQLite store at " + file + "; check Store.DataDir and the "
                    + "working directory");
        }
        if (Files.exists(to)) {
            throw new IllegalArgumentException(to + " already exists; give a new file name (a backup never "
                    + "overwrites)");
        }
        SqliteErrors errors = new SqliteErrors(file);
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout((int) BUSY_TIMEOUT.toMillis());
        try {
            if (to.getParent() != null) {
                Files.createDirectories(to.getParent());
            }
            try (Connection c = config.createConnection("jdbc:sqlite:" + file);
                 PreparedStatement ps = c.prepareStatement("VACUUM INTO ?")) {
                ps.setString(1, to.toString());
                ps.execute();
            }
            try (FileChannel ch = FileChannel.open(to, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            return new Result(to, Files.size(to), verify(to));
        } catch (SQLException e) {
            throw errors.translate("backup to " + to, e);
        } catch (IOException e) {
            throw new StoreUnavailableException("backup to " + to + " failed: " + e + "; check that the directory is"
                    + " writable and has room", e);
        }
    }

    /** Opens the copy read-only, runs SQLite's quick check and counts its transactions. */
    private static long verify(Path copy) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        try (Connection c = config.createConnection("jdbc:sqlite:" + copy); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("PRAGMA quick_check")) {
                String verdict = rs.next() ? rs.getString(1) : "no answer";
                if (!"ok".equals(verdict)) {
                    throw new SQLException("the copy failed SQLite's quick_check: " + verdict);
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM trans_global")) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
