package io.dtm4j.server;

import io.dtm4j.core.BranchResult;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.ListQuery;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.ScriptedBranchInvoker;
import io.dtm4j.store.jdbc.JdbcTransactionStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line, in process: the one-shot commands and every start-up failure (none of them serve). */
class DtmMainTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream oldOut;
    private PrintStream oldErr;

    @BeforeEach
    void capture() {
        oldOut = System.out;
        oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(oldOut);
        System.setErr(oldErr);
    }

    private int run(String... args) {
        return DtmMain.commandLine().execute(args);
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void dashVPrintsTheVersionLikeDtm() {
        assertThat(run("-v")).isZero();
        assertThat(stdout()).startsWith("dtm version: v");
        assertThat(run("version")).isZero();
        assertThat(stdout()).contains("dtm version: v");
    }

    @Test
    void helpListsDtmsFlags() {
        assertThat(run("-h")).isZero();
        assertThat(stdout()).contains("-c, --config", "-p, --port", "-d", "-v, --version", "check", "version");
    }

    @Test
    void checkValidatesTheFile() throws IOException {
        Path cfg = dir.resolve("config.yml");
        Files.writeString(cfg, "HttpPort: 8081\nStore:\n  Driver: mem\n  Host: ignored\n");
        assertThat(run("-c", cfg.toString(), "check")).isZero();
        assertThat(stdout()).contains("configuration OK: HttpPort=8081 Store.Driver=mem",
                "warning: " + cfg + ": line 4, column 3: Store.Host: ignored");
    }

    @Test
    void aBadFileIsOneLineAndExitCode2() throws IOException {
        Path cfg = dir.resolve("config.yml");
        Files.writeString(cfg, "HttpPort: 1\nStore: {Driver: [\n");
        assertThat(run("-c", cfg.toString())).isEqualTo(2);
        assertThat(stderr().strip()).startsWith("dtm: " + cfg + ": line ").contains("not valid YAML")
                .doesNotContain("\n").doesNotContain("Exception");
        assertThat(run("-c", cfg.toString(), "check")).isEqualTo(2);
    }

    @Test
    void anUnknownKeyIsExitCode2() throws IOException {
        Path cfg = dir.resolve("config.yml");
        Files.writeString(cfg, "HttpPrt: 1\n");
        assertThat(run("-c", cfg.toString())).isEqualTo(2);
        assertThat(stderr()).contains("HttpPrt: unknown key");
    }

    @Test
    void aPortInUseIsOneLineNamingThePortAndDashP() throws IOException {
        Path cfg = dir.resolve("config.yml");
        Files.writeString(cfg, "Store:\n  Driver: mem\n");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("0.0.0.0"))) {
            int port = taken.getLocalPort();
            assertThat(run("-c", cfg.toString(), "-p", Integer.toString(port))).isEqualTo(2);
            assertThat(stderr().strip()).isEqualTo("dtm: port " + port + " is already in use (or not allowed); stop"
                    + " the other process or choose another port with -p");
        }
    }

    @Test
    void usageErrorsAreExitCode2() {
        assertThat(run("-p", "web")).isEqualTo(2);
        assertThat(run("--no-such-flag")).isEqualTo(2);
        assertThat(run("positional")).isEqualTo(2);
        assertThat(run("-p", "70000", "-c", "x")).isEqualTo(2);
    }

    @Test
    void aMistypedFlagOrCommandIsOneLineWithTheClosestOne() {
        assertThat(run("--prot", "80")).isEqualTo(2);
        assertThat(stderr().strip()).isEqualTo("dtm: Unknown options: '--prot', '80' (did you mean '--port'?); "
                + "run 'dtm --help' for the flags");
        err.reset();
        assertThat(run("chekc")).isEqualTo(2);
        assertThat(stderr().strip()).isEqualTo("dtm: Unmatched argument at index 0: 'chekc' (did you mean 'check'?); "
                + "run 'dtm --help' for the flags");
    }

    @Test
    void aServiceRegistryDriverStopsCheckAndStartUp() throws IOException {
        Path cfg = dir.resolve("config.yml");
        Files.writeString(cfg, "MicroService:\n  Driver: dtm-driver-gozero\nStore:\n  Driver: mem\n");
        assertThat(run("-c", cfg.toString(), "check")).isEqualTo(2);
        assertThat(run("-c", cfg.toString())).isEqualTo(2);
        assertThat(stderr().lines().filter(l -> l.contains("MicroService.Driver: 'dtm-driver-gozero' is not "
                + "supported yet by dtm4j"))).hasSize(2);
    }

    @Test
    void aMissingConfigFileIsExitCode2() {
        assertThat(run("-c", dir.resolve("missing.yml").toString())).isEqualTo(2);
        assertThat(stderr()).contains("missing.yml: no such file");
    }

    // ---------------------------------------------------------------- -r

    /** A SQLite store in {@code data} holding one finished and one unfinished saga. */
    private Path sqliteWithTwoSagas(Path data) throws IOException {
        ScriptedBranchInvoker busi = new ScriptedBranchInvoker();
        busi.once("http://busi/TransIn", BranchResult.ONGOING);
        try (JdbcTransactionStore store = JdbcTransactionStore.builder().sqlite(data).build();
             Coordinator c = Coordinator.builder().store(store).invoker(busi).executor(new DirectExecutorService())
                     .build()) {
            for (String gid : List.of("reset-running", "reset-done")) { // the first TransIn answers ONGOING
                c.submit(TransRequest.builder(gid, TransType.SAGA)
                        .step(Map.of("action", "http://busi/TransIn", "compensate", "http://busi/TransInRevert"),
                                new byte[0]).build());
            }
            assertThat(store.statusOf("reset-done")).contains(GlobalStatus.SUCCEED);
            assertThat(store.statusOf("reset-running")).contains(GlobalStatus.SUBMITTED);
        }
        Path cfg = dir.resolve("sqlite.yml");
        Files.writeString(cfg, "Store:\n  Driver: sqlite\n  DataDir: '" + data + "'\n");
        return cfg;
    }

    private int runWithStdin(String stdin, String... args) {
        InputStream oldIn = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            return run(args);
        } finally {
            System.setIn(oldIn);
        }
    }

    private static long transactions(Path data) {
        try (JdbcTransactionStore store = JdbcTransactionStore.builder().sqlite(data).build()) {
            return store.list(new ListQuery("", 10, Optional.empty(), Optional.empty(), Optional.empty(),
                    Optional.empty())).transactions().size();
        }
    }

    @Test
    void resetAsksAndDeletesNothingUnlessTheAnswerIsYes() throws IOException {
        Path data = dir.resolve("data");
        Path cfg = sqliteWithTwoSagas(data);
        for (String answer : List.of("no\n", "", "y\n", "YES please\n")) {
            err.reset();
            assertThat(runWithStdin(answer, "-c", cfg.toString(), "-r")).as("answer %s", answer).isEqualTo(2);
            assertThat(stderr()).contains("dtm: -r deletes EVERY transaction, finished or not, in SQLite "
                    + data.toAbsolutePath().resolve("dtm.db") + ". Type 'yes' to go on: ",
                    "dtm: -r not confirmed; nothing was deleted (type 'yes' at the prompt, or add --yes)");
            assertThat(transactions(data)).as("after answer %s", answer).isEqualTo(2);
        }
    }

    /** The reset comes before the server starts: a port in use stops the start after the reset was done. */
    @Test
    void resetWithYesOrConfirmedDeletesEveryTransactionBeforeStarting() throws IOException {
        Path data = dir.resolve("data");
        Path cfg = sqliteWithTwoSagas(data);
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("0.0.0.0"))) {
            String port = Integer.toString(taken.getLocalPort());
            assertThat(runWithStdin("", "-c", cfg.toString(), "-p", port, "-r", "--yes")).isEqualTo(2);
            assertThat(stderr()).doesNotContain("Type 'yes'").contains("-r: deleted 2 transaction(s) and their "
                    + "branches from sqlite:", "port " + port + " is already in use");
            assertThat(transactions(data)).isZero();

            sqliteWithTwoSagas(data);
            assertThat(runWithStdin("yes\n", "-c", cfg.toString(), "-p", port, "-r")).isEqualTo(2);
            assertThat(transactions(data)).isZero();
        }
    }

    @Test
    void resetOfAStoreThatDoesNotExistYetHasNothingToDo() throws IOException {
        Path cfg = dir.resolve("fresh.yml");
        Files.writeString(cfg, "Store:\n  Driver: sqlite\n  DataDir: '" + dir.resolve("fresh") + "'\n");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("0.0.0.0"))) {
            assertThat(runWithStdin("", "-c", cfg.toString(), "-p", Integer.toString(taken.getLocalPort()), "-r"))
                    .isEqualTo(2);
        }
        assertThat(stderr()).doesNotContain("Type 'yes'", "not confirmed").contains("is already in use");
    }

    // ---------------------------------------------------------------- token

    @Test
    void tokenPrintsANewSecretAndTheEntryThatAdmitsIt() {
        assertThat(run("token", "alice", "Operator")).isZero();
        List<String> lines = stdout().lines().toList();
        assertThat(lines).hasSize(2);
        String secret = lines.get(0).substring(lines.get(0).lastIndexOf(' ') + 1);
        assertThat(lines.get(0)).startsWith("token (give it to alice; it is not stored anywhere): ");
        assertThat(lines.get(1)).matches("Auth.Tokens entry: alice:operator:sha256:[0-9a-f]{64}")
                .doesNotContain(secret);
        ApiToken entry = ApiToken.parse(lines.get(1).substring("Auth.Tokens entry: ".length()));
        assertThat(entry).isEqualTo(ApiToken.parse("alice:operator:" + secret));

        assertThat(run("token", "bob", "admin")).isEqualTo(2);
        assertThat(stderr()).contains("dtm: token 'bob': role must be viewer, operator or api, got 'admin'");
    }

    // ---------------------------------------------------------------- schema-sql

    @Test
    void schemaSqlPrintsTheDdlOfEachDialect() {
        assertThat(run("schema-sql", "postgres")).isZero();
        assertThat(stdout()).isEqualTo(JdbcTransactionStore.schemaSql(io.dtm4j.store.jdbc.SqlDialect.POSTGRES))
                .contains("CREATE TABLE", "trans_global", "dtm4j_schema_version");
        out.reset();
        assertThat(run("schema-sql", "MariaDB")).isZero();
        assertThat(stdout()).isEqualTo(JdbcTransactionStore.schemaSql(io.dtm4j.store.jdbc.SqlDialect.MYSQL));
        assertThat(run("schema-sql", "postgre")).isEqualTo(2);
        assertThat(stderr()).contains("dtm: schema-sql takes postgres, mysql, mariadb or sqlite, got 'postgre' (did "
                + "you mean 'postgres'?)");
    }

    // ---------------------------------------------------------------- backup

    @Test
    void backupCopiesTheSqliteStoreAndRefusesToOverwrite() throws IOException {
        Path data = dir.resolve("data");
        Path cfg = sqliteWithTwoSagas(data);
        Path copy = dir.resolve("backups/dtm-20261126.db");
        assertThat(run("-c", cfg.toString(), "backup", copy.toString())).isZero();
        assertThat(stdout()).contains("backup OK: " + copy + " (", " bytes, 2 transactions, quick_check ok)");
        assertThat(transactions(copy.getParent().resolve("restore"), copy)).isEqualTo(2);

        assertThat(run("-c", cfg.toString(), "backup", copy.toString())).isEqualTo(2);
        assertThat(stderr()).contains("dtm: backup: " + copy + " already exists; give a new file name");
    }

    @Test
    void backupOfAnotherStoreNamesItsTool() throws IOException {
        Path cfg = postgresAt(closedPort(), "");
        assertThat(run("-c", cfg.toString(), "backup", dir.resolve("x.db").toString())).isEqualTo(2);
        assertThat(stderr().strip()).isEqualTo("dtm: backup copies the sqlite store only; Store.Driver is postgres: "
                + "back it up with pg_dump (see the operator's guide)");
        assertThat(dir.resolve("x.db")).doesNotExist();
    }

    /** Restores {@code copy} into a fresh data directory and counts its transactions. */
    private static long transactions(Path restoreDir, Path copy) throws IOException {
        Files.createDirectories(restoreDir);
        Files.copy(copy, restoreDir.resolve(JdbcTransactionStore.DATABASE_FILE));
        return transactions(restoreDir);
    }

    // ---------------------------------------------------------------- the store at start-up and in check

    private static final String PASSWORD = "Pw-not-to-log-1";

    /** A port on 127.0.0.1 where nothing listens. */
    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private Path postgresAt(int port, String extra) throws IOException {
        Path cfg = dir.resolve("pg.yml");
        Files.writeString(cfg, "Store:\n  Driver: postgres\n  Host: 127.0.0.1\n  Port: " + port + "\n  User: dtm\n"
                + "  Password: '${DTM_MAIN_TEST_PASSWORD:-" + PASSWORD + "}'\n  ConnectTimeout: 2\n" + extra);
        return cfg;
    }

    @Test
    void checkReportsTheEmbeddedStores() throws IOException {
        Path cfg = dir.resolve("config.yml");
        Files.writeString(cfg, "Store:\n  Driver: mem\n");
        assertThat(run("-c", cfg.toString(), "check")).isZero();
        assertThat(stdout()).contains("store OK: mem");

        Path data = dir.resolve("data");
        Files.writeString(cfg, "Store:\n  Driver: sqlite\n  DataDir: '" + data + "'\n");
        assertThat(run("-c", cfg.toString(), "check")).isZero();
        assertThat(stdout()).contains("store OK: sqlite:" + data.toAbsolutePath().resolve("dtm.db") + ": no tables "
                + "yet; the server creates schema version 1 at its first start");
        assertThat(data).doesNotExist();

        JdbcTransactionStore.builder().sqlite(data).build().close();
        out.reset();
        assertThat(run("-c", cfg.toString(), "check")).isZero();
        assertThat(stdout()).contains("store OK: sqlite:", "answers and lists its transactions; schema version 1 "
                + "(current)");
    }

    @Test
    void checkOfAnUnreachableStoreSaysWhatToCheckAndExits1() throws IOException {
        int port = closedPort();
        Path cfg = postgresAt(port, "");
        assertThat(run("-c", cfg.toString(), "check")).isEqualTo(1);
        assertThat(stdout()).contains("configuration OK: HttpPort=36789 Store.Driver=postgres Store.Host=127.0.0.1 "
                + "Store.Port=" + port + " Store.User=dtm Store.Db=dtm Store.Schema=public Store.Password=***");
        assertThat(stderr()).contains("dtm: store not reachable: is PostgreSQL running at 127.0.0.1:" + port + "? ");
        assertThat(stdout() + stderr()).doesNotContain(PASSWORD);
    }

    @Test
    void startUpWaitsForTheStoreWithOneLinePerAttemptThenExits2() throws IOException {
        int port = closedPort();
        Path cfg = postgresAt(port, "  StartupTimeout: 4\n");
        assertThat(run("-c", cfg.toString())).isEqualTo(2);
        String hint = "store not reachable: is PostgreSQL running at 127.0.0.1:" + port + "?";
        assertThat(stderr()).contains(hint + " retrying in 3 s (attempt 1, giving up after 4 s): ",
                "dtm: " + hint + " gave up after 2 attempts (Store.StartupTimeout 4 s): ");
        assertThat(stderr().lines().filter(l -> l.contains("retrying in 3 s"))).hasSize(1);
        assertThat(stdout() + stderr()).doesNotContain(PASSWORD);
    }

    @Test
    void anUnreachableRedisIsNamedAsSuch() throws IOException {
        int port = closedPort();
        Path cfg = dir.resolve("redis.yml");
        Files.writeString(cfg, "Store:\n  Driver: redis\n  Host: 127.0.0.1\n  Port: " + port + "\n"
                + "  Password: " + PASSWORD + "\n  StartupTimeout: 0\n  ConnectTimeout: 2\n");
        assertThat(run("-c", cfg.toString())).isEqualTo(2);
        assertThat(stderr()).contains("dtm: store not reachable: is Redis running at 127.0.0.1:" + port
                + "? gave up after 1 attempt (Store.StartupTimeout 0 s): ");
        assertThat(stdout() + stderr()).doesNotContain(PASSWORD);
    }

    @Test
    void aMissingPasswordVariableIsAConfigurationError() throws IOException {
        Path cfg = dir.resolve("config.yml");
        Files.writeString(cfg, "Store:\n  Driver: mem\n  Password: '${DTM_MAIN_TEST_UNSET_VARIABLE}'\n");
        assertThat(run("-c", cfg.toString(), "check")).isEqualTo(2);
        assertThat(stderr()).contains("Store.Password: environment variable DTM_MAIN_TEST_UNSET_VARIABLE is not set");
    }
}
