package io.dtm4j.core.testing;

import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.DuplicateBranchException;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.IllegalTransitionException;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionView;
import io.dtm4j.core.spi.BranchCall;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

import static io.dtm4j.core.testing.EngineHarness.BUSI;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The server side of workflows (spec 3.5): progress records, finish, and resume callbacks, on any store: extend it
 * and implement {@link #newStore()} (see {@link ScenarioSuite}).
 */
public abstract class WorkflowScenarios extends ScenarioSuite {

    private static TransRequest workflow(String gid, String input) {
        String data = Base64.getEncoder().encodeToString(input.getBytes(StandardCharsets.UTF_8));
        return TransRequest.builder(gid, TransType.WORKFLOW).queryPrepared(BUSI + "/workflow/resume")
                .customData("{\"name\":\"wf_saga\",\"data\":\"" + data + "\"}").build();
    }

    private void record(String gid, String branchId, String op, String status, String data) {
        h.coordinator.registerBranch(new BranchRegistration(gid, TransType.WORKFLOW, branchId,
                data.getBytes(StandardCharsets.UTF_8), Map.of("op", op, "status", status)));
    }

    @Test
    void prepareWorkflowCreatesOnceAndReturnsProgress() {
        TransactionView first = h.coordinator.prepareWorkflow(workflow("WfProgress", "{\"amount\":30}"));
        assertThat(first.global().status()).isEqualTo(GlobalStatus.PREPARED);
        assertThat(first.branches()).isEmpty();

        record("WfProgress", "01", "action", "succeed", "{\"ok\":1}");
        TransactionView again = h.coordinator.prepareWorkflow(workflow("WfProgress", "{\"amount\":30}"));

        assertThat(again.branches()).hasSize(1);
        assertThat(again.branches().get(0).status()).isEqualTo(BranchStatus.SUCCEED);
        assertThat(new String(again.branches().get(0).binData(), StandardCharsets.UTF_8)).isEqualTo("{\"ok\":1}");
    }

    @Test
    void recordingTheSameStepTwiceIsAConflict() {
        h.coordinator.prepareWorkflow(workflow("WfDuplicate", "{}"));
        record("WfDuplicate", "01", "action", "succeed", "");

        assertThatThrownBy(() -> record("WfDuplicate", "01", "action", "succeed", ""))
                .isInstanceOf(DuplicateBranchException.class);
    }

    @Test
    void submitFinishesWithResultAndRefusesLaterProgress() {
        h.coordinator.prepareWorkflow(workflow("WfFinish", "{}"));

        h.coordinator.submit(TransRequest.builder("WfFinish", TransType.WORKFLOW)
                .reqExtra("status", "succeed").reqExtra("result", "cmVzdWx0").build());

        assertThat(h.global("WfFinish").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.global("WfFinish").result()).isEqualTo("cmVzdWx0");
        assertThatThrownBy(() -> record("WfFinish", "02", "action", "succeed", ""))
                .isInstanceOf(IllegalTransitionException.class);
    }

    @Test
    void unfinishedWorkflowIsResumedThroughItsCallback() {
        h.coordinator.prepareWorkflow(workflow("WfResume", "{\"amount\":30}"));

        h.recoverAfter(Duration.ofSeconds(10));

        BranchCall resume = h.busi.calls().get(0);
        assertThat(resume.url()).isEqualTo(BUSI + "/workflow/resume");
        assertThat(resume.branchId()).isEqualTo("00");
        assertThat(resume.op()).isEqualTo("wf_saga");
        assertThat(new String(resume.body(), StandardCharsets.UTF_8)).isEqualTo("{\"amount\":30}");
        assertThat(resume.httpMethod()).isEqualTo("POST");
        assertThat(h.global("WfResume").status()).isEqualTo(GlobalStatus.PREPARED);
    }
}
