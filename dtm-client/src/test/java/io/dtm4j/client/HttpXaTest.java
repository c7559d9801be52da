package io.dtm4j.client;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.spi.BranchCall;
import io.dtm4j.core.testing.ScriptedBranchInvoker;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The XA global side against a stubbed DTM server: what it posts, in which order, and the dtm query parameter. */
class HttpXaTest {
    private static final String PREFIX = "/api/dtmsvr";
    private static final String BUSI = "http://localhost:8081/api/busi";
    private static final String SUCCESS = "{\"dtm_result\":\"SUCCESS\"}";

    private final WireMockServer dtm = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    private final ScriptedBranchInvoker busi = new ScriptedBranchInvoker();
    private DtmClient client;

    @BeforeEach
    void start() {
        dtm.start();
        dtm.stubFor(post(PREFIX + "/prepare").willReturn(okJson(SUCCESS)));
        dtm.stubFor(post(PREFIX + "/submit").willReturn(okJson(SUCCESS)));
        dtm.stubFor(post(PREFIX + "/abort").willReturn(okJson(SUCCESS)));
        client = DtmClient.builder().serverUrl("http://127.0.0.1:" + dtm.port()).branchInvoker(busi).build();
    }

    @AfterEach
    void stop() {
        client.close();
        dtm.stop();
    }

    @Test
    void preparesCallsTheActionsThenSubmits() {
        client.xa("X", xa -> {
            xa.callBranch("{\"amount\":30}", BUSI + "/TransOutXa");
            return xa.callBranch("{\"amount\":30}", BUSI + "/TransInXa");
        });

        String body = "{\"gid\":\"X\",\"trans_type\":\"xa\",\"concurrent\":false,\"protocol\":\"http\"}";
        assertThat(onlyBody("/prepare")).isEqualTo(body);
        assertThat(onlyBody("/submit")).isEqualTo(body);
        dtm.verify(0, postRequestedFor(urlEqualTo(PREFIX + "/abort")));

        List<BranchCall> calls = busi.calls();
        assertThat(calls).extracting(BranchCall::branchId).containsExactly("01", "02");
        HttpUrl out = HttpUrl.parse(calls.get(0).url());
        assertThat(out.encodedPath()).isEqualTo("/api/busi/TransOutXa");
        assertThat(out.queryParameter("dtm")).isEqualTo("http://127.0.0.1:" + dtm.port() + PREFIX);
        assertThat(out.queryParameter("phase2_url")).isEqualTo(BUSI + "/TransOutXa");
        assertThat(calls.get(0).op()).isEqualTo("action");
        assertThat(calls.get(0).httpMethod()).isEqualTo("POST");
    }

    @Test
    void failingActionAbortsWithItsMessageAsReason() {
        busi.once(HttpUrl.parse(BUSI + "/TransInXa").newBuilder()
                .addQueryParameter("dtm", "http://127.0.0.1:" + dtm.port() + PREFIX)
                .addQueryParameter("phase2_url", BUSI + "/TransInXa").build().toString(), BranchResult.FAILURE,
                "{\"error\":\"reason:Insufficient balance\"}");

        assertThatThrownBy(() -> client.xa("Y", xa -> {
            xa.callBranch("", BUSI + "/TransOutXa");
            return xa.callBranch("", BUSI + "/TransInXa");
        })).isInstanceOf(DtmFailureException.class);

        assertThat(onlyBody("/abort")).startsWith("{\"gid\":\"Y\",\"trans_type\":\"xa\",")
                .contains("\"rollback_reason\":\"gid=Y branch=02 op=action: " + BUSI
                        + "/TransInXa answered FAILURE: {\\\"error\\\":\\\"reason:Insufficient balance\\\"}\"");
        dtm.verify(0, postRequestedFor(urlEqualTo(PREFIX + "/submit")));
    }

    @Test
    void refusedPrepareRunsNoBody() {
        dtm.stubFor(post(PREFIX + "/prepare").willReturn(aResponse().withStatus(409)
                .withBody("{\"dtm_result\":\"FAILURE\",\"message\":\"current status 'failed', cannot prepare\"}")));

        assertThatThrownBy(() -> client.xa("Z", xa -> xa.callBranch("", BUSI + "/TransOutXa")))
                .isInstanceOf(DtmFailureException.class).hasMessageContaining("cannot prepare");
        assertThat(busi.calls()).isEmpty();
        dtm.verify(0, postRequestedFor(urlEqualTo(PREFIX + "/abort")));
    }

    @Test
    void failedAbortIsAttachedToTheBodysException() {
        dtm.stubFor(post(PREFIX + "/abort").willReturn(aResponse().withStatus(500).withBody("{\"message\":\"down\"}")));

        assertThatThrownBy(() -> client.xa("W", xa -> {
            throw new IllegalStateException("local error");
        })).isInstanceOf(IllegalStateException.class)
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement().isInstanceOf(DtmServerException.class));
    }

    private String onlyBody(String route) {
        List<LoggedRequest> requests = dtm.findAll(postRequestedFor(urlEqualTo(PREFIX + route)));
        assertThat(requests).as("requests to %s", route).hasSize(1);
        return new String(requests.get(0).getBody(), StandardCharsets.UTF_8);
    }
}
