package io.dtm4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtm4j.server.RouteFixture.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

import static io.dtm4j.server.RouteFixture.API;
import static io.dtm4j.server.RouteFixture.assertError;
import static io.dtm4j.server.RouteFixture.assertFailure;
import static io.dtm4j.server.RouteFixture.assertJson;
import static io.dtm4j.server.RouteFixture.assertSuccess;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The workflow routes (spec server-protocol 1.4): prepareWorkflow, workflow registerBranch and workflow submit,
 * with bodies as DTM's Go workflow client sends them.
 */
class WorkflowRoutesTest {
    private static final String RESUME = "http://busi.test/api/busi/workflow/resume";
    private final RouteFixture f = new RouteFixture();

    @AfterEach
    void close() {
        f.close();
    }

    /** The Go client's prepareWorkflow body: TransBase with custom_data {"data":<base64>,"name":..}. */
    private static String prepareBody(String gid, String input) {
        String data = Base64.getEncoder().encodeToString(input.getBytes(StandardCharsets.UTF_8));
        return "{\"gid\":\"" + gid + "\",\"trans_type\":\"workflow\",\"custom_data\":\"{\\\"data\\\":\\\"" + data
                + "\\\",\\\"name\\\":\\\"wf_saga\\\"}\",\"concurrent\":false,\"query_prepared\":\"" + RESUME
                + "\",\"protocol\":\"http\"}";
    }

    /** The Go client's registerBranch body for a workflow step (a flat map of strings, sorted keys). */
    private static String record(String gid, String branchId, String op, String status, String data) {
        return "{\"branch_id\":\"" + branchId + "\",\"data\":" + RouteFixture.JSON.valueToTree(data) + ",\"gid\":\""
                + gid + "\",\"op\":\"" + op + "\",\"status\":\"" + status + "\",\"trans_type\":\"workflow\"}";
    }

    /** The Go client's workflow submit body. */
    private static String finish(String gid, String status, String reason, String result) {
        return "{\"gid\":\"" + gid + "\",\"trans_type\":\"workflow\",\"req_extra\":{\"result\":\"" + result
                + "\",\"rollback_reason\":" + RouteFixture.JSON.valueToTree(reason) + ",\"status\":\"" + status
                + "\"}}";
    }

    private Reply prepare(String gid) {
        Reply r = f.post(API + "prepareWorkflow", prepareBody(gid, "{\"amount\":30}"));
        assertThat(r.status()).as("reply %s", r).isEqualTo(200);
        assertJson(r);
        return r;
    }

    @Test
    void prepareWorkflowCreatesThePreparedWorkflowWithNoProgress() {
        JsonNode n = prepare("wfNew").json();

        assertThat(n.has("dtm_result")).isFalse();
        JsonNode t = n.path("transaction");
        assertThat(t.path("gid").asText()).isEqualTo("wfNew");
        assertThat(t.path("trans_type").asText()).isEqualTo("workflow");
        assertThat(t.path("status").asText()).isEqualTo("prepared");
        assertThat(t.path("query_prepared").asText()).isEqualTo(RESUME);
        assertThat(t.path("custom_data").asText()).contains("\"name\":\"wf_saga\"");
        assertThat(n.path("progresses").isArray()).isTrue();
        assertThat(n.path("progresses")).isEmpty();
        assertThat(f.busi.calls()).isEmpty();
    }

    @Test
    void prepareWorkflowAgainReturnsTheRecordedProgressWithBase64BinData() {
        prepare("wfAgain");
        assertSuccess(f.post(API + "registerBranch", record("wfAgain", "01", "action", "succeed", "{\"balance\":70}")));
        assertSuccess(f.post(API + "registerBranch", record("wfAgain", "02", "action", "failed", "no money")));

        JsonNode n = prepare("wfAgain").json();

        assertThat(n.path("transaction").path("status").asText()).isEqualTo("prepared");
        JsonNode p = n.path("progresses");
        assertThat(p).hasSize(2);
        assertThat(p.get(0).path("branch_id").asText()).isEqualTo("01");
        assertThat(p.get(0).path("op").asText()).isEqualTo("action");
        assertThat(p.get(0).path("status").asText()).isEqualTo("succeed");
        assertThat(new String(Base64.getDecoder().decode(p.get(0).path("bin_data").asText()), StandardCharsets.UTF_8))
                .isEqualTo("{\"balance\":70}");
        assertThat(p.get(1).path("status").asText()).isEqualTo("failed");
        assertThat(new String(Base64.getDecoder().decode(p.get(1).path("bin_data").asText()), StandardCharsets.UTF_8))
                .isEqualTo("no money");
    }

    @Test
    void recordingTheSameStepTwiceIs409() {
        prepare("wfDup");
        assertSuccess(f.post(API + "registerBranch", record("wfDup", "01", "action", "succeed", "")));

        assertFailure(f.post(API + "registerBranch", record("wfDup", "01", "action", "succeed", "")));
    }

    @Test
    void submitFinishesWithResultKeptVerbatimAndPrepareWorkflowThenReturnsIt() {
        String result = Base64.getEncoder().encodeToString("done".getBytes(StandardCharsets.UTF_8));
        prepare("wfDone");

        assertSuccess(f.post(API + "submit", finish("wfDone", "succeed", "", result)));

        JsonNode t = prepare("wfDone").json().path("transaction");
        assertThat(t.path("status").asText()).isEqualTo("succeed");
        assertThat(t.path("result").asText()).isEqualTo(result);
        assertThat(t.path("finish_time").asText()).isNotEmpty();
        assertFailure(f.post(API + "registerBranch", record("wfDone", "02", "action", "succeed", "")), "prepared");
    }

    @Test
    void aFailedWorkflowWhoseReasonSaysFailureIsStillA200Reply() {
        prepare("wfFailed");
        assertSuccess(f.post(API + "submit", finish("wfFailed", "failed", "reason:FAILURE from busi", "")));

        JsonNode t = prepare("wfFailed").json().path("transaction");

        assertThat(t.path("status").asText()).isEqualTo("failed");
        assertThat(t.path("rollback_reason").asText()).isEqualTo("reason:FAILURE from busi");
    }

    @Test
    void submittingAFinishedWorkflowAgainIs409() {
        prepare("wfTwice");
        assertSuccess(f.post(API + "submit", finish("wfTwice", "succeed", "", "")));

        assertFailure(f.post(API + "submit", finish("wfTwice", "failed", "late", "")), "cannot finish");
    }

    @Test
    void prepareWorkflowTakesOnlyWorkflowsAndPost() {
        assertError(f.post(API + "prepareWorkflow", "{\"gid\":\"wfSaga\",\"trans_type\":\"saga\"}"), 400, "workflow");
        assertError(f.get(API + "prepareWorkflow"), 405, "POST");
        assertError(f.post(API + "prepareWorkflow", "{\"trans_type\":\"workflow\"}"), 400, "gid");
        f.assertNothingStored();
    }

    @Test
    void anUnfinishedWorkflowIsResumedThroughItsCallbackWithTheDecodedInput() {
        prepare("wfResume");

        f.clock.advance(Duration.ofSeconds(11));
        f.coordinator.recoverOnce();

        assertThat(f.busi.calls()).hasSize(1);
        assertThat(f.busi.calls().get(0).url()).isEqualTo(RESUME);
        assertThat(f.busi.calls().get(0).op()).isEqualTo("wf_saga");
        assertThat(f.busi.calls().get(0).branchId()).isEqualTo("00");
        assertThat(new String(f.busi.calls().get(0).body(), StandardCharsets.UTF_8)).isEqualTo("{\"amount\":30}");
    }
}
