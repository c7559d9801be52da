package io.dtm4j.client;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The HTTP transport against a stubbed DTM server: request bodies and the judgement of replies. */
class HttpTransportTest {
    private static final String PREFIX = "/api/dtmsvr";
    private static final String BUSI = "http://localhost:8081/api/busi";
    private static final String SUCCESS = "{\"dtm_result\":\"SUCCESS\"}";

    /** DTM's busi request body ({@code ReqHTTP}), field order as Go declares it. */
    record ReqHttp(int amount, String trans_in_result, String trans_out_Result) {
    }

    private final WireMockServer dtm = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    private DtmClient client;

    @BeforeEach
    void start() {
        dtm.start();
        // A base URL without path: the client adds /api/dtmsvr, as DTM's Java SDK does.
        client = DtmClient.http("http://127.0.0.1:" + dtm.port());
    }

    @AfterEach
    void stop() {
        client.close();
        dtm.stop();
    }

    @Test
    void sagaSubmitPostsTheGoSdkBody() {
        dtm.stubFor(post(PREFIX + "/submit").willReturn(okJson(SUCCESS)));
        ReqHttp req = new ReqHttp(30, "", "");

        String gid = client.saga("X")
                .add(BUSI + "/TransOut", BUSI + "/TransOutRevert", req)
                .add(BUSI + "/TransIn", BUSI + "/TransInRevert", req)
                .submit();

        assertThat(gid).isEqualTo("X");
        String payload = "{\\\"amount\\\":30,\\\"trans_in_result\\\":\\\"\\\",\\\"trans_out_Result\\\":\\\"\\\"}";
        // The Go SDK sends "protocol":""; TransRequest normalises an empty protocol to http, which every
        // DTM server reads the same way.
        String goBody = "{\"gid\":\"X\",\"trans_type\":\"saga\",\"concurrent\":false,"
                + "\"steps\":[{\"action\":\"" + BUSI + "/TransOut\",\"compensate\":\"" + BUSI + "/TransOutRevert\"},"
                + "{\"action\":\"" + BUSI + "/TransIn\",\"compensate\":\"" + BUSI + "/TransInRevert\"}],"
                + "\"payloads\":[\"" + payload + "\",\"" + payload + "\"],\"protocol\":\"http\"}";
        assertThat(onlyBody("/submit")).isEqualTo(goBody);
        assertThat(onlyRequest("/submit").getHeader("Content-Type")).startsWith("application/json");
    }

    @Test
    void concurrentSagaWithOptionsPostsCustomDataAndOptions() {
        dtm.stubFor(post(PREFIX + "/submit").willReturn(okJson(SUCCESS)));

        client.saga("Y")
                .add(BUSI + "/TransOut", BUSI + "/TransOutRevert", "{}")
                .add(BUSI + "/TransIn", BUSI + "/TransInRevert", "{}")
                .concurrent().addBranchOrder(1, 0)
                .waitResult().timeoutToFail(Duration.ofSeconds(1800)).requestTimeout(Duration.ofSeconds(6))
                .retryInterval(Duration.ofSeconds(15)).retryLimit(2).branchHeader("test_header", "yes")
                .submit();

        assertThat(onlyBody("/submit")).isEqualTo("{\"gid\":\"Y\",\"trans_type\":\"saga\","
                + "\"custom_data\":\"{\\\"concurrent\\\":true,\\\"orders\\\":{\\\"1\\\":[0]}}\","
                + "\"wait_result\":true,\"timeout_to_fail\":1800,\"request_timeout\":6,\"retry_interval\":15,"
                + "\"branch_headers\":{\"test_header\":\"yes\"},\"concurrent\":false,\"retry_limit\":2,"
                + "\"steps\":[{\"action\":\"" + BUSI + "/TransOut\",\"compensate\":\"" + BUSI + "/TransOutRevert\"},"
                + "{\"action\":\"" + BUSI + "/TransIn\",\"compensate\":\"" + BUSI + "/TransInRevert\"}],"
                + "\"payloads\":[\"{}\",\"{}\"],\"protocol\":\"http\"}");
    }

    @Test
    void msgPreparesSubmitsAndAbortsOnTheirRoutes() {
        dtm.stubFor(post(PREFIX + "/prepare").willReturn(okJson(SUCCESS)));
        dtm.stubFor(post(PREFIX + "/submit").willReturn(okJson(SUCCESS)));
        dtm.stubFor(post(PREFIX + "/abort").willReturn(okJson(SUCCESS)));
        Msg msg = client.msg("M").add(BUSI + "/TransIn", "{\"amount\":30}").delay(Duration.ofSeconds(10)).concurrent();

        msg.prepare(BUSI + "/QueryPrepared");
        msg.submit();
        msg.abort();

        String body = "{\"gid\":\"M\",\"trans_type\":\"msg\",\"custom_data\":\"{\\\"delay\\\":10}\","
                + "\"concurrent\":true,\"steps\":[{\"action\":\"" + BUSI + "/TransIn\"}],"
                + "\"payloads\":[\"{\\\"amount\\\":30}\"],\"query_prepared\":\"" + BUSI + "/QueryPrepared\","
                + "\"protocol\":\"http\"}";
        assertThat(onlyBody("/prepare")).isEqualTo(body);
        assertThat(onlyBody("/submit")).isEqualTo(body);
        assertThat(onlyBody("/abort")).isEqualTo(body);
    }

    @Test
    void newGidReadsTheGidOfTheReply() {
        dtm.stubFor(get(PREFIX + "/newGid").willReturn(okJson("{\"gid\":\"abcDEF123\",\"dtm_result\":\"SUCCESS\"}")));

        assertThat(client.newGid()).isEqualTo("abcDEF123");
        assertThat(client.saga().gid()).hasSize(22).isNotEqualTo("abcDEF123");
        dtm.verify(1, getRequestedFor(urlEqualTo(PREFIX + "/newGid")));
    }

    @Test
    void newGidReplyWithoutGidIsAServerError() {
        dtm.stubFor(get(PREFIX + "/newGid").willReturn(okJson("{\"dtm_result\":\"SUCCESS\"}")));

        assertThatThrownBy(client::newGid).isInstanceOf(DtmServerException.class).hasMessageContaining("has no gid");
    }

    @Test
    void conflictIsFailureWithTheServerMessage() {
        dtm.stubFor(post(PREFIX + "/submit").willReturn(aResponse().withStatus(409)
                .withBody("{\"dtm_result\":\"FAILURE\","
                        + "\"message\":\"current status 'succeed', cannot sumbmit. FAILURE\"}")));

        assertThatThrownBy(() -> client.saga("G1").add(BUSI + "/TransOut", "", "{}").submit())
                .isInstanceOf(DtmFailureException.class)
                .hasMessageContaining("gid=G1")
                .hasMessageContaining("current status 'succeed', cannot sumbmit")
                .hasMessageContaining("HTTP 409");
    }

    @Test
    void tooEarlyIsOngoing() {
        dtm.stubFor(post(PREFIX + "/submit").willReturn(aResponse().withStatus(425)
                .withBody("{\"dtm_result\":\"ONGOING\",\"message\":\"ONGOING\"}")));

        assertThatThrownBy(() -> client.msg("G2").add(BUSI + "/TransIn", "{}").waitResult().submit())
                .isInstanceOf(DtmOngoingException.class)
                .hasMessageContaining("gid=G2");
    }

    @Test
    void serverErrorIsServerExceptionWithStatusAndMessage() {
        dtm.stubFor(post(PREFIX + "/submit").willReturn(aResponse().withStatus(500)
                .withBody("{\"message\":\"storage: database is locked\"}")));

        assertThatThrownBy(() -> client.saga("G3").add(BUSI + "/TransOut", "", "{}").submit())
                .isInstanceOf(DtmServerException.class)
                .isNotInstanceOfAny(DtmFailureException.class, DtmOngoingException.class)
                .hasMessageContaining("storage: database is locked")
                .satisfies(e -> assertThat(((DtmServerException) e).statusCode()).isEqualTo(500));
    }

    @Test
    void okWithFailureInTheBodyIsFailure() {
        dtm.stubFor(post(PREFIX + "/prepare").willReturn(okJson("{\"dtm_result\":\"FAILURE\"}")));

        assertThatThrownBy(() -> client.msg("G4").add(BUSI + "/TransIn", "{}").prepare(BUSI + "/QueryPrepared"))
                .isInstanceOf(DtmFailureException.class)
                .hasMessageContaining("HTTP 200");
    }

    @Test
    void okWithoutFailureIsSuccessWhateverTheBody() {
        dtm.stubFor(post(PREFIX + "/submit").willReturn(aResponse().withStatus(200)));

        assertThat(client.saga("G5").add(BUSI + "/TransOut", "", "{}").submit()).isEqualTo("G5");
    }

    @Test
    void noServerIsATransportErrorNamingTheUrl() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (DtmClient down = DtmClient.http("127.0.0.1:" + port)) {
            assertThatThrownBy(() -> down.saga("G6").add(BUSI + "/TransOut", "", "{}").submit())
                    .isInstanceOf(DtmTransportException.class)
                    .hasMessageContaining("http://127.0.0.1:" + port + "/api/dtmsvr/submit")
                    .hasMessageContaining("is the DTM server running")
                    .satisfies(e -> assertThat(((DtmTransportException) e).url())
                            .isEqualTo("http://127.0.0.1:" + port + "/api/dtmsvr/submit"))
                    .hasCauseInstanceOf(IOException.class);
        }
    }

    @Test
    void slowServerIsATransportErrorAfterTheTimeout() {
        dtm.stubFor(post(PREFIX + "/submit").willReturn(okJson(SUCCESS).withFixedDelay(3000)));

        try (DtmClient impatient = DtmClient.builder().serverUrl(dtm.baseUrl() + PREFIX)
                .timeout(Duration.ofMillis(300)).build()) {
            assertThatThrownBy(() -> impatient.saga("G7").add(BUSI + "/TransOut", "", "{}").submit())
                    .isInstanceOf(DtmTransportException.class)
                    .hasMessageContaining("no answer within 300 ms");
        }
    }

    @Test
    void doAndSubmitCallsTheBackCheckOverHttpWhenTheLocalWorkEndsInDoubt() {
        String busi = dtm.baseUrl() + "/api/busi";
        dtm.stubFor(post(PREFIX + "/prepare").willReturn(okJson(SUCCESS)));
        dtm.stubFor(post(PREFIX + "/submit").willReturn(okJson(SUCCESS)));
        dtm.stubFor(get(urlPathEqualTo("/api/busi/QueryPrepared")).willReturn(okJson(SUCCESS)));
        IllegalStateException doubt = new IllegalStateException("commit result unknown");

        assertThatThrownBy(() -> client.msg("G8").add(busi + "/TransIn", "{}").branchHeader("test_header", "yes")
                .doAndSubmit(busi + "/QueryPrepared", () -> {
                    throw doubt;
                })).isSameAs(doubt);

        dtm.verify(getRequestedFor(urlPathEqualTo("/api/busi/QueryPrepared"))
                .withQueryParam("gid", equalTo("G8"))
                .withQueryParam("branch_id", equalTo("00"))
                .withQueryParam("op", equalTo("msg"))
                .withQueryParam("trans_type", equalTo("msg"))
                .withHeader("test_header", equalTo("yes")));
        dtm.verify(1, postRequestedFor(urlEqualTo(PREFIX + "/submit")));
    }

    @Test
    void serverUrlFormsAreNormalised() {
        assertThat(HttpTransport.normalizeBaseUrl("127.0.0.1:36789")).isEqualTo("http://127.0.0.1:36789/api/dtmsvr");
        assertThat(HttpTransport.normalizeBaseUrl("http://dtm:36789")).isEqualTo("http://dtm:36789/api/dtmsvr");
        assertThat(HttpTransport.normalizeBaseUrl("http://dtm:36789/")).isEqualTo("http://dtm:36789/api/dtmsvr");
        assertThat(HttpTransport.normalizeBaseUrl("https://dtm/api/dtmsvr/")).isEqualTo("https://dtm/api/dtmsvr");
        assertThat(HttpTransport.normalizeBaseUrl(" http://gw:80/dtm ")).isEqualTo("http://gw:80/dtm");
        assertThatThrownBy(() -> HttpTransport.normalizeBaseUrl("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DtmClient.http("ftp://dtm:21")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("127.0.0.1:36789");
    }

    private LoggedRequest onlyRequest(String route) {
        List<LoggedRequest> found = dtm.findAll(postRequestedFor(urlEqualTo(PREFIX + route)));
        assertThat(found).hasSize(1);
        return found.get(0);
    }

    private String onlyBody(String route) {
        return new String(onlyRequest(route).getBody(), StandardCharsets.UTF_8);
    }
}
