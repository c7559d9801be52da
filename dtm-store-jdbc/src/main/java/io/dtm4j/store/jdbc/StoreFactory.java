package io.dtm4j.store.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.dtm4j.core.StoreUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * Assembles a {@link JdbcTransactionStore} from validated settings: the connections, the schema, the rows mapping,
 * the dialect's writes and the writer threads. Thread-safe (stateless).
 */
final class StoreFactory {

    private static final Logger LOG = LoggerFactory.getLogger(StoreFactory.class);

    private StoreFactory() {
    }

    /** The SQLite store in {@code directory}: one write connection with one writer thread, a small read pool. */
    static JdbcTransactionStore sqlite(Path directory, Duration busyTimeout, int readConnections, int maxBatch) {
        Path dir = directory.toAbsolutePath().normalize();
        Path file = dir.resolve(JdbcTransactionStore.DATABASE_FILE);
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
        Rows rows = new Rows(Rows.Times.EPOCH_MILLIS, ChronoUnit.MILLIS, errors.name());
        BatchWriter writer = new BatchWriter("dtm-sqlite-writer", 1, WriteConnections.sqlite(writeConnection), errors,
                maxBatch);
        return new JdbcTransactionStore(errors, writer, new JdbcTransactionStore.ReadConnections() {
            @Override
            public Connection get() throws SQLException {
                return readers.getConnection();
            }

            @Override
            public void close() {
                readers.close();
            }
        }, rows, GidPrefixSql.RANGE, new SqliteWriteSql(rows), () -> HikariStats.of(readers));
    }

    /**
     * A PostgreSQL or MySQL store: prepares the schema on one connection, then opens the write pool (one connection
     * per writer thread) and the read pool.
     */
    static JdbcTransactionStore server(ServerConnections.StoreSettings s) {
        String name = ServerConnections.describe(s);
        ServerErrors errors = new ServerErrors(s.dialect(), ServerConnections.address(s), s.database(), s.user(),
                name, s.connectTimeout());
        ServerConnections connections = new ServerConnections(s);
        ChronoUnit precision;
        GidPrefixSql gidPrefix;
        try (Connection c = connections.openForSchema()) {
            precision = ServerSchema.ensure(c, s.dialect(), name);
            gidPrefix = GidPrefixSql.choose(c, s.dialect());
        } catch (SQLException e) {
            RuntimeException translated = errors.translate("open", e);
            throw translated instanceof StoreUnavailableException u ? u
                    : new StoreUnavailableException(translated.getMessage(), e);
        }
        ServerConnections.Source writeSource = connections.writeSource();
        ServerConnections.Source readSource;
        try {
            readSource = connections.readSource();
        } catch (RuntimeException e) {
            writeSource.close();
            throw e;
        }
        Rows.Times times = s.dialect() == SqlDialect.POSTGRES ? Rows.Times.TIMESTAMPTZ : Rows.Times.DATETIME_UTC;
        Rows rows = new Rows(times, precision, name);
        WriteSql writes = s.dialect() == SqlDialect.POSTGRES ? new PostgresWriteSql(rows) : new MysqlWriteSql(rows);
        BatchWriter writer = new BatchWriter("dtm-" + s.dialect().scheme() + "-writer", s.writers(),
                WriteConnections.pooled(writeSource), errors, s.maxBatch());
        LOG.info("{}: opened as user {} with {} writers and up to {} connections; times kept to {}", name, s.user(),
                s.writers(), s.maxOpenConns(), precision == ChronoUnit.MILLIS ? "milliseconds" : "seconds");
        if (gidPrefix == GidPrefixSql.LIKE) {
            LOG.info("{}: the gid column's collation does not sort like bytes, so a search by gid prefix reads the"
                    + " whole table; CREATE INDEX CONCURRENTLY gid_prefix ON trans_global (gid varchar_pattern_ops)"
                    + " lets it use an index", name);
        }
        return new JdbcTransactionStore(errors, writer, readSource, rows, gidPrefix, writes,
                () -> writeSource.stats().plus(readSource.stats()));
    }

    /** What the SQLite file in {@code directory} holds, read-only; a missing file holds nothing. */
    static SchemaStatus inspectSqlite(Path directory) {
        Path file = directory.toAbsolutePath().normalize().resolve(JdbcTransactionStore.DATABASE_FILE);
        SqliteErrors errors = new SqliteErrors(file);
        if (!Files.exists(file)) {
            return new SchemaStatus(errors.name(), 0, SqliteSchema.VERSION, false);
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        try (Connection c = config.createConnection("jdbc:sqlite:" + file)) {
            return SqliteSchema.inspect(c, errors.name());
        } catch (SQLException e) {
            throw errors.translate("inspect schema", e);
        }
    }

    /** What the PostgreSQL schema or MySQL database holds, read-only; a missing one holds nothing. */
    static SchemaStatus inspectServer(ServerConnections.StoreSettings s) {
        String name = ServerConnections.describe(s);
        ServerErrors errors = new ServerErrors(s.dialect(), ServerConnections.address(s), s.database(), s.user(),
                name, s.connectTimeout());
        try {
            Optional<Connection> opened = new ServerConnections(s).openExisting();
            if (opened.isEmpty()) {
                return new SchemaStatus(name, 0, SchemaScripts.LATEST, false);
            }
            try (Connection c = opened.get()) {
                return ServerSchema.inspect(c, s.dialect(), name);
            }
        } catch (SQLException e) {
            RuntimeException translated = errors.translate("inspect schema", e);
            throw translated instanceof StoreUnavailableException u ? u
                    : new StoreUnavailableException(translated.getMessage(), e);
        }
    }
}
