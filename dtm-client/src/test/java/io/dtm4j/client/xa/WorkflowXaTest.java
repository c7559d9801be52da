package io.dtm4j.client.xa;

import io.dtm4j.client.DtmClient;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.client.workflow.WorkflowException;
import io.dtm4j.client.workflow.Workflows;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.ScriptedBranchInvoker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Workflow XA steps ({@code doXa}) without a database: the statements of each phase in order, the business marker
 * recorded before the prepare, and the resume rule (marker without action: not resumable, rolled back). Gid = test
 * name.
 */
class WorkflowXaTest {
    private static final String BARRIER = "insert ignore into dtm_barrier.barrier(trans_type, gid, branch_id, op, "
            + "barrier_id, reason) values(?,?,?,?,?,?)";

    private final Coordinator coordinator = Coordinator.builder().store(new InMemoryTransactionStore())
            .invoker(new ScriptedBranchInvoker()).executor(new DirectExecutorService()).build();
    private final DtmClient client = DtmClient.builder().coordinator(coordinator)
            .workflowResumeUrl("http://me.test/resume").build();
    private final Workflows workflows = client.workflows();
    private final RecordingDataSource db = new RecordingDataSource("MariaDB");
    private String gid;

    @BeforeEach
    void gid(TestInfo info) {
        gid = info.getTestMethod().orElseThrow().getName();
    }

    @AfterEach
    void close() {
        client.close();
        coordinator.close();
    }

    private List<String> progress() {
        return coordinator.query(gid).orElseThrow().branches().stream()
                .map(b -> b.branchId() + "-" + b.op().wireName() + ":" + b.status().wireName()).toList();
    }

    private GlobalStatus status() {
        return coordinator.query(gid).orElseThrow().global().status();
    }

    @Test
    void phaseOneRecordsTheMarkerBeforePrepareAndCommitRunsOnFinish() {
        workflows.register("wf_xa", (wf, input) -> wf.branch().doXa(db.dataSource(), c -> {
            db.log.add("work, recorded " + progress());
            return "done".getBytes(StandardCharsets.UTF_8);
        }));

        byte[] result = workflows.execute("wf_xa", gid, new byte[0]);

        assertThat(new String(result, StandardCharsets.UTF_8)).isEqualTo("done");
        assertThat(db.log).containsExactly("connect", "XA START '" + gid + "-01'",
                BARRIER + " [workflow, " + gid + ", 01, action, 01, action]", "work, recorded []",
                "XA END '" + gid + "-01'", "XA PREPARE '" + gid + "-01'", "close",
                "connect", "XA COMMIT '" + gid + "-01'", "close");
        assertThat(progress()).containsExactly("01-business:succeed", "01-action:succeed", "01-commit:succeed");
        assertThat(status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void failedWorkIsRolledBackAndItsXidAgainOnFinish() {
        workflows.register("wf_xa", (wf, input) -> wf.branch().doXa(db.dataSource(), c -> {
            throw new DtmFailureException("insufficient balance");
        }));

        assertThatThrownBy(() -> workflows.execute("wf_xa", gid, new byte[0]))
                .isInstanceOf(DtmFailureException.class).hasMessageContaining("insufficient balance");

        // the rollback runs although the action failed (default options skip failed actions' rollbacks)
        assertThat(db.log).containsSubsequence("XA START '" + gid + "-01'", "XA END '" + gid + "-01'",
                "XA ROLLBACK '" + gid + "-01'", "close", "connect", "XA ROLLBACK '" + gid + "-01'",
                BARRIER + " [workflow, " + gid + ", 01, action, 01, rollback]").doesNotContain(
                "XA PREPARE '" + gid + "-01'");
        assertThat(progress()).containsExactly("01-action:failed", "01-rollback:succeed");
        assertThat(status()).isEqualTo(GlobalStatus.FAILED);
    }

    @Test
    void aRecordedMarkerWithoutActionIsNotResumableAndRollsBack() {
        workflows.register("wf_xa", (wf, input) -> {
            wf.branch().doXa(db.dataSource(), c -> {
                db.log.add("work");
                return null;
            });
            return null;
        });
        coordinator.prepareWorkflow(TransRequest.builder(gid, TransType.WORKFLOW)
                .queryPrepared("http://me.test/resume").customData("{\"name\":\"wf_xa\",\"data\":\"\"}").build());
        // an earlier run recorded the marker, then stopped before recording its action
        coordinator.registerBranch(new BranchRegistration(gid, TransType.WORKFLOW, "01", new byte[0],
                Map.of("op", BranchOp.BUSINESS.wireName(), "status", "succeed")));

        assertThatThrownBy(() -> workflows.execute("wf_xa", gid, new byte[0]))
                .isInstanceOf(DtmFailureException.class).hasMessageContaining("branch=01 op=action")
                .hasMessageContaining("not resumable");

        assertThat(db.log).doesNotContain("work").containsExactly("connect", "XA ROLLBACK '" + gid + "-01'",
                BARRIER + " [workflow, " + gid + ", 01, action, 01, rollback]", "close");
        assertThat(progress()).containsExactly("01-business:succeed", "01-action:failed", "01-rollback:succeed");
        assertThat(status()).isEqualTo(GlobalStatus.FAILED);
    }

    @Test
    void aRefusedMarkerRollsBackAndIsNotRecorded() {
        workflows.register("wf_xa", (wf, input) -> wf.branch().doXa(db.dataSource(), c -> {
            // another run of the same gid records the marker first
            coordinator.registerBranch(new BranchRegistration(gid, TransType.WORKFLOW, "01", new byte[0],
                    Map.of("op", BranchOp.BUSINESS.wireName(), "status", "succeed")));
            return null;
        }));

        assertThatThrownBy(() -> workflows.execute("wf_xa", gid, new byte[0]))
                .isInstanceOf(WorkflowException.class).hasMessageContaining("branch=01 op=business")
                .hasMessageContaining("refused to record");

        assertThat(db.log).contains("XA ROLLBACK '" + gid + "-01'").doesNotContain("XA PREPARE '" + gid + "-01'");
        assertThat(progress()).containsExactly("01-business:succeed");
        assertThat(status()).isEqualTo(GlobalStatus.PREPARED);
    }

    @Test
    void aDatabaseErrorIsNotRecordedAndTheStepRunsAgainOnResume() {
        RecordingDataSource failing = new RecordingDataSource("PostgreSQL").failOn(s -> s.startsWith("PREPARE"));
        workflows.register("wf_xa", (wf, input) -> wf.branch().doXa(failing.dataSource(), c -> null));

        assertThatThrownBy(() -> workflows.execute("wf_xa", gid, new byte[0]))
                .hasMessageStartingWith("gid=" + gid + " branch=01 op=action: XA PREPARE failed");

        assertThat(failing.log).contains("rollback()");
        // the marker was recorded before the failed prepare: a resume rolls back instead of running again
        assertThat(progress()).containsExactly("01-business:succeed");
        assertThat(status()).isEqualTo(GlobalStatus.PREPARED);
    }

    @Test
    void anXaStepTakesNoOtherCallbackNorAction() {
        workflows.register("wf_cb_first", (wf, input) -> wf.branch().onRollback(ctx -> { })
                .doXa(db.dataSource(), c -> null));
        workflows.register("wf_cb_after", (wf, input) -> {
            var b = wf.branch();
            b.doXa(db.dataSource(), c -> null);
            b.onCommit(ctx -> { });
            return null;
        });
        workflows.register("wf_two", (wf, input) -> {
            var b = wf.branch();
            b.doLocal(ctx -> null);
            b.doXa(db.dataSource(), c -> null);
            return null;
        });

        assertThatThrownBy(() -> workflows.execute("wf_cb_first", gid + "1", new byte[0]))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("own commit and rollback");
        assertThatThrownBy(() -> workflows.execute("wf_cb_after", gid + "2", new byte[0]))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("at most one commit");
        assertThatThrownBy(() -> workflows.execute("wf_two", gid + "3", new byte[0]))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("at most one action");
    }

    @Test
    void xaDatabaseChecksItsArguments() {
        XaDatabase x = XaDatabase.builder().dataSource(db.dataSource()).dialect(XaDialect.MYSQL)
                .barrierTable("busi.barrier").build();

        assertThat(x).hasToString("XaDatabase[MYSQL, barrier=busi.barrier]");
        assertThatThrownBy(() -> x.phaseTwo(TransType.WORKFLOW, gid, "01", BranchOp.ACTION))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> x.phaseTwo(TransType.WORKFLOW, "g'", "01", BranchOp.COMMIT))
                .isInstanceOf(InvalidRequestException.class).hasMessageStartingWith("XaDatabase: ");
        assertThatThrownBy(() -> x.prepare(TransType.WORKFLOW, "g".repeat(62), "01", c -> { }, () -> { }))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("64");
        assertThatThrownBy(() -> XaDatabase.builder().build()).isInstanceOf(IllegalStateException.class);
        assertThat(db.connections()).isZero();
    }
}
