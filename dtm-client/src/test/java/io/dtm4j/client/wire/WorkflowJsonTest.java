package io.dtm4j.client.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionView;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The prepareWorkflow reply (spec server-protocol 1.4, clients-and-barrier 6.2 and 13.4), both ways. */
class WorkflowJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
    private static final String RESULT = Base64.getEncoder().encodeToString("done".getBytes(StandardCharsets.UTF_8));

    private static TransactionView view() {
        GlobalTransaction g = new GlobalTransaction(7, "wf1", TransType.WORKFLOW, GlobalStatus.SUCCEED,
                "http://me/resume", "http", T, T, Optional.of(T), Optional.empty(), TransOptions.DEFAULT,
                "{\"data\":\"e30=\",\"name\":\"wf_saga\"}", Duration.ZERO, T, "", "", RESULT, "");
        Branch ok = new Branch(1, "wf1", "", "{\"balance\":70}".getBytes(StandardCharsets.UTF_8), "01",
                BranchOp.ACTION, BranchStatus.SUCCEED, T, T, Optional.of(T));
        Branch failed = new Branch(2, "wf1", "", "FAILURE: no money".getBytes(StandardCharsets.UTF_8), "02",
                BranchOp.ACTION, BranchStatus.FAILED, T, T, Optional.of(T));
        return new TransactionView(g, List.of(ok, failed));
    }

    @Test
    void rendersTransactionAndProgressesWithBase64BinDataAndVerbatimResult() throws Exception {
        JsonNode n = JSON.readTree(DtmJson.renderWorkflowProgress(view()));

        assertThat(n.has("branches")).isFalse();
        JsonNode t = n.path("transaction");
        assertThat(t.path("gid").asText()).isEqualTo("wf1");
        assertThat(t.path("status").asText()).isEqualTo("succeed");
        assertThat(t.path("result").asText()).isEqualTo(RESULT);
        assertThat(t.has("rollback_reason")).isFalse();
        JsonNode p = n.path("progresses");
        assertThat(p).hasSize(2);
        assertThat(p.get(0).path("branch_id").asText()).isEqualTo("01");
        assertThat(p.get(0).path("op").asText()).isEqualTo("action");
        assertThat(p.get(0).path("status").asText()).isEqualTo("succeed");
        assertThat(Base64.getDecoder().decode(p.get(0).path("bin_data").asText()))
                .isEqualTo("{\"balance\":70}".getBytes(StandardCharsets.UTF_8));
        assertThat(p.get(1).path("status").asText()).isEqualTo("failed");
    }

    @Test
    void newWorkflowHasAnEmptyProgressArray() throws Exception {
        TransactionView fresh = new TransactionView(view().global().withStatus(GlobalStatus.PREPARED, T), List.of());

        JsonNode n = JSON.readTree(DtmJson.renderWorkflowProgress(fresh));

        assertThat(n.path("progresses").isArray()).isTrue();
        assertThat(n.path("progresses")).isEmpty();
    }

    @Test
    void roundTrips() {
        TransactionView parsed = DtmJson.parseWorkflowProgress(DtmJson.renderWorkflowProgress(view()));

        assertThat(parsed.global().gid()).isEqualTo("wf1");
        assertThat(parsed.global().status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(parsed.global().result()).isEqualTo(RESULT);
        assertThat(parsed.branches()).hasSize(2);
        assertThat(parsed.branches().get(1).binData()).isEqualTo("FAILURE: no money".getBytes(StandardCharsets.UTF_8));
        assertThat(parsed.branches().get(1).status()).isEqualTo(BranchStatus.FAILED);
    }

    @Test
    void parsesDtmsOwnReplyAndIgnoresUnknownKeys() {
        String dtm = "{\"transaction\":{\"id\":3,\"create_time\":\"2026-01-01T08:00:00+08:00\","
                + "\"update_time\":\"2026-01-01T08:00:00+08:00\",\"gid\":\"wf2\",\"trans_type\":\"workflow\","
                + "\"status\":\"prepared\",\"query_prepared\":\"http://me/resume\",\"protocol\":\"http\","
                + "\"custom_data\":\"{\\\"data\\\":\\\"\\\",\\\"name\\\":\\\"w\\\"}\",\"concurrent\":false,"
                + "\"next_cron_time\":\"2026-01-01T08:00:10+08:00\",\"rollback_reason\":\"x FAILURE\",\"extra\":1},"
                + "\"progresses\":[{\"id\":1,\"gid\":\"wf2\",\"bin_data\":\"b2s=\",\"branch_id\":\"01\","
                + "\"op\":\"action\",\"status\":\"succeed\",\"create_time\":\"2026-01-01T08:00:00+08:00\"}]}";

        TransactionView v = DtmJson.parseWorkflowProgress(dtm.getBytes(StandardCharsets.UTF_8));

        assertThat(v.global().status()).isEqualTo(GlobalStatus.PREPARED);
        assertThat(v.global().rollbackReason()).isEqualTo("x FAILURE");
        assertThat(new String(v.branches().get(0).binData(), StandardCharsets.UTF_8)).isEqualTo("ok");
    }

    @Test
    void rejectsAReplyWithoutTransaction() {
        assertThatThrownBy(() -> DtmJson.parseWorkflowProgress("{\"progresses\":[]}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("transaction");
    }

    @Test
    void workflowRequestBodyAsTheGoClientSendsIt() {
        TransRequest r = TransRequest.builder("wf3", TransType.WORKFLOW).queryPrepared("http://me/resume")
                .customData("{\"data\":\"e30=\",\"name\":\"wf_saga\"}").build();

        assertThat(new String(DtmJson.renderTransRequest(r), StandardCharsets.UTF_8)).isEqualTo(
                "{\"gid\":\"wf3\",\"trans_type\":\"workflow\",\"custom_data\":\"{\\\"data\\\":\\\"e30=\\\","
                        + "\\\"name\\\":\\\"wf_saga\\\"}\",\"concurrent\":false,"
                        + "\"query_prepared\":\"http://me/resume\",\"protocol\":\"http\"}");
    }
}
