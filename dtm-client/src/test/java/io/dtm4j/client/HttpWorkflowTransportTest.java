package io.dtm4j.client;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.dtm4j.client.workflow.Workflows;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The workflow calls of the HTTP transport against a stubbed DTM server: the prepareWorkflow / registerBranch /
 * submit bodies the Go workflow client sends, and the judgement of prepareWorkflow replies.
 */
class HttpWorkflowTransportTest {
    private static final String PREFIX = "/api/dtmsvr";
    private static final String RESUME = "http://127.0.0.1:1/api/busi/workflow/resume";
    private static final String SUCCESS = "{\"dtm_result\":\"SUCCESS\"}";

    private final WireMockServer dtm = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    private DtmClient client;
    private Workflows workflows;

    @BeforeEach
    void start() {
        dtm.start();
        client = DtmClient.builder().serverUrl("http://127.0.0.1:" + dtm.port()).workflowResumeUrl(RESUME).build();
        workflows = client.workflows();
    }

    @AfterEach
    void stop() {
        client.close();
        dtm.stop();
    }

    private static String transaction(String gid, String status, String extra) {
        return "{\"id\":1,\"create_time\":\"2026-01-01T08:00:00+08:00\",\"update_time\":\"2026-01-01T08:00:00+08:00\","
                + "\"gid\":\"" + gid + "\",\"trans_type\":\"workflow\",\"status\":\"" + status + "\","
                + "\"protocol\":\"http\",\"next_cron_time\":\"2026-01-01T08:00:10+08:00\"" + extra + "}";
    }

    private List<LoggedRequest> requests(String route) {
        return dtm.findAll(postRequestedFor(urlEqualTo(PREFIX + route)));
    }

    private String onlyBody(String route) {
        assertThat(requests(route)).hasSize(1);
        return new String(requests(route).get(0).getBody(), StandardCharsets.UTF_8);
    }

    @Test
    void resumedRunReplaysRecordedStepsAndSubmitsTheGoBody() {
        String busi = "http://127.0.0.1:" + dtm.port() + "/busi";
        dtm.stubFor(post(PREFIX + "/prepareWorkflow").willReturn(okJson("{\"transaction\":"
                + transaction("W1", "prepared", "") + ",\"progresses\":[{\"branch_id\":\"01\",\"op\":\"action\","
                + "\"status\":\"succeed\",\"bin_data\":\"" + Base64.getEncoder().encodeToString("out".getBytes())
                + "\"}]}")));
        dtm.stubFor(post(PREFIX + "/registerBranch").willReturn(okJson(SUCCESS)));
        dtm.stubFor(post(PREFIX + "/submit").willReturn(okJson(SUCCESS)));
        dtm.stubFor(post(urlPathEqualTo("/busi/TransIn")).willReturn(okJson("{\"in\":1}")));
        workflows.register("wf", (wf, input) -> {
            byte[] out = wf.branch().call(busi + "/TransOut", input);
            byte[] in = wf.branch().call(busi + "/TransIn", input);
            return (new String(out, StandardCharsets.UTF_8) + new String(in, StandardCharsets.UTF_8)).getBytes();
        });

        byte[] result = workflows.execute("wf", "W1", "{}".getBytes(StandardCharsets.UTF_8));

        assertThat(new String(result, StandardCharsets.UTF_8)).isEqualTo("out{\"in\":1}");
        assertThat(onlyBody("/prepareWorkflow")).isEqualTo("{\"gid\":\"W1\",\"trans_type\":\"workflow\","
                + "\"custom_data\":\"{\\\"data\\\":\\\"e30=\\\",\\\"name\\\":\\\"wf\\\"}\",\"concurrent\":false,"
                + "\"query_prepared\":\"" + RESUME + "\",\"protocol\":\"http\"}");
        assertThat(dtm.findAll(postRequestedFor(urlPathEqualTo("/busi/TransOut")))).isEmpty();
        assertThat(onlyBody("/registerBranch")).isEqualTo("{\"branch_id\":\"02\",\"data\":\"{\\\"in\\\":1}\","
                + "\"gid\":\"W1\",\"op\":\"action\",\"status\":\"succeed\",\"trans_type\":\"workflow\"}");
        assertThat(onlyBody("/submit")).isEqualTo("{\"gid\":\"W1\",\"trans_type\":\"workflow\",\"concurrent\":false,"
                + "\"protocol\":\"http\",\"req_extra\":{\"result\":\""
                + Base64.getEncoder().encodeToString(result) + "\",\"rollback_reason\":\"\",\"status\":\"succeed\"}}");
    }

    @Test
    void aFailedWorkflowWhoseReplyMentionsFailureIsReadNotJudged() {
        dtm.stubFor(post(PREFIX + "/prepareWorkflow").willReturn(okJson("{\"transaction\":"
                + transaction("W2", "failed", ",\"rollback_reason\":\"reason:FAILURE from busi\"")
                + ",\"progresses\":[]}")));
        workflows.register("wf", (wf, input) -> new byte[0]);

        assertThatThrownBy(() -> workflows.execute("wf", "W2", new byte[0]))
                .isInstanceOf(DtmFailureException.class)
                .hasMessage("gid=W2: workflow wf failed: reason:FAILURE from busi (failed)");
        assertThat(requests("/submit")).isEmpty();
    }

    @Test
    void prepareWorkflowRefusalsAreJudgedByStatus() {
        workflows.register("wf", (wf, input) -> new byte[0]);
        dtm.stubFor(post(PREFIX + "/prepareWorkflow").willReturn(aResponse().withStatus(409)
                .withBody("{\"dtm_result\":\"FAILURE\",\"message\":\"no FAILURE\"}")));
        assertThatThrownBy(() -> workflows.execute("wf", "W3", new byte[0])).isInstanceOf(DtmFailureException.class);

        dtm.stubFor(post(PREFIX + "/prepareWorkflow").willReturn(aResponse().withStatus(500)
                .withBody("{\"message\":\"storage down\"}")));
        assertThatThrownBy(() -> workflows.execute("wf", "W3", new byte[0]))
                .isInstanceOf(DtmServerException.class)
                .hasMessageContaining("storage down");

        dtm.stubFor(post(PREFIX + "/prepareWorkflow").willReturn(okJson("{\"progresses\":[]}")));
        assertThatThrownBy(() -> workflows.execute("wf", "W3", new byte[0]))
                .isInstanceOf(DtmServerException.class)
                .hasMessageContaining("not DTM's");
    }
}
