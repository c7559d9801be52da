package io.dtm4j.client.xa;

import io.dtm4j.client.DtmClient;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.client.LocalWorkflowInvoker;
import io.dtm4j.client.workflow.WorkflowHandler;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.TransType;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.spi.BranchCall;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Workflow XA steps ({@code doXa}) end to end against a real database: an embedded coordinator whose
 * {@link LocalWorkflowInvoker} resumes workflows in-process (no HTTP anywhere), a transfer whose two steps are
 * local XA transactions on an accounts table of the test's own, and real prepared xids. After every test no
 * prepared XA transaction of the test is left. Extended once per database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
abstract class WorkflowXaScenarios {
    static final long START_BALANCE = 10_000;
    static final long AMOUNT = 30;
    static final String TRANSFER = "transfer";

    /** The database under test. */
    abstract XaTestDb.Kind kind();

    XaTestDb db;
    String gid;
    String accounts;
    MutableClock clock;
    List<BranchCall> passedOn;
    LocalWorkflowInvoker invoker;
    Coordinator coordinator;
    DtmClient client;
    XaDatabase xaDb;
    final AtomicInteger outRuns = new AtomicInteger();
    final AtomicInteger inRuns = new AtomicInteger();

    /** Gids of this suite start with this (MySQL xids hold 64 bytes, so it is short). */
    String suitePrefix() {
        return "wfxa-" + kind().tag + "-";
    }

    @BeforeAll
    void openDatabase() throws SQLException {
        db = XaTestDb.of(kind(), "it_wfxa_" + kind().name().toLowerCase()).open(suitePrefix());
    }

    @BeforeEach
    void start(TestInfo info) throws Exception {
        String name = info.getTestMethod().orElseThrow().getName();
        gid = suitePrefix() + name;
        accounts = db.accountsTable(name);
        db.rollbackPrepared(gid);
        db.deleteBarrierRows(gid);
        db.createAccounts(accounts, START_BALANCE);
        outRuns.set(0);
        inRuns.set(0);
        clock = MutableClock.startingAtEpochOf2026();
        passedOn = new ArrayList<>();
        invoker = LocalWorkflowInvoker.wrapping(call -> {
            passedOn.add(call);
            return BranchOutcome.of(BranchResult.ERROR, "no HTTP in this test");
        });
        coordinator = Coordinator.builder().store(new InMemoryTransactionStore()).invoker(invoker).clock(clock)
                .executor(new DirectExecutorService()).build();
        client = DtmClient.builder().coordinator(coordinator)
                .workflowResumeUrl(LocalWorkflowInvoker.LOCAL_RESUME_URL).build();
        invoker.serve(client.workflows());
        xaDb = XaDatabase.builder().dataSource(db.dataSource()).barrierTable(db.barrierTable()).build();
    }

    @AfterEach
    void stop() throws SQLException {
        try {
            assertThat(db.rollbackPrepared(gid)).as("prepared XA transactions left by %s", gid).isZero();
            assertThat(passedOn).as("calls that left the process").isEmpty();
        } finally {
            client.close();
            coordinator.close();
            db.dropTable(accounts);
        }
    }

    /**
     * The transfer: an XA step taking {@code out} from user 1, then one giving {@code in} to user 2 (a negative
     * balance is a FAILURE). The second step throws {@code inError} on its first run, when given.
     */
    WorkflowHandler transfer(long out, long in, RuntimeException inError) {
        return (wf, input) -> {
            wf.branch().doXa(xaDb, c -> {
                outRuns.incrementAndGet();
                XaTestDb.adjustBalance(c, accounts, 1, -out);
                return null;
            });
            return wf.branch().doXa(xaDb, c -> {
                if (inRuns.incrementAndGet() == 1 && inError != null) {
                    throw inError;
                }
                XaTestDb.adjustBalance(c, accounts, 2, in);
                return "received".getBytes(StandardCharsets.UTF_8);
            });
        };
    }

    byte[] execute() {
        return client.workflows().execute(TRANSFER, gid, new byte[0]);
    }

    GlobalTransaction global() {
        return coordinator.query(gid).orElseThrow().global();
    }

    /** The recorded progress as {@code <branch>-<op>:<status>}, in row order. */
    List<String> progress() {
        return coordinator.query(gid).orElseThrow().branches().stream()
                .map(b -> b.branchId() + "-" + b.op().wireName() + ":" + b.status().wireName()).toList();
    }

    void assertBalances(long user1, long user2) throws SQLException {
        assertThat(db.balance(accounts, 1)).as("user 1").isEqualTo(user1);
        assertThat(db.balance(accounts, 2)).as("user 2").isEqualTo(user2);
    }

    /** Moves past the retry time and runs one recovery step, which resumes the workflow in-process. */
    void recover() {
        clock.advance(Coordinator.DEFAULT_RETRY_INTERVAL.plusSeconds(1));
        coordinator.recoverOnce();
    }

    @Test
    void twoXaStepsCommitBoth() throws Exception {
        client.workflows().register(TRANSFER, transfer(AMOUNT, AMOUNT, null));

        byte[] result = execute();

        assertThat(new String(result, StandardCharsets.UTF_8)).isEqualTo("received");
        assertThat(global().status()).isEqualTo(GlobalStatus.SUCCEED);
        assertBalances(START_BALANCE - AMOUNT, START_BALANCE + AMOUNT);
        assertThat(db.preparedXids(gid)).isEmpty();
        assertThat(progress()).containsExactly("01-business:succeed", "01-action:succeed", "02-business:succeed",
                "02-action:succeed", "02-commit:succeed", "01-commit:succeed");
        assertThat(db.barrierRows(gid)).containsExactly("workflow 01 action 01 action",
                "workflow 02 action 01 action");
    }

    @Test
    void failingSecondStepRollsBackBoth() throws Exception {
        client.workflows().register(TRANSFER, transfer(AMOUNT, -(START_BALANCE + 1), null));

        assertThatThrownBy(this::execute).isInstanceOf(DtmFailureException.class)
                .hasMessageContaining("branch=02 op=action").hasMessageContaining("insufficient balance");

        assertThat(global().status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(global().rollbackReason()).contains("insufficient balance");
        assertBalances(START_BALANCE, START_BALANCE);
        assertThat(db.preparedXids(gid)).isEmpty();
        assertThat(progress()).containsExactly("01-business:succeed", "01-action:succeed", "02-action:failed",
                "02-rollback:succeed", "01-rollback:succeed");
        assertThat(db.barrierRows(gid)).as("rollback markers only: the phase-one rows were rolled back")
                .containsExactlyInAnyOrder("workflow 02 action 01 rollback", "workflow 01 action 01 rollback");
    }

    @Test
    void errorInSecondStepIsResumedInProcessAndCommits() throws Exception {
        client.workflows().register(TRANSFER, transfer(AMOUNT, AMOUNT, new IllegalStateException("busy")));

        assertThatThrownBy(this::execute).isInstanceOf(IllegalStateException.class).hasMessage("busy");
        assertThat(global().status()).isEqualTo(GlobalStatus.PREPARED);
        assertThat(db.preparedXids(gid)).as("step 01 stays prepared across runs").containsExactly(gid + "-01");
        assertBalances(START_BALANCE, START_BALANCE);

        recover();

        assertThat(global().status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(outRuns).as("a recorded step is not run again").hasValue(1);
        assertThat(inRuns).hasValue(2);
        assertBalances(START_BALANCE - AMOUNT, START_BALANCE + AMOUNT);
        assertThat(db.preparedXids(gid)).isEmpty();
    }

    @Test
    void markerWithoutActionRollsBackThePreparedXid() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        WorkflowHandler transfer = transfer(AMOUNT, AMOUNT, null);
        client.workflows().register(TRANSFER, (wf, input) -> {
            if (runs.incrementAndGet() == 1) {
                throw new IllegalStateException("crash before the first step");
            }
            return transfer.run(wf, input);
        });
        assertThatThrownBy(this::execute).isInstanceOf(IllegalStateException.class);
        // as a run that crashed after XA PREPARE, before its action was recorded
        xaDb.prepare(TransType.WORKFLOW, gid, "01", c -> XaTestDb.adjustBalance(c, accounts, 1, -AMOUNT),
                () -> client.registerBranch(new BranchRegistration(gid, TransType.WORKFLOW, "01", new byte[0],
                        Map.of("op", BranchOp.BUSINESS.wireName(), "status", "succeed"))));
        assertThat(db.preparedXids(gid)).containsExactly(gid + "-01");

        recover();

        assertThat(global().status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(global().rollbackReason()).contains("branch=01 op=action").contains("not resumable");
        assertThat(outRuns).hasValue(0);
        assertThat(inRuns).hasValue(0);
        assertBalances(START_BALANCE, START_BALANCE);
        assertThat(db.preparedXids(gid)).isEmpty();
        assertThat(progress()).containsExactly("01-business:succeed", "01-action:failed", "01-rollback:succeed");
        assertThat(db.barrierRows(gid)).containsExactly("workflow 01 action 01 rollback");
    }
}
