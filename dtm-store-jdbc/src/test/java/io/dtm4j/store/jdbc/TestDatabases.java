package io.dtm4j.store.jdbc;

import io.dtm4j.core.testing.ItEnvironment;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The integration-test databases of one test class: a fresh PostgreSQL schema or MariaDB database per test (named
 * {@code it_<class>_<n>_<random>}, so suites of several classes and engineers share the servers of
 * {@code scripts/services-up.sh} without meeting), dropped again after the class. Not thread-safe: one per class.
 */
final class TestDatabases {

    private final SqlDialect dialect;
    private final String prefix;
    private final List<String> created = new ArrayList<>();
    private String current;

    private TestDatabases(SqlDialect dialect, String tag) {
        this.dialect = dialect;
        this.prefix = "it_" + tag.toLowerCase(Locale.ROOT) + "_";
    }

    static TestDatabases postgres(String tag) {
        return new TestDatabases(SqlDialect.POSTGRES, tag);
    }

    static TestDatabases mariadb(String tag) {
        return new TestDatabases(SqlDialect.MYSQL, tag);
    }

    SqlDialect dialect() {
        return dialect;
    }

    /** A new, empty name (schema or database) that {@link #builder()} and {@link #admin()} then use. */
    String fresh() {
        current = prefix + created.size() + "_" + UUID.randomUUID().toString().substring(0, 8);
        created.add(current);
        return current;
    }

    /** The name {@link #fresh()} returned last. */
    String current() {
        return current;
    }

    /** A builder on the current name with the test user, small pools and default timeouts. */
    JdbcStoreBuilder builder() {
        JdbcStoreBuilder b = JdbcTransactionStore.builder();
        b = dialect == SqlDialect.POSTGRES ? b.postgres(host(), port(), database(), current)
                : b.mysql(host(), port(), current);
        return b.user(ItEnvironment.dbUser()).password(ItEnvironment.dbPassword()).maxOpenConns(6).maxIdleConns(1);
    }

    /** A plain JDBC connection whose current schema or database is the current name, created if missing. */
    Connection admin() throws SQLException {
        Connection c = DriverManager.getConnection(jdbcUrl(), ItEnvironment.dbUser(), ItEnvironment.dbPassword());
        try (Statement st = c.createStatement()) {
            if (dialect == SqlDialect.POSTGRES) {
                st.execute("CREATE SCHEMA IF NOT EXISTS " + current);
                st.execute("SET search_path TO " + current);
            } else {
                st.execute("CREATE DATABASE IF NOT EXISTS " + current);
                st.execute("USE " + current);
                st.execute("SET time_zone = '+00:00'");
            }
        }
        return c;
    }

    /** Drops every schema or database this instance named. */
    void dropAll() throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl(), ItEnvironment.dbUser(), ItEnvironment.dbPassword());
             Statement st = c.createStatement()) {
            for (String name : created) {
                st.execute(dialect == SqlDialect.POSTGRES ? "DROP SCHEMA IF EXISTS " + name + " CASCADE"
                        : "DROP DATABASE IF EXISTS " + name);
            }
        }
        created.clear();
    }

    String host() {
        return uri().getHost();
    }

    int port() {
        return uri().getPort();
    }

    String database() {
        return uri().getPath().substring(1);
    }

    /** {@code host:port}, as the store's messages name it. */
    String address() {
        return host() + ":" + port();
    }

    private String jdbcUrl() {
        return dialect == SqlDialect.POSTGRES ? ItEnvironment.postgresUrl() : ItEnvironment.mariadbUrl();
    }

    private URI uri() {
        return URI.create(jdbcUrl().substring("jdbc:".length()));
    }
}
