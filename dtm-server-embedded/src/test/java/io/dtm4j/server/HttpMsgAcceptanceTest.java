package io.dtm4j.server;

import io.dtm4j.server.BusiService.BusiRequest;
import io.dtm4j.server.DtmHttp.Query;
import io.dtm4j.server.DtmHttp.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The two-phase message rows of DTM's acceptance catalogue (spec server-protocol 3.2 and 9,
 * clients-and-barrier 3 and 12.5) driven black-box over HTTP with Go-shaped bodies. Gid = test name.
 */
@Timeout(60)
class HttpMsgAcceptanceTest {
    private static final String P = "prepared";
    private static final String S = "succeed";

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

    /** DTM's {@code genMsg}: TransOut then TransIn, back-check {@code QueryPrepared}. */
    private GoTrans genMsg() {
        String req = GoTrans.transReq();
        return GoTrans.msg(gid).add(h.busi("TransOut"), req).add(h.busi("TransIn"), req)
                .queryPrepared(h.busi("QueryPrepared"));
    }

    private static void assertSuccess(Reply r) {
        assertThat(r.status()).as("reply %s", r).isEqualTo(200);
        assertThat(r.dtmResult()).as("reply %s", r).isEqualTo("SUCCESS");
    }

    private Query query() {
        return h.dtm.query(gid);
    }

    private void assertState(String status, String... branches) {
        Query q = query();
        assertThat(q.status()).as("status of %s", gid).isEqualTo(status);
        assertThat(q.branchStatuses()).as("branch statuses of %s", gid).containsExactly(branches);
    }

    // ---- msg_test.go ----

    @Test
    void TestMsgNormal() {
        assertSuccess(h.dtm.submit(genMsg().json()));
        h.awaitIdle();

        assertState(S, S, S);
        assertThat(query().branchOps()).containsExactly("action", "action");
        assertThat(h.busi.endpoints()).containsExactly("TransOut", "TransIn");
        BusiRequest in = h.busi.requests("TransIn").get(0);
        assertThat(in.method()).isEqualTo("POST");
        assertThat(in.query()).containsEntry("gid", gid).containsEntry("trans_type", "msg")
                .containsEntry("branch_id", "02").containsEntry("op", "action");
        assertThat(in.body()).isEqualTo(GoTrans.transReq());
    }

    @Test
    void TestMsgTimeoutSuccess() {
        assertSuccess(h.dtm.prepare(genMsg().json()));
        assertState(P, P, P);

        h.busi.setOnce("QueryPrepared", "ONGOING");
        h.advanceSeconds(180);
        assertThat(h.recover().claimed()).isEqualTo(1);
        assertState(P, P, P);
        BusiRequest check = h.busi.requests("QueryPrepared").get(0);
        assertThat(check.method()).isEqualTo("GET");
        assertThat(check.query()).containsEntry("gid", gid).containsEntry("trans_type", "msg")
                .containsEntry("branch_id", "00").containsEntry("op", "msg");

        h.busi.setOnce("TransIn", "ONGOING");
        h.advanceSeconds(180);
        h.recover();
        assertState("submitted", S, P);

        h.advanceSeconds(11);
        assertThat(h.recover().claimed()).isEqualTo(1);
        assertState(S, S, S);
    }

    @Test
    void TestMsgTimeoutFailed() {
        assertSuccess(h.dtm.prepare(genMsg().json()));

        h.busi.setOnce("QueryPrepared", "ONGOING");
        h.advanceSeconds(360);
        h.recover();
        assertState(P, P, P);

        h.busi.setOnce("QueryPrepared", "FAILURE");
        h.advanceSeconds(180);
        h.recover();

        assertState("failed", P, P);
        assertThat(h.busi.endpoints()).containsExactly("QueryPrepared", "QueryPrepared");
    }

    @Test
    void TestMsgAbnormal() {
        String body = genMsg().json();
        assertSuccess(h.dtm.prepare(body));
        assertSuccess(h.dtm.prepare(body)); // prepare twice: idempotent
        assertSuccess(h.dtm.submit(body)); // submit after prepare
        h.awaitIdle();
        assertState(S, S, S);

        Reply again = h.dtm.prepare(body); // prepare after finish
        assertThat(again.status()).as("reply %s", again).isEqualTo(409);
        assertThat(again.body()).contains("FAILURE");
    }

    @Test
    void TestMsgActionFailureIsRetried() {
        h.busi.setOnce("TransIn", "FAILURE");
        assertSuccess(h.dtm.submit(genMsg().json()));
        h.awaitIdle();
        // FAILURE from a msg action is not terminal: retried like an error
        assertState("submitted", S, P);

        h.advanceSeconds(21);
        h.recover();
        assertState(S, S, S);
    }

    @Test
    void TestMsgWaitResultOngoing() {
        h.busi.setOnce("TransIn", "ONGOING");
        Reply r = h.dtm.submit(genMsg().waitResult().json());

        assertThat(r.status()).as("reply %s", r).isEqualTo(425);
        assertThat(r.body()).contains("ONGOING");
        assertState("submitted", S, P);

        h.advanceSeconds(11);
        h.recover();
        assertState(S, S, S);
    }

    @Test
    void TestMsgWaitResultNormal() {
        assertSuccess(h.dtm.submit(genMsg().waitResult().json()));

        assertState(S, S, S);
    }

    @Test
    void TestMsgWaitResultError() {
        h.busi.setOnce("TransIn", "ERROR");
        Reply r = h.dtm.submit(genMsg().waitResult().json());

        // spec 3.2: a temporary branch error is returned; with wait_result that is a 500
        assertThat(r.status()).as("reply %s", r).isEqualTo(500);
        assertThat(r.body()).doesNotContain("FAILURE");
        assertState("submitted", S, P);
        assertThat(query().nextCronInterval()).isEqualTo(20);

        h.advanceSeconds(21);
        h.recover();
        assertState(S, S, S);
    }

    @Test
    void TestMsgBackCheckErrorBacksOff() {
        assertSuccess(h.dtm.prepare(genMsg().json()));

        h.busi.setOnce("QueryPrepared", "ERROR");
        h.advanceSeconds(60);
        h.recover();

        assertState(P, P, P);
        Query q = query();
        assertThat(q.nextCronInterval()).isEqualTo(20);
        assertThat(q.nextCronTime()).isEqualTo(h.now().plusSeconds(20));

        h.advanceSeconds(21);
        h.recover();
        assertState(S, S, S);
    }

    @Test
    void TestMsgShortTimeoutIsTheRetryInterval() {
        assertSuccess(h.dtm.prepare(genMsg().timeoutToFail(5).json()));

        // spec 4: a timeout_to_fail shorter than RetryInterval becomes the retry interval
        Query q = query();
        assertThat(q.nextCronInterval()).isEqualTo(5);
        assertThat(q.nextCronTime()).isEqualTo(h.now().plusSeconds(5));

        h.advanceSeconds(6);
        assertThat(h.recover().claimed()).isEqualTo(1);
        assertState(S, S, S);
    }

    @Test
    void TestMsgIntervalResetAfterSuccess() {
        h.busi.setOnce("TransOut", "ERROR");
        assertSuccess(h.dtm.submit(genMsg().json()));
        h.awaitIdle();
        assertThat(query().nextCronInterval()).as("backed off after the ERROR").isEqualTo(20);

        h.busi.setOnce("TransIn", "ONGOING");
        h.advanceSeconds(21);
        h.recover();

        // spec 3.0/G4: TransOut's success restores the grown interval; TransIn's ONGOING then keeps it
        Query q = query();
        assertState("submitted", S, P);
        assertThat(q.nextCronInterval()).as("next_cron_interval after success then ONGOING").isEqualTo(10);
        assertThat(q.nextCronTime()).isEqualTo(h.now().plusSeconds(10));
    }

    // ---- msg_delay_test.go ----

    @Test
    void TestMsgDelayNormal() {
        assertSuccess(h.dtm.submit(genMsg().delay(10).json()));
        h.awaitIdle();
        assertState("submitted", P, P);

        assertThat(h.recover().claimed()).isZero();
        h.advanceSeconds(8);
        assertThat(h.recover().claimed()).isZero();
        assertThat(h.busi.requests()).isEmpty();

        h.advanceSeconds(4);
        assertThat(h.recover().claimed()).isEqualTo(1);
        assertState(S, S, S);
        assertThat(h.busi.endpoints()).containsExactly("TransOut", "TransIn");
    }

    // ---- msg_options_test.go ----

    @Test
    void TestMsgOptionsConcurrent() throws InterruptedException {
        BusiService.Hold out = h.busi.holdNext("TransOut");
        assertSuccess(h.dtm.submit(genMsg().concurrent().json()));

        boolean inCalled = h.busi.awaitRequest(r -> r.endpoint().equals("TransIn"), Duration.ofSeconds(10));
        out.release();
        h.awaitIdle();

        assertThat(inCalled).as("TransIn called while TransOut was in flight").isTrue();
        assertState(S, S, S);
    }

    @Test
    void TestMsgOptionsTimeout() {
        assertSuccess(h.dtm.prepare(genMsg().json()));

        h.advanceSeconds(20); // before the default 35 s timeout
        h.recover();
        assertState(P, P, P);
        assertThat(h.busi.count("QueryPrepared")).isZero();

        h.advanceSeconds(40); // +60 s
        h.recover();
        assertThat(h.busi.count("QueryPrepared")).isEqualTo(1);
        assertState(S, S, S);
    }

    @Test
    void TestMsgOptionsTimeoutCustom() {
        assertSuccess(h.dtm.prepare(genMsg().timeoutToFail(120).json()));

        h.advanceSeconds(60);
        h.recover();
        assertState(P, P, P);
        assertThat(h.busi.count("QueryPrepared")).isZero();

        h.advanceSeconds(120); // +180 s
        h.recover();
        assertState(S, S, S);
    }

    @Test
    void TestMsgOptionsTimeoutFailed() {
        assertSuccess(h.dtm.prepare(genMsg().timeoutToFail(120).json()));

        h.advanceSeconds(60);
        h.recover();
        assertState(P, P, P);

        h.busi.setOnce("QueryPrepared", "FAILURE");
        h.advanceSeconds(120);
        h.recover();
        assertState("failed", P, P);
    }

    @Test
    void TestMsgEmptyQueryPreparedIsAutoSubmitted() {
        String req = GoTrans.transReq();
        assertSuccess(h.dtm.prepare(GoTrans.msg(gid).add(h.busi("TransOut"), req).json()));

        h.advanceSeconds(60);
        h.recover();

        // no back-check URL counts as SUCCESS (G9)
        assertState(S, S);
        assertThat(h.busi.endpoints()).containsExactly("TransOut");
    }

    // ---- abort (DoAndSubmit when the local transaction failed) ----

    @Test
    void TestMsgAbortPrepared() {
        String body = genMsg().json();
        assertSuccess(h.dtm.prepare(body));

        assertSuccess(h.dtm.abort(body));

        assertState("failed", P, P);
        assertThat(h.busi.requests()).isEmpty();
        Reply again = h.dtm.abort(body); // only a prepared msg may be aborted
        assertThat(again.status()).as("reply %s", again).isEqualTo(409);
        assertThat(again.body()).contains("FAILURE");
        Reply submit = h.dtm.submit(body);
        assertThat(submit.status()).as("reply %s", submit).isEqualTo(409);
    }
}
