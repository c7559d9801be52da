package io.dtm4j.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Map;

/**
 * Where the networked stores run: the throwaway instances of {@code scripts/services-up.sh}, read from the variables
 * of its {@code env.sh} ({@code DTM_TEST_PG_HOST}, ...), defaulting to its ports. Immutable.
 */
record StoreEnv(String pgHost, int pgPort, String mysqlHost, int mysqlPort, String redisHost, int redisPort,
                String user, String password) {

    /** The PostgreSQL database the benchmarks create for themselves, so that xact_commit counts only them. */
    static final String PG_DATABASE = "dtm_bench";
    /** The database services-up.sh creates on PostgreSQL and MariaDB; admin connections start there. */
    static final String SERVICES_DATABASE = "dtm";

    static StoreEnv fromEnvironment() {
        Map<String, String> env = System.getenv();
        return new StoreEnv(
                env.getOrDefault("DTM_TEST_PG_HOST", "127.0.0.1"),
                Integer.parseInt(env.getOrDefault("DTM_TEST_PG_PORT", "5440")),
                env.getOrDefault("DTM_TEST_MYSQL_HOST", "127.0.0.1"),
                Integer.parseInt(env.getOrDefault("DTM_TEST_MYSQL_PORT", "3310")),
                env.getOrDefault("DTM_TEST_REDIS_HOST", "127.0.0.1"),
                Integer.parseInt(env.getOrDefault("DTM_TEST_REDIS_PORT", "6390")),
                env.getOrDefault("DTM_TEST_DB_USER", "dtm"),
                env.getOrDefault("DTM_TEST_DB_PASSWORD", "dtm"));
    }

    String pgUrl(String database) {
        return "jdbc:postgresql://" + pgHost + ":" + pgPort + "/" + database;
    }

    String mysqlUrl(String database) {
        return "jdbc:mariadb://" + mysqlHost + ":" + mysqlPort + "/" + database + "?sslMode=disable";
    }

    /** True when {@code kind} needs no server, or its server accepts connections. */
    boolean available(StoreKind kind) {
        return switch (kind) {
            case MEM, SQLITE -> true;
            case POSTGRES -> answers(pgHost, pgPort);
            case MARIADB -> answers(mysqlHost, mysqlPort);
            case REDIS -> answers(redisHost, redisPort);
        };
    }

    private static boolean answers(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
