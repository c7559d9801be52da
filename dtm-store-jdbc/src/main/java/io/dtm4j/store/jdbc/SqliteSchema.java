package io.dtm4j.store.jdbc;

import io.dtm4j.core.StoreIncompatibleException;
import io.dtm4j.core.StoreUnavailableException;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * DTM's tables adapted to SQLite, and their version. The version lives in {@code PRAGMA user_version} (a field
 * of the file header, changed in the same transaction as the DDL, so a crash never leaves tables without a
 * version). Version 0 with none of our tables means a new file: the schema is created. A version newer than
 * {@link #VERSION} is refused: an older dtm4j must not write a layout it does not know.
 *
 * <p>Layout: DTM's table, column, constraint and index names (spec server-protocol.md 5.2). SQLite has no
 * datetime type, so every time column is an INTEGER of epoch milliseconds (UTC), and {@code next_cron_interval}
 * is an INTEGER of milliseconds too (DTM: seconds), so that sub-second intervals configured in tests survive.
 * {@code id} is {@code AUTOINCREMENT}: ids are never reused after a purge, so paging by id stays correct.
 */
final class SqliteSchema {

    /** The layout this code reads and writes. */
    static final int VERSION = 1;

    private static final List<String> TABLES = List.of("trans_global", "trans_branch_op", "kv");

    private static final List<String> DDL = List.of("""
            CREATE TABLE trans_global (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              gid TEXT NOT NULL,
              trans_type TEXT NOT NULL,
              status TEXT NOT NULL,
              query_prepared TEXT NOT NULL,
              protocol TEXT NOT NULL,
              create_time INTEGER,
              update_time INTEGER,
              finish_time INTEGER,
              rollback_time INTEGER,
              options TEXT DEFAULT '',
              custom_data TEXT DEFAULT '',
              next_cron_interval INTEGER,
              next_cron_time INTEGER,
              owner TEXT NOT NULL DEFAULT '',
              ext_data TEXT,
              result TEXT DEFAULT '',
              rollback_reason TEXT DEFAULT '',
              CONSTRAINT gid UNIQUE (gid)
            )""",
            "CREATE INDEX owner ON trans_global (owner)",
            "CREATE INDEX status_next_cron_time ON trans_global (status, next_cron_time)",
            """
            CREATE TABLE trans_branch_op (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              gid TEXT NOT NULL,
              url TEXT NOT NULL,
              data TEXT,
              bin_data BLOB,
              branch_id TEXT NOT NULL,
              op TEXT NOT NULL,
              status TEXT NOT NULL,
              finish_time INTEGER,
              rollback_time INTEGER,
              create_time INTEGER,
              update_time INTEGER,
              CONSTRAINT gid_branch_uniq UNIQUE (gid, branch_id, op)
            )""",
            """
            CREATE TABLE kv (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              cat TEXT NOT NULL,
              k TEXT NOT NULL,
              v TEXT,
              version INTEGER DEFAULT 1,
              create_time INTEGER,
              update_time INTEGER,
              CONSTRAINT uniq_k UNIQUE (cat, k)
            )""",
            "PRAGMA user_version = " + VERSION);

    private SqliteSchema() {
    }

    /**
     * Creates the schema in a new file, or checks the version of an existing one.
     *
     * @param name the store's name for messages, {@code sqlite:<path>}
     * @throws StoreUnavailableException when the file's version is newer than this code, or when it holds
     *                                   tables of ours without a version
     */
    static void ensure(Connection c, String name) throws SQLException {
        int version = userVersion(c);
        if (version == VERSION) {
            return;
        }
        if (version > VERSION) {
            throw new StoreIncompatibleException(name + ": the database has schema version " + version
                    + " but this dtm4j knows versions up to " + VERSION + ", so a newer dtm4j wrote it;"
                    + " upgrade dtm4j, or point it at another data directory");
        }
        try (Statement st = c.createStatement()) {
            st.execute("BEGIN IMMEDIATE");
            try {
                if (userVersion(c) == 0) {
                    requireNoTablesOfOurs(c, name);
                    for (String sql : DDL) {
                        st.execute(sql);
                    }
                }
                st.execute("COMMIT");
            } catch (SQLException | RuntimeException e) {
                st.execute("ROLLBACK");
                throw e;
            }
        }
    }

    /** The DDL of a new file, as one script. */
    static String script() {
        return "-- dtm4j SQLite schema, version " + VERSION + "\n" + String.join(";\n", DDL) + ";\n";
    }

    /** The version recorded in the file; 0 for a new file. */
    static int userVersion(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA user_version")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** Reads the schema version and whether DTM's tables exist, changing nothing. */
    static SchemaStatus inspect(Connection c, String name) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'trans_global'")) {
            rs.next();
            return new SchemaStatus(name, userVersion(c), VERSION, rs.getInt(1) > 0);
        }
    }

    private static void requireNoTablesOfOurs(Connection c, String name) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('trans_global', 'trans_branch_op',"
                        + " 'kv')")) {
            if (rs.next()) {
                throw new StoreIncompatibleException(name + ": the database has a table " + rs.getString(1)
                        + " but no dtm4j schema version (PRAGMA user_version = 0), so it was not created by dtm4j;"
                        + " point dtm at an empty data directory (expected tables: " + String.join(", ", TABLES)
                        + ")");
            }
        }
    }
}
