package io.dtm4j.server;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fake business service answers like DTM's busi, so the acceptance tests can trust it. */
@Timeout(30)
class BusiServiceTest {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private BusiService busi;

    @BeforeEach
    void setUp() {
        busi = BusiService.start();
    }

    @AfterEach
    void tearDown() {
        busi.close();
    }

    private HttpResponse<String> post(String endpoint, String body) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(busi.url() + "/" + endpoint + "?gid=g1&op=action"))
                .timeout(Duration.ofSeconds(10)).header("test_header", "yes")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void answersSuccessByDefaultWithNonEmptyJson() throws Exception {
        HttpResponse<String> r = post("TransIn", GoTrans.transReq());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"dtm_result\":\"SUCCESS\"}");
    }

    @Test
    void oneShotSwitchesApplyOnceThenSuccess() throws Exception {
        busi.setFailureReason("Insufficient balance");
        busi.setOnce("TransIn", "FAILURE");
        busi.setOnce("TransOut", "ONGOING");
        busi.setOnce("TransOutRevert", "ERROR");

        HttpResponse<String> failure = post("TransIn", "{}");
        assertThat(failure.statusCode()).isEqualTo(409);
        assertThat(failure.body()).contains("FAILURE").contains("reason:Insufficient balance");
        assertThat(post("TransIn", "{}").statusCode()).isEqualTo(200);
        assertThat(post("TransOut", "{}").statusCode()).isEqualTo(425);
        assertThat(post("TransOutRevert", "{}").statusCode()).isEqualTo(500);
        assertThat(post("TransOutRevert", "{}").statusCode()).isEqualTo(200);
    }

    @Test
    void payloadFieldsForceResultsWithTheCapitalR() throws Exception {
        assertThat(post("TransIn", GoTrans.transReq(30, "", "FAILURE")).statusCode()).isEqualTo(409);
        assertThat(post("TransOut", GoTrans.transReq(30, "ONGOING", "")).statusCode()).isEqualTo(425);
        assertThat(post("TransOut", "{\"trans_out_result\":\"FAILURE\"}").statusCode())
                .as("lower-case r is not the Go key").isEqualTo(200);
    }

    @Test
    void oldEndpointsAnswer200WithTheResultInTheBody() throws Exception {
        busi.setOnce("TransIn", "FAILURE");

        HttpResponse<String> r = post("TransInOld", "{}");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"dtm_result\":\"FAILURE\"}");
    }

    @Test
    void headerEndpoints() throws Exception {
        assertThat(post("TransOutHeaderYes", "{}").statusCode()).isEqualTo(200);
        assertThat(post("TransOutHeaderNo", "{}").statusCode()).isEqualTo(500);
    }

    @Test
    void recordsEveryRequest() throws Exception {
        post("TransOut", "{\"amount\":30}");

        BusiService.BusiRequest r = busi.requests().get(0);
        assertThat(r.method()).isEqualTo("POST");
        assertThat(r.endpoint()).isEqualTo("TransOut");
        assertThat(r.gid()).isEqualTo("g1");
        assertThat(r.op()).isEqualTo("action");
        assertThat(r.header("Test_Header")).isEqualTo("yes");
        assertThat(r.body()).isEqualTo("{\"amount\":30}");
    }

    @Test
    void holdsARequestUntilReleased() throws Exception {
        BusiService.Hold hold = busi.holdNext("TransIn");
        Thread caller = new Thread(() -> {
            try {
                post("TransIn", "{}");
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        caller.start();

        assertThat(hold.awaitArrived(Duration.ofSeconds(10))).isTrue();
        assertThat(caller.isAlive()).isTrue();
        hold.release();
        caller.join(10_000);
        assertThat(caller.isAlive()).isFalse();
    }

    @Test
    void rejectsUnknownSwitchesAndResults() {
        assertThatThrownBy(() -> busi.setOnce("TransInn", "FAILURE")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> busi.setOnce("TransIn", "BOOM")).isInstanceOf(IllegalArgumentException.class);
    }
}
