package io.dtm4j.server;

import io.dtm4j.client.DtmClient;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.client.workflow.WorkflowException;
import io.dtm4j.client.workflow.WorkflowOptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The interleaving behind the one loss {@link BankInvariantIT}'s long run found, made deterministic: a workflow's
 * TransOut is delivered twice and the two deliveries disagree. The first is held by the bank past the client's
 * timeout (so the run stops, nothing recorded); the client runs the workflow again, its TransOut meets a balance
 * too low and answers FAILURE, which is recorded, and the workflow rolls back and fails; the account is then
 * credited, and the held first delivery runs. It must find the barrier closed: the rollback compensated the failed
 * branch too (a null compensation writing the action's row), so the late TransOut is a hanging request and does
 * nothing. Nothing moves; the workflow is {@code failed}.
 *
 * <p>This needs {@code WorkflowOptions.compensateErrorBranch} true, the SDK's default (decision 007). With DTM's
 * default ({@code false}) the failed branch is not compensated and the late TransOut takes the money for good: run
 * with {@code -Ddtm.bank.compensateErrorBranch=false} to see it.
 */
@Timeout(120)
class BankLateActionIT {
    private static final String SCHEMA = "it_bank_late";
    private static final long START_BALANCE = 10_000;
    private static final long LOW_BALANCE = 100;
    private static final long AMOUNT = 1_000;
    private static final long CREDIT = 5_000;
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(2);
    /** Longer than the client's timeout: the first delivery outlives its run. */
    private static final long HOLD_MILLIS = 4_000;
    private static final Duration BOUND = Duration.ofSeconds(30);
    private static final boolean COMPENSATE_ERROR_BRANCH = Boolean.parseBoolean(
            System.getProperty("dtm.bank.compensateErrorBranch", "true"));

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ItStore.class, names = {"MARIADB", "POSTGRES"})
    void aTransOutDeliveredAfterItsWorkflowFailedIsRefused(ItStore db) throws Exception {
        String gid = "bank-late-" + db.service.toLowerCase(Locale.ROOT);
        // RetryInterval 60 s: the coordinator does not resume the workflow during the test, the client drives it
        List<String> config = List.of("HTTPServer:", "  Address: 127.0.0.1", "RetryInterval: 60", "TimeoutToFail: 60",
                "RequestTimeout: 3", "Store:", "  Driver: sqlite", "  DataDir: "
                        + Files.createDirectories(dir.resolve("store")));
        try (BankService bank = new BankService(db, db.shared(), SCHEMA, 2, START_BALANCE);
             BankCoordinator coordinator = BankCoordinator.start(dir, config);
             DtmClient dtm = DtmClient.builder().serverUrl(coordinator.apiUrl()).timeout(CLIENT_TIMEOUT)
                     .workflowResumeUrl(bank.url("WorkflowResume")).build()) {
            bank.attach(dtm, WorkflowOptions.DEFAULT.withCompensateErrorBranch(COMPENSATE_ERROR_BRANCH));
            update(bank, "balance = " + LOW_BALANCE + " where id = 1");
            bank.arm("TransOut", BankService.Fault.SLOW, 1, 60_000, HOLD_MILLIS);
            byte[] transfer = ("{\"from\":1,\"to\":2,\"amount\":" + AMOUNT + "}").getBytes(StandardCharsets.UTF_8);

            assertThatThrownBy(() -> dtm.workflows().execute(BankService.WORKFLOW, gid, transfer))
                    .as("first run: TransOut held past the client's timeout").isInstanceOf(WorkflowException.class);
            assertThatThrownBy(() -> dtm.workflows().execute(BankService.WORKFLOW, gid, transfer))
                    .as("second run: TransOut finds the balance too low").isInstanceOf(DtmFailureException.class);
            update(bank, "balance = balance + " + CREDIT + " where id = 1");
            awaitBarrierRow(bank, gid, "01", "action");
            Thread.sleep(HOLD_MILLIS); // the held delivery has run by now, whatever it did

            assertThat(coordinator.dtm().query(gid).status()).isEqualTo("failed");
            assertThat(balance(bank, 1)).as("account 1: credited, nothing taken by the late TransOut")
                    .isEqualTo(LOW_BALANCE + CREDIT);
            assertThat(balance(bank, 2)).isEqualTo(START_BALANCE);
            assertThat(barrierRows(bank, gid)).as("null compensation of the failed branch, then no action")
                    .containsExactly("01 action rollback", "01 rollback rollback");
        }
    }

    private static void update(BankService bank, String setAndWhere) throws SQLException {
        try (Connection c = bank.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("update " + bank.accountTable() + " set " + setAndWhere);
        }
    }

    private static long balance(BankService bank, int account) throws SQLException {
        try (Connection c = bank.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select balance from " + bank.accountTable() + " where id = " + account)) {
            assertThat(rs.next()).isTrue();
            return rs.getLong(1);
        }
    }

    /** The gid's barrier rows as {@code "branch op reason"}, in insertion order. */
    private static List<String> barrierRows(BankService bank, String gid) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = bank.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                "select branch_id, op, reason from " + bank.barrierTable() + " where gid = ? order by id")) {
            ps.setString(1, gid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3));
                }
            }
        }
        return out;
    }

    private static void awaitBarrierRow(BankService bank, String gid, String branch, String op) throws Exception {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (barrierRows(bank, gid).stream().noneMatch(r -> r.startsWith(branch + " " + op + " "))) {
            assertThat(System.nanoTime()).as("barrier row %s %s of %s within %s", branch, op, gid, BOUND)
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
