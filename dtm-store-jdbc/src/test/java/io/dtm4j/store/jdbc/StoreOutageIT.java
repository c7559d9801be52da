package io.dtm4j.store.jdbc;

import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.StoreUnavailableException;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransType;
import io.dtm4j.core.testing.ItEnvironment;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * A store outage: the database stops under a working store; a write and a read fail within the connect timeout
 * with {@link StoreUnavailableException} saying what to check (and not the password); after the database is back,
 * the same store instance works again. The database is a private instance of {@code scripts/services-up.sh} (its
 * own {@code DTM_SVC_DIR}, a free port, a password of its own), stopped with {@code services-down.sh} and removed
 * afterwards, so the shared test servers that other suites use keep running.
 */
class StoreOutageIT {

    private static final String PASSWORD = "outage-Secret-7";
    private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration RECOVERY_LIMIT = Duration.ofSeconds(30);
    private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");

    @Test
    void postgresGoesDownAndComesBack() throws Exception {
        outage(SqlDialect.POSTGRES, "postgres", "PG_PORT");
    }

    @Test
    void mariadbGoesDownAndComesBack() throws Exception {
        outage(SqlDialect.MYSQL, "mariadb", "MYSQL_PORT");
    }

    @Test
    void aDatabaseThatIsNotThereAtStartFailsTheBuildFastWithAdvice() throws Exception {
        int port = freePort();
        for (SqlDialect dialect : List.of(SqlDialect.POSTGRES, SqlDialect.MYSQL)) {
            JdbcStoreBuilder b = JdbcTransactionStore.builder().user("dtm").password(PASSWORD);
            JdbcStoreBuilder chosen = dialect == SqlDialect.POSTGRES
                    ? b.postgres("127.0.0.1", port, "dtm", "public") : b.mysql("127.0.0.1", port, "dtm");
            failsFast(chosen::build, "is " + dialect.productName() + " running at 127.0.0.1:" + port + "?");
        }
    }

    private void outage(SqlDialect dialect, String service, String portVariable) throws Exception {
        Path scripts = Path.of(System.getProperty("dtm.scripts.dir", "../scripts")).toAbsolutePath().normalize();
        if (!Files.isExecutable(scripts.resolve("services-up.sh"))) {
            String msg = "no " + scripts.resolve("services-up.sh") + "; set -Ddtm.scripts.dir";
            if (ItEnvironment.required()) {
                fail(msg);
            }
            Assumptions.abort(msg);
        }
        int port = freePort();
        Path base = Files.createTempDirectory("dtm4j-outage-" + service + "-");
        Map<String, String> env = Map.of("DTM_SVC_DIR", base.toString(), portVariable, Integer.toString(port),
                "DTM_DB_PASS", PASSWORD);
        String startup = start(env, scripts.resolve("services-up.sh"), service);
        if (startup != null) {
            run(env, scripts.resolve("services-down.sh"), "--purge", service);
            if (ItEnvironment.required()) {
                fail("cannot start a private " + service + ":\n" + startup);
            }
            Assumptions.abort("cannot start a private " + service + " (needs the server package, or root to install"
                    + " it):\n" + startup);
        }
        try {
            JdbcStoreBuilder b = JdbcTransactionStore.builder();
            b = dialect == SqlDialect.POSTGRES ? b.postgres("127.0.0.1", port, "dtm", "public")
                    : b.mysql("127.0.0.1", port, "dtm");
            try (JdbcTransactionStore store = b.user("dtm").password(PASSWORD).maxOpenConns(4).build()) {
                assertThat(store.insert(saga("before"), List.of())).isTrue();

                run(env, scripts.resolve("services-down.sh"), service);
                String expected = "is " + dialect.productName() + " running at 127.0.0.1:" + port + "?";
                long writeMillis = failsFast(() -> store.insert(saga("during"), List.of()), expected);
                long readMillis = failsFast(() -> store.findGlobal("before"), expected);
                System.out.printf("%s down: a write failed after %d ms, a read after %d ms (connectTimeout %d ms)%n",
                        dialect.productName(), writeMillis, readMillis,
                        JdbcTransactionStore.DEFAULT_CONNECT_TIMEOUT.toMillis());

                run(env, scripts.resolve("services-up.sh"), service);
                long restarted = System.nanoTime();
                int failures = 0;
                long deadline = System.nanoTime() + RECOVERY_LIMIT.toNanos();
                while (true) {
                    try {
                        assertThat(store.insert(saga("after"), List.of())).isTrue();
                        break;
                    } catch (StoreUnavailableException e) {
                        failures++;
                        assertThat(System.nanoTime()).as("working again within %s", RECOVERY_LIMIT)
                                .isLessThan(deadline);
                    }
                }
                System.out.printf("%s back: the same store wrote again after %d failed writes, %d ms after the"
                        + " database answered%n", dialect.productName(), failures,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted));
                assertThat(failures).as("writes that failed after the database answered again").isZero();
                assertThat(store.findGlobal("before")).isPresent();
                assertThat(store.findGlobal("during")).isEmpty();
                assertThat(store.findGlobal("after")).isPresent();
            }
        } finally {
            run(env, scripts.resolve("services-down.sh"), "--purge", service);
        }
    }

    /** Runs {@code call}, which must fail with the store's advice; returns how long it took, in ms. */
    private static long failsFast(Runnable call, String advice) {
        long start = System.nanoTime();
        assertThatThrownBy(call::run).isInstanceOf(StoreUnavailableException.class).hasMessageContaining(advice)
                .hasMessageNotContaining(PASSWORD);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(millis).as("time to fail").isLessThan(JdbcTransactionStore.DEFAULT_CONNECT_TIMEOUT.toMillis()
                + 1_000);
        return millis;
    }

    private static GlobalTransaction saga(String gid) {
        return new GlobalTransaction(0, gid, TransType.SAGA, GlobalStatus.SUBMITTED, "", "http", T0, T0,
                Optional.empty(), Optional.empty(), TransOptions.DEFAULT, "", Duration.ofSeconds(10), T0, "", "", "",
                "");
    }

    private static void run(Map<String, String> env, Path script, String... args) throws Exception {
        String failure = start(env, script, args);
        if (failure != null) {
            fail(failure);
        }
    }

    /** Runs a service script; returns null when it succeeded, else what it printed. */
    private static String start(Map<String, String> env, Path script, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(SCRIPT_TIMEOUT.toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            return String.join(" ", command) + " failed:\n" + new String(out, StandardCharsets.UTF_8);
        }
        return null;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
