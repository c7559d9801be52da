package io.dtm4j.store.jdbc;

import io.dtm4j.core.StoreIncompatibleException;
import io.dtm4j.core.StoreUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Creates and upgrades the tables of a PostgreSQL or MySQL store, and checks what it finds. The versions applied
 * are rows of {@code dtm4j_schema_version} (version, description, applied_time). On open, under a lock that
 * serialises concurrent starts (a transaction-scoped advisory lock on PostgreSQL, where DDL is transactional;
 * {@code GET_LOCK} on MySQL), the store:
 * <ul>
 *   <li>refuses a database whose newest version is newer than this code knows;</li>
 *   <li>applies the missing versions; tables DTM created are kept ("adopted": version 1 is recorded, as its
 *       statements are {@code IF NOT EXISTS}), then the later versions change them as they change ours;</li>
 *   <li>checks that DTM's columns are there, and reads the precision of the time columns: milliseconds in
 *       tables dtm4j created, whole seconds in tables DTM created.</li>
 * </ul>
 * A database already at the newest version runs no DDL, so the store's user needs no DDL privilege once a DBA
 * ran {@link SchemaScripts#fullScript}. A migration may rebuild indexes of large tables (MySQL: copy them), so its
 * statements wait for their answer as long as they run, not the socket timeout; on MySQL each waits at most
 * {@value #LOCK_WAIT_SECONDS} s for the table's metadata lock, so that a long transaction or a running dump fails
 * the start with a message instead of stalling every query on the table behind the waiting {@code ALTER}.
 * Thread-safe (stateless).
 */
final class ServerSchema {

    private static final Logger LOG = LoggerFactory.getLogger(ServerSchema.class);
    /** Shorter than the smallest socket timeout (1 s would be too short for a migration; 20 s is the default's). */
    private static final int LOCK_WAIT_SECONDS = 20;
    private static final String PG_LOCK_TIMEOUT = "55P03";
    private static final int MYSQL_LOCK_WAIT_TIMEOUT = 1205;
    private static final Set<String> TIME_COLUMNS =
            Set.of("create_time", "update_time", "finish_time", "rollback_time", "next_cron_time");

    private ServerSchema() {
    }

    /**
     * Brings the schema of {@code c} (autocommit on; its current schema or database is the store's) to the newest
     * version and returns the precision of its time columns.
     *
     * @throws StoreUnavailableException when the database is newer than this code or lacks DTM's columns
     */
    static ChronoUnit ensure(Connection c, SqlDialect dialect, String name) throws SQLException {
        String lockName = "dtm4j-schema:" + currentSchema(c, dialect);
        if (dialect == SqlDialect.POSTGRES) {
            c.setAutoCommit(false);
            try {
                try (Statement st = c.createStatement()) {
                    st.execute("SET LOCAL lock_timeout = '" + LOCK_WAIT_SECONDS + "s'");
                }
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
                    ps.setString(1, lockName);
                    ps.execute();
                } catch (SQLException e) {
                    if (PG_LOCK_TIMEOUT.equals(e.getSQLState())) {
                        throw lockHeld(name, lockName);
                    }
                    throw e;
                }
                ChronoUnit precision = migrate(c, dialect, name);
                c.commit();
                return precision;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
        String key = lockName.length() > 64 ? lockName.substring(0, 64) : lockName;
        if (queryInt(c, "SELECT GET_LOCK(?, " + LOCK_WAIT_SECONDS + ")", key) != 1) {
            throw lockHeld(name, key);
        }
        try {
            return migrate(c, dialect, name);
        } finally {
            queryInt(c, "SELECT RELEASE_LOCK(?)", key);
        }
    }

    private static StoreUnavailableException lockHeld(String name, String lock) {
        return new StoreUnavailableException(name + ": another process held the schema lock '" + lock + "' for "
                + LOCK_WAIT_SECONDS + " s; is a dtm4j upgrade stuck? retry");
    }

    private static ChronoUnit migrate(Connection c, SqlDialect dialect, String name) throws SQLException {
        Map<String, Map<String, Integer>> before = columns(c, dialect);
        boolean versioned = before.containsKey(SchemaScripts.VERSION_TABLE);
        int current = versioned ? queryInt(c, "SELECT COALESCE(MAX(version), 0) FROM "
                + SchemaScripts.VERSION_TABLE) : 0;
        if (current > SchemaScripts.LATEST) {
            throw new StoreIncompatibleException(name + ": the database has schema version " + current
                    + " but this dtm4j knows versions up to " + SchemaScripts.LATEST
                    + ", so a newer dtm4j wrote it; upgrade dtm4j, or point it at another database");
        }
        if (current < SchemaScripts.LATEST) {
            boolean adopting = current == 0 && before.containsKey("trans_global");
            LOG.info("{}: upgrading the schema from version {} to {}; on large tables this may take minutes", name,
                    current, SchemaScripts.LATEST);
            int answerTimeout = c.getNetworkTimeout();
            c.setNetworkTimeout(Runnable::run, 0);
            try {
                apply(c, dialect, name, current, adopting);
            } finally {
                c.setNetworkTimeout(Runnable::run, answerTimeout);
            }
            LOG.info("{}: schema upgraded from version {} to {}{}", name, current, SchemaScripts.LATEST,
                    adopting ? ", adopting the tables DTM created" : "");
        }
        return check(columns(c, dialect), name);
    }

    /** Runs and records each version after {@code current}; a version whose DDL fails is not recorded. */
    private static void apply(Connection c, SqlDialect dialect, String name, int current, boolean adopting)
            throws SQLException {
        try (Statement st = c.createStatement()) {
            if (dialect == SqlDialect.MYSQL) {
                st.execute("SET SESSION lock_wait_timeout = " + LOCK_WAIT_SECONDS);
            }
            st.execute(SchemaScripts.versionTable(dialect));
            for (SchemaScripts.Migration m : SchemaScripts.MIGRATIONS) {
                if (m.version() <= current) {
                    continue;
                }
                for (String sql : SchemaScripts.statements(dialect, m)) {
                    try {
                        st.execute(sql);
                    } catch (SQLException e) {
                        if (dialect == SqlDialect.MYSQL && e.getErrorCode() == MYSQL_LOCK_WAIT_TIMEOUT) {
                            throw new StoreUnavailableException(name + ": schema version " + m.version() + " waited "
                                    + LOCK_WAIT_SECONDS + " s for a table that another session holds (an open"
                                    + " transaction, a running mysqldump; see SHOW PROCESSLIST); end it and retry", e);
                        }
                        throw e;
                    }
                }
                record(c, m.version(), m.description() + (adopting && m.version() == 1
                        ? "; existing tables (created by DTM) adopted as they are" : ""));
            }
        }
    }

    /** Reads the schema version and whether DTM's tables exist, changing nothing. */
    static SchemaStatus inspect(Connection c, SqlDialect dialect, String name) throws SQLException {
        Map<String, Map<String, Integer>> tables = columns(c, dialect);
        int version = tables.containsKey(SchemaScripts.VERSION_TABLE) ? queryInt(c, "SELECT COALESCE(MAX(version), 0)"
                + " FROM " + SchemaScripts.VERSION_TABLE) : 0;
        return new SchemaStatus(name, version, SchemaScripts.LATEST, tables.containsKey("trans_global"));
    }

    /** Checks DTM's columns are there; returns the precision of the time columns. */
    private static ChronoUnit check(Map<String, Map<String, Integer>> tables, String name) {
        List<String> missing = new ArrayList<>();
        int precision = Integer.MAX_VALUE;
        for (String table : List.of("trans_global", "trans_branch_op")) {
            Map<String, Integer> columns = tables.getOrDefault(table, Map.of());
            String wanted = table.equals("trans_global") ? Rows.GLOBAL_COLUMNS : Rows.BRANCH_COLUMNS;
            for (String column : wanted.split(", ")) {
                if (!columns.containsKey(column)) {
                    missing.add(table + "." + column);
                } else if (TIME_COLUMNS.contains(column) && columns.get(column) != null) {
                    precision = Math.min(precision, columns.get(column));
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new StoreIncompatibleException(name + ": the tables lack the columns " + missing
                    + ", so an older DTM created them; add the columns (see JdbcTransactionStore.schemaSql) or point"
                    + " the store at an empty schema");
        }
        if (precision < 3) {
            LOG.info("{}: the time columns keep whole seconds (tables created by DTM), so times are stored"
                    + " truncated to seconds; alter them to milliseconds to keep more", name);
            return ChronoUnit.SECONDS;
        }
        return ChronoUnit.MILLIS;
    }

    /** Table name -> column name -> datetime precision (null for other columns), in the current schema. */
    private static Map<String, Map<String, Integer>> columns(Connection c, SqlDialect dialect) throws SQLException {
        Map<String, Map<String, Integer>> tables = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT table_name, column_name, datetime_precision"
                + " FROM information_schema.columns WHERE table_schema = " + schemaFunction(dialect)
                + " AND table_name IN ('trans_global', 'trans_branch_op', 'kv', '" + SchemaScripts.VERSION_TABLE
                + "')"); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                int p = rs.getInt(3);
                tables.computeIfAbsent(rs.getString(1).toLowerCase(java.util.Locale.ROOT), t -> new HashMap<>())
                        .put(rs.getString(2).toLowerCase(java.util.Locale.ROOT), rs.wasNull() ? null : p);
            }
        }
        return tables;
    }

    private static void record(Connection c, int version, String description) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + SchemaScripts.VERSION_TABLE
                + " (version, description) VALUES (?, ?)")) {
            ps.setInt(1, version);
            ps.setString(2, description);
            ps.executeUpdate();
        }
    }

    private static String currentSchema(Connection c, SqlDialect dialect) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT "
                + schemaFunction(dialect))) {
            String schema = rs.next() ? rs.getString(1) : null;
            if (schema == null) {
                throw new SQLException("the connection has no current schema or database");
            }
            return schema;
        }
    }

    private static String schemaFunction(SqlDialect dialect) {
        return dialect == SqlDialect.POSTGRES ? "current_schema()" : "DATABASE()";
    }

    private static int queryInt(Connection c, String sql, String... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getInt(1) : 0;
            }
        }
    }
}
