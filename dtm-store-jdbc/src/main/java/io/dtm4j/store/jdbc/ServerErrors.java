package io.dtm4j.store.jdbc;

import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.StoreUnavailableException;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Optional;

/**
 * Translates PostgreSQL and MySQL/MariaDB failures by SQLSTATE (and MySQL error code where the state is generic)
 * into messages that name the store and say what to check, e.g. "cannot reach PostgreSQL at 127.0.0.1:5440
 * (Connection refused); is PostgreSQL running at 127.0.0.1:5440?". Messages carry the user name but never the
 * password. Data that does not fit its column is the caller's problem ({@link InvalidRequestException}); every
 * other failure is {@link StoreUnavailableException}. Thread-safe (immutable).
 */
final class ServerErrors implements SqlErrors {

    private static final int MYSQL_DEADLOCK = 1213;
    private static final int MYSQL_LOCK_WAIT_TIMEOUT = 1205;
    private static final int MYSQL_ACCESS_DENIED = 1045;
    private static final int MYSQL_UNKNOWN_DATABASE = 1049;
    private static final int MYSQL_TOO_MANY_CONNECTIONS = 1040;
    private static final int MYSQL_READ_ONLY = 1290;
    private static final int MYSQL_TABLE_ACCESS_DENIED = 1142;
    private static final int MYSQL_DATABASE_ACCESS_DENIED = 1044;

    private final SqlDialect dialect;
    private final String address;
    private final String database;
    private final String user;
    private final String name;
    private final Duration connectTimeout;

    ServerErrors(SqlDialect dialect, String address, String database, String user, String name,
                 Duration connectTimeout) {
        this.dialect = dialect;
        this.address = address;
        this.database = database;
        this.user = user;
        this.name = name;
        this.connectTimeout = connectTimeout;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public RuntimeException translate(String what, SQLException e) {
        String state = stateOf(e);
        if (state.startsWith("22")) {
            return new InvalidRequestException(what + " failed: a value does not fit its column in " + name + " ("
                    + e.getMessage() + "); shorten it");
        }
        return new StoreUnavailableException(what + " failed: " + name + ": " + advice(e, state), e);
    }

    @Override
    public boolean isRetryable(SQLException e) {
        String state = stateOf(e);
        return state.equals("40001") || state.equals("40P01") || e.getErrorCode() == MYSQL_DEADLOCK
                || e.getErrorCode() == MYSQL_LOCK_WAIT_TIMEOUT;
    }

    @Override
    public boolean isUnreachable(SQLException e) {
        String state = stateOf(e);
        return state.startsWith("08") || state.startsWith("57P") || networkCause(e).isPresent()
                || e instanceof SQLTransientConnectionException && e.getCause() != null;
    }

    private String advice(SQLException e, String state) {
        String product = dialect.productName();
        if (state.startsWith("28") || e.getErrorCode() == MYSQL_ACCESS_DENIED) {
            return product + " at " + address + " refused user '" + user + "' (" + e.getMessage()
                    + "); check the user and password";
        }
        if (state.equals("3D000") || e.getErrorCode() == MYSQL_UNKNOWN_DATABASE) {
            return "the database '" + database + "' does not exist at " + address + "; create it (CREATE DATABASE "
                    + database + ") or fix the name";
        }
        if (state.equals("53300") || e.getErrorCode() == MYSQL_TOO_MANY_CONNECTIONS) {
            return product + " at " + address + " has no connection slot left (" + e.getMessage()
                    + "); lower maxOpenConns or raise the server's max_connections";
        }
        if (state.equals("25006") || e.getErrorCode() == MYSQL_READ_ONLY) {
            return product + " at " + address + " is read-only (" + e.getMessage()
                    + "); is it a replica? point the store at the primary";
        }
        if (state.equals("42501") || e.getErrorCode() == MYSQL_TABLE_ACCESS_DENIED
                || e.getErrorCode() == MYSQL_DATABASE_ACCESS_DENIED) {
            return "user '" + user + "' lacks a privilege (" + e.getMessage() + "); grant it, or let a DBA create"
                    + " the schema with JdbcTransactionStore.schemaSql";
        }
        if (isRetryable(e)) {
            return product + " rolled the write back after a conflict with another transaction (" + e.getMessage()
                    + "); retry";
        }
        if (e instanceof SQLTransientConnectionException && !isUnreachable(e)) {
            return "no connection became free within " + connectTimeout.toMillis() + " ms (" + e.getMessage()
                    + "); raise maxOpenConns or look for slow statements";
        }
        if (isUnreachable(e)) {
            return "cannot reach " + product + " at " + address + " (" + rootMessage(e) + "); is " + product
                    + " running at " + address + "? check the host, port and firewall";
        }
        return product + " error " + state + ": " + e.getMessage();
    }

    /** The SQLSTATE of {@code e}, or of the first SQLException behind it (HikariCP wraps the driver's). */
    private static String stateOf(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException se && se.getSQLState() != null) {
                return se.getSQLState();
            }
        }
        return "";
    }

    private static Optional<Throwable> networkCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof SocketTimeoutException
                    || t instanceof UnknownHostException || t instanceof NoRouteToHostException
                    || t instanceof java.io.EOFException || t instanceof java.net.SocketException) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    private static String rootMessage(Throwable e) {
        Throwable root = networkCause(e).orElse(e);
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
