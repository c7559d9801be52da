package io.dtm4j.core.testing;

import org.junit.jupiter.api.Assumptions;

import java.net.URI;
import java.util.Optional;

/**
 * Where the real stores of the integration tests are: the variables that {@code scripts/services-up.sh}
 * writes to {@code $DTM_SVC_DIR/env.sh} and {@code scripts/test.sh} exports. A test that needs a store the
 * environment lacks fails with a message saying how to start it when {@code -Ddtm.it.required=true} (CI and
 * {@code scripts/test.sh}), and is skipped otherwise (a plain {@code mvn verify} on a laptop).
 */
public final class ItEnvironment {

    private ItEnvironment() {
    }

    /** JDBC URL of the test PostgreSQL (database dtm). */
    public static String postgresUrl() {
        return require("DTM_TEST_PG_URL");
    }

    /** JDBC URL of the test MariaDB (database dtm, {@code sslMode=disable}). */
    public static String mariadbUrl() {
        return require("DTM_TEST_MYSQL_URL");
    }

    /** Host of the test PostgreSQL, from {@link #postgresUrl()}. */
    public static String postgresHost() {
        return jdbcUri(postgresUrl()).getHost();
    }

    /** Port of the test PostgreSQL, from {@link #postgresUrl()}. */
    public static int postgresPort() {
        return jdbcUri(postgresUrl()).getPort();
    }

    /** Database of the test PostgreSQL ({@code dtm}), from {@link #postgresUrl()}. */
    public static String postgresDatabase() {
        return jdbcUri(postgresUrl()).getPath().substring(1);
    }

    /** Host of the test MariaDB, from {@link #mariadbUrl()}. */
    public static String mariadbHost() {
        return jdbcUri(mariadbUrl()).getHost();
    }

    /** Port of the test MariaDB, from {@link #mariadbUrl()}. */
    public static int mariadbPort() {
        return jdbcUri(mariadbUrl()).getPort();
    }

    /** Host of the test Redis. */
    public static String redisHost() {
        return require("DTM_TEST_REDIS_HOST");
    }

    /** Port of the test Redis. */
    public static int redisPort() {
        return Integer.parseInt(require("DTM_TEST_REDIS_PORT"));
    }

    /** User of the test databases. */
    public static String dbUser() {
        return require("DTM_TEST_DB_USER");
    }

    /** Password of the test databases. */
    public static String dbPassword() {
        return require("DTM_TEST_DB_PASSWORD");
    }

    /** True when integration tests must fail, not skip, when a store is missing. */
    public static boolean required() {
        return Boolean.getBoolean("dtm.it.required");
    }

    private static URI jdbcUri(String jdbcUrl) {
        URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
        if (uri.getHost() == null || uri.getPort() < 0) {
            throw new IllegalStateException("cannot read host:port from " + jdbcUrl);
        }
        return uri;
    }

    private static String require(String name) {
        Optional<String> v = Optional.ofNullable(System.getenv(name)).filter(s -> !s.isBlank());
        if (v.isPresent()) {
            return v.get();
        }
        String msg = name + " is not set: run the tests through scripts/test.sh, which starts the stores, or "
                + "run scripts/services-up.sh and source $DTM_SVC_DIR/env.sh (default /tmp/dtm-services/env.sh)";
        if (required()) {
            throw new IllegalStateException(msg);
        }
        Assumptions.abort(msg);
        return "";
    }
}
