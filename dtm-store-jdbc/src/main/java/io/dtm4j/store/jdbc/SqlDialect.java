package io.dtm4j.store.jdbc;

/**
 * The SQL databases {@link JdbcTransactionStore} speaks. Each keeps DTM's tables ({@code trans_global},
 * {@code trans_branch_op}, {@code kv}) with DTM's column, constraint and index names; see
 * {@link JdbcTransactionStore#schemaSql(SqlDialect)} for the exact DDL. Thread-safe (immutable).
 */
public enum SqlDialect {
    /** An embedded SQLite file: times are INTEGER epoch milliseconds. */
    SQLITE("SQLite", "sqlite"),
    /** PostgreSQL 12 or newer: times are {@code timestamp(3) with time zone}. */
    POSTGRES("PostgreSQL", "postgres"),
    /** MySQL 8.0.1+ or MariaDB 10.6+ (they need {@code SKIP LOCKED}): times are UTC {@code datetime(3)}. */
    MYSQL("MySQL", "mysql");

    private final String productName;
    private final String scheme;

    SqlDialect(String productName, String scheme) {
        this.productName = productName;
        this.scheme = scheme;
    }

    /** The name operators know, for messages: {@code PostgreSQL}, {@code MySQL}, {@code SQLite}. */
    public String productName() {
        return productName;
    }

    /** The scheme of {@link JdbcTransactionStore#describe()}: {@code postgres}, {@code mysql}, {@code sqlite}. */
    String scheme() {
        return scheme;
    }
}
