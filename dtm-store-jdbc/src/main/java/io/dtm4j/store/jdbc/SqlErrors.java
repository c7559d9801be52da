package io.dtm4j.store.jdbc;

import io.dtm4j.core.StoreUnavailableException;

import java.sql.SQLException;

/**
 * Turns a database's failures into the exceptions callers of the store see: {@link StoreUnavailableException}
 * naming the store and what to check, or {@link io.dtm4j.core.InvalidRequestException} when the request itself
 * cannot be stored. Callers never see a raw {@link SQLException}. Implementations are thread-safe.
 */
interface SqlErrors {

    /** The store's name for messages and {@code describe()}, e.g. {@code postgres://127.0.0.1:5440/dtm?schema=s}. */
    String name();

    /** Translates a failure of {@code what} (e.g. {@code "gid=abc: insert"}). Never includes a password. */
    RuntimeException translate(String what, SQLException e);

    /** The error for any call after {@code close()}. */
    default StoreUnavailableException closed(String what) {
        return new StoreUnavailableException(what + " failed: " + name()
                + ": the store is closed; build a new JdbcTransactionStore to use this database again");
    }

    /**
     * True when the database rolled the work back because of a conflict with another transaction (deadlock,
     * serialization failure, lock wait timeout), so running the same work again is safe and likely to succeed.
     */
    default boolean isRetryable(SQLException e) {
        return false;
    }

    /**
     * True when {@code e} says the database cannot be reached at all (no connection within the timeout, refused,
     * reset), so that other writes waiting now would fail the same way.
     */
    default boolean isUnreachable(SQLException e) {
        return false;
    }
}
