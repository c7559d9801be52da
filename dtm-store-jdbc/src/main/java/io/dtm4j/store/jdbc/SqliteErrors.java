package io.dtm4j.store.jdbc;

import io.dtm4j.core.StoreUnavailableException;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/**
 * Turns SQLite failures into {@link StoreUnavailableException}s that name the database file and say what an
 * operator should check. Callers of the store never see a raw {@link SQLException}. Thread-safe (immutable).
 */
final class SqliteErrors implements SqlErrors {

    // SQLite primary result codes (the low byte of an extended code); see https://sqlite.org/rescode.html
    private static final int BUSY = 5;
    private static final int LOCKED = 6;
    private static final int NOMEM = 7;
    private static final int READONLY = 8;
    private static final int IOERR = 10;
    private static final int CORRUPT = 11;
    private static final int FULL = 13;
    private static final int CANTOPEN = 14;
    private static final int NOTADB = 26;
    private static final int LOW_BYTE = 0xff;

    private final Path file;
    private final String name;

    SqliteErrors(Path file) {
        this.file = file;
        this.name = "sqlite:" + file;
    }

    /** The store's name for messages and {@code describe()}: {@code sqlite:<absolute path>}. */
    @Override
    public String name() {
        return name;
    }

    /**
     * Translates a failure of {@code what} (e.g. {@code "gid=abc: insert"}); the message names the file, the
     * SQLite result code and what to check.
     */
    @Override
    public StoreUnavailableException translate(String what, SQLException e) {
        return new StoreUnavailableException(what + " failed: " + name + ": " + advice(e), e);
    }

    private String advice(SQLException e) {
        if (e instanceof SQLTransientConnectionException) {
            return "no read connection became free in time (" + e.getMessage()
                    + "); raise readConnections or look for slow readers";
        }
        if (!(e instanceof SQLiteException se)) {
            return String.valueOf(e.getMessage());
        }
        SQLiteErrorCode code = se.getResultCode();
        String tag = " (" + code.name() + ")";
        return switch (code.code & LOW_BYTE) {
            case FULL -> "the disk holding " + file + " is full" + tag
                    + "; free space on that file system, then retry";
            case CANTOPEN -> "cannot open " + file + tag
                    + "; check that the directory exists and is readable and writable by this process";
            case IOERR -> "disk I/O error on " + file + tag
                    + "; check the disk and the file system (kernel log, dmesg), and that it is not a network share";
            case READONLY -> file + " is read-only" + tag
                    + "; check the permissions of the file, its -wal and -shm files and its directory";
            case BUSY, LOCKED -> file + " stayed locked by another connection longer than busy_timeout" + tag
                    + "; is a second dtm process using the same data directory?";
            case CORRUPT, NOTADB -> file + " is not a valid SQLite database or is damaged" + tag
                    + "; restore it from a backup, or point dtm at another directory";
            case NOMEM -> "SQLite ran out of memory" + tag + "; give the JVM process more memory";
            default -> "SQLite error" + tag + ": " + se.getMessage();
        };
    }
}
