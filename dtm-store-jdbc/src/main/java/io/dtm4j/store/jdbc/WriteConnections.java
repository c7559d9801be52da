package io.dtm4j.store.jdbc;

import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Where the {@link BatchWriter}'s threads get their connection for one batch, and how a batch transaction begins
 * and ends on it. Implementations are thread-safe; each connection handed out is used by one thread at a time.
 */
interface WriteConnections extends AutoCloseable {

    /** A connection for one batch; give it back with {@link #release}. */
    Connection acquire() throws SQLException;

    /** Starts the batch transaction. */
    void begin(Connection c) throws SQLException;

    /** Commits the batch transaction: durable once this returns. */
    void commit(Connection c) throws SQLException;

    /** Rolls the batch transaction back. */
    void rollback(Connection c) throws SQLException;

    /** Gives the connection back after a batch. */
    void release(Connection c);

    /**
     * Lets the statements on {@code c} wait for an answer as long as any read may, for the rest of the batch: for a
     * write that may take long (deleting every row). Nothing to do where writes have no shorter bound.
     */
    default void allowLongAnswers(Connection c) throws SQLException {
        // SQLite: no socket, no bound
    }

    /** Closes every connection; called once, after the writer threads stopped. */
    @Override
    void close();

    /**
     * SQLite's single write connection, kept for the store's life. JDBC autocommit stays on and transactions are
     * SQL statements: {@code BEGIN IMMEDIATE} takes the file's write lock at the start, so a batch never fails
     * half-way for want of it.
     */
    static WriteConnections sqlite(Connection connection) {
        return new WriteConnections() {
            @Override
            public Connection acquire() {
                return connection;
            }

            @Override
            public void begin(Connection c) throws SQLException {
                execute(c, "BEGIN IMMEDIATE");
            }

            @Override
            public void commit(Connection c) throws SQLException {
                execute(c, "COMMIT");
            }

            @Override
            public void rollback(Connection c) throws SQLException {
                execute(c, "ROLLBACK");
            }

            @Override
            public void release(Connection c) {
                // Kept open for the next batch.
            }

            @Override
            public void close() {
                try {
                    connection.close();
                } catch (SQLException e) {
                    // Every write already committed or failed; the file stays consistent.
                    LoggerFactory.getLogger(WriteConnections.class).warn("closing the SQLite write connection"
                            + " failed", e);
                }
            }
        };
    }

    /**
     * Connections from {@code source} with autocommit off (a HikariCP pool with one connection per writer thread).
     * HikariCP checks a connection before handing it out and replaces broken ones, so a writer recovers by itself
     * once the database is back; the driver starts the transaction with the first statement, so {@link #begin}
     * costs no round trip.
     */
    static WriteConnections pooled(ServerConnections.Source source) {
        return new WriteConnections() {
            @Override
            public Connection acquire() throws SQLException {
                return source.get();
            }

            @Override
            public void begin(Connection c) {
                // autocommit is off: the first statement begins the transaction.
            }

            @Override
            public void commit(Connection c) throws SQLException {
                c.commit();
            }

            @Override
            public void rollback(Connection c) throws SQLException {
                c.rollback();
            }

            @Override
            public void allowLongAnswers(Connection c) throws SQLException {
                source.allowLongAnswers(c);
            }

            @Override
            public void release(Connection c) {
                try {
                    c.close();
                } catch (SQLException e) {
                    // HikariCP evicts a connection it cannot reset; the next batch gets another one.
                }
            }

            @Override
            public void close() {
                source.close();
            }
        };
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
