package io.dtm4j.server;

import io.dtm4j.server.BusiService.BusiRequest;
import io.dtm4j.server.DtmHttp.Query;
import io.dtm4j.server.DtmHttp.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replays request bodies recorded from real DTM clients ({@code src/test/resources/fixtures/}, see its
 * README) against the server and checks each is accepted and processed to the end.
 */
@Timeout(60)
class WireFixturesTest {
    private static final String GO_PAYLOAD = GoTrans.transReq();

    private HttpHarness h;
    private String gid;

    @BeforeEach
    void setUp(TestInfo info) {
        gid = info.getTestMethod().orElseThrow().getName();
        h = HttpHarness.start();
    }

    @AfterEach
    void tearDown() {
        h.close();
    }

    /** The fixture with {@code {{gid}}} and {@code {{busi}}} filled in. */
    private String fixture(String name) {
        try (InputStream in = WireFixturesTest.class.getResourceAsStream("/fixtures/" + name)) {
            assertThat(in).as("fixture %s on the test classpath", name).isNotNull();
            String body = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .replace("{{gid}}", gid).replace("{{busi}}", h.busi.url()).strip();
            assertThat(body).as("unfilled placeholder in %s", name).doesNotContain("{{");
            return body;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void assertSuccess(Reply r) {
        assertThat(r.status()).as("reply %s", r).isEqualTo(200);
        // the Java SDK needs dtm_result SUCCESS; every SDK fails a body containing FAILURE
        assertThat(r.dtmResult()).as("reply %s", r).isEqualTo("SUCCESS");
        assertThat(r.body()).doesNotContain("FAILURE");
    }

    private void assertFinal(String status, String... branches) {
        Query q = h.dtm.query(gid);
        assertThat(q.status()).as("status of %s", gid).isEqualTo(status);
        assertThat(q.branchStatuses()).as("branch statuses of %s", gid).containsExactly(branches);
    }

    @Test
    void goSagaSubmit() {
        assertSuccess(h.dtm.submit(fixture("go-saga-submit.json")));
        h.awaitIdle();

        assertFinal("succeed", "prepared", "succeed", "prepared", "succeed");
        assertThat(h.busi.endpoints()).containsExactly("TransOut", "TransIn");
        assertThat(h.busi.requests("TransOut").get(0).body()).isEqualTo(GO_PAYLOAD);
    }

    @Test
    void goSagaSubmitWithAllOptions() {
        Reply r = h.dtm.submit(fixture("go-saga-submit-all-options.json"));

        assertSuccess(r);
        assertFinal("succeed", "prepared", "succeed", "prepared", "succeed");
        assertThat(h.busi.requests()).allSatisfy(b -> assertThat(b.header("test_header")).isEqualTo("test"));
    }

    @Test
    void goSagaConcurrentWithOrders() {
        assertSuccess(h.dtm.submit(fixture("go-saga-concurrent-orders-submit.json")));
        h.awaitIdle();

        assertFinal("succeed", "prepared", "succeed", "prepared", "succeed");
        // orders {"1":[0]}: TransIn only after TransOut succeeded
        assertThat(h.busi.endpoints()).containsExactly("TransOut", "TransIn");
    }

    @Test
    void goMsgPrepareThenSubmit() {
        assertSuccess(h.dtm.prepare(fixture("go-msg-prepare.json")));
        assertFinal("prepared", "prepared", "prepared");

        assertSuccess(h.dtm.submit(fixture("go-msg-submit.json")));
        h.awaitIdle();

        assertFinal("succeed", "succeed", "succeed");
        assertThat(h.busi.endpoints()).containsExactly("TransOut", "TransIn");
    }

    @Test
    void goMsgPrepareThenBackCheck() {
        assertSuccess(h.dtm.prepare(fixture("go-msg-prepare.json")));

        h.advanceSeconds(60);
        h.recover();

        assertFinal("succeed", "succeed", "succeed");
        assertThat(h.busi.endpoints()).containsExactly("QueryPrepared", "TransOut", "TransIn");
    }

    @Test
    void javaSdk214SagaSubmit() {
        assertSuccess(h.dtm.submit(fixture("java-sdk-2.1.4-saga-submit.json")));
        h.awaitIdle();

        assertFinal("succeed", "prepared", "succeed", "prepared", "succeed");
        assertThat(h.busi.endpoints()).containsExactly("TransOut", "TransIn");
        // passthrough_headers and subType are ignored; the payload string reaches the busi unchanged
        BusiRequest out = h.busi.requests("TransOut").get(0);
        assertThat(out.body())
                .isEqualTo("{\"amount\":30,\"transInResult\":\"SUCCESS\",\"transOutResult\":\"SUCCESS\"}");
    }

    @Test
    void javaSdk214ConcurrentSagaWithWaitResult() {
        assertSuccess(h.dtm.submit(fixture("java-sdk-2.1.4-saga-concurrent-submit.json")));

        assertFinal("succeed", "prepared", "succeed", "prepared", "succeed");
        assertThat(h.busi.endpoints()).containsExactly("TransOut", "TransIn");
    }

    @Test
    void pythonMsgSubmitWithNulls() {
        assertSuccess(h.dtm.submit(fixture("python-msg-submit.json")));
        h.awaitIdle();

        // "protocol":null means http
        assertFinal("succeed", "succeed", "succeed");
        assertThat(h.busi.requests("TransIn").get(0).body()).isEqualTo("{\"amount\": 30}");
    }

    @Test
    void pythonLegacySagaWithStepData() {
        assertSuccess(h.dtm.submit(fixture("python-saga-legacy-submit.json")));
        h.awaitIdle();

        assertFinal("succeed", "prepared", "succeed", "prepared", "succeed");
        assertThat(h.busi.requests("TransOut").get(0).body()).isEqualTo("{\"amount\": 30}");
    }
}
