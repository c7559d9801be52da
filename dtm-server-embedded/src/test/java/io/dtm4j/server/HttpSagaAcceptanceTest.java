package io.dtm4j.server;

import io.dtm4j.core.RecoveryReport;
import io.dtm4j.server.BusiService.BusiRequest;
import io.dtm4j.server.DtmHttp.Query;
import io.dtm4j.server.DtmHttp.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The saga rows of DTM's acceptance catalogue (spec server-protocol 9, clients-and-barrier 12.5) driven
 * black-box over HTTP: bodies shaped exactly as the Go SDK sends them, branches served by {@link BusiService}
 * through the real branch invoker, time moved by hand, recovery run by hand. Gid = test name.
 */
@Timeout(60)
class HttpSagaAcceptanceTest {
    private static final String P = "prepared";
    private static final String S = "succeed";
    private static final String F = "failed";

    private HttpHarness h;
    private String gid;

    @BeforeEach
    void setUp(TestInfo info) {
        gid = info.getTestMethod().orElseThrow().getName();
        h = HttpHarness.start();
    }

    @AfterEach
    void tearDown() {
        if (h != null) {
            h.close();
        }
    }

    /** DTM's {@code genSaga}: TransOut/TransOutRevert then TransIn/TransInRevert, amount 30. */
    private GoTrans genSaga(String outResult, String inResult) {
        String req = GoTrans.transReq(30, outResult, inResult);
        return GoTrans.saga(gid)
                .add(h.busi("TransOut"), h.busi("TransOutRevert"), req)
                .add(h.busi("TransIn"), h.busi("TransInRevert"), req);
    }

    /** DTM's {@code genSaga1}: TransOut/TransOutRevert only. */
    private GoTrans genSaga1() {
        return GoTrans.saga(gid).add(h.busi("TransOut"), h.busi("TransOutRevert"), GoTrans.transReq());
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

    // ---- saga_test.go ----

    @Test
    void TestSagaNormal() {
        String payload = GoTrans.transReq();
        assertSuccess(h.dtm.submit(genSaga("", "").json()));
        h.awaitIdle();

        assertState(S, P, S, P, S);
        assertThat(query().rollbackReason()).isEmpty();
        assertThat(query().branchOps()).containsExactly("compensate", "action", "compensate", "action");
        assertThat(h.busi.endpoints()).containsExactly("TransOut", "TransIn");
        BusiRequest out = h.busi.requests("TransOut").get(0);
        assertThat(out.method()).isEqualTo("POST");
        assertThat(out.query()).containsEntry("gid", gid).containsEntry("trans_type", "saga")
                .containsEntry("branch_id", "01").containsEntry("op", "action");
        assertThat(out.header("Content-Type")).startsWith("application/json");
        assertThat(out.body()).isEqualTo(payload);
        assertThat(h.busi.requests("TransIn").get(0).branchId()).isEqualTo("02");
    }

    @Test
    void TestSagaRollback() {
        h.busi.setFailureReason("Insufficient balance");
        assertSuccess(h.dtm.submit(genSaga("", "FAILURE").json()));
        h.awaitIdle();

        assertState(F, S, S, S, F);
        assertThat(query().rollbackReason()).contains("Insufficient balance");
        // compensation covers the failed step too, strictly in reverse order
        assertThat(h.busi.endpoints()).containsExactly("TransOut", "TransIn", "TransInRevert", "TransOutRevert");
        assertThat(h.busi.requests("TransInRevert").get(0).op()).isEqualTo("compensate");
    }

    @Test
    void TestSagaOngoingSucceed() {
        h.busi.setOnce("TransOut", "ONGOING");
        assertSuccess(h.dtm.submit(genSaga("", "").json()));
        h.awaitIdle();
        assertState("submitted", P, P, P, P);

        h.advanceSeconds(11);
        RecoveryReport r = h.recover();

        assertThat(r.claimed()).isEqualTo(1);
        assertState(S, P, S, P, S);
    }

    @Test
    void TestSagaFailed() {
        h.busi.setOnce("TransOutRevert", "ERROR");
        assertSuccess(h.dtm.submit(genSaga("", "FAILURE").json()));
        h.awaitIdle();
        assertThat(query().status()).isEqualTo("aborting");

        h.advanceSeconds(21); // the ERROR doubled the 10 s interval
        RecoveryReport r = h.recover();

        assertThat(r.claimed()).isEqualTo(1);
        assertThat(r.finished()).isEqualTo(1);
        assertState(F, S, S, S, F);
        assertThat(h.busi.count("TransOutRevert")).isEqualTo(2);
    }

    @Test
    void TestSagaAbnormal() {
        h.busi.setOnce("TransOut", "ONGOING");
        String body = genSaga("", "").json();
        assertSuccess(h.dtm.submit(body));
        h.awaitIdle();
        assertThat(query().status()).isEqualTo("submitted");

        assertSuccess(h.dtm.submit(body)); // submit twice: accepted, processed again
        h.awaitIdle();
        assertThat(query().status()).isEqualTo(S);

        Reply again = h.dtm.submit(body); // a succeeded saga cannot be submitted
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.body()).contains("FAILURE");
        h.awaitIdle();
        assertState(S, P, S, P, S);
    }

    @Test
    void TestSagaEmptyUrl() {
        String req = GoTrans.transReq();
        GoTrans saga = GoTrans.saga(gid).add(h.busi("TransOut"), "", req).add("", "", req);
        assertSuccess(h.dtm.submit(saga.json()));
        h.awaitIdle();

        assertState(S, P, S, P, S);
        assertThat(h.busi.endpoints()).containsExactly("TransOut");
    }

    @Test
    void TestSagaEmptyUrlRollback() {
        String req = GoTrans.transReq(30, "", "FAILURE");
        GoTrans saga = GoTrans.saga(gid).add("", "", req).add(h.busi("TransIn"), "", req);
        assertSuccess(h.dtm.submit(saga.json()));
        h.awaitIdle();

        assertState(F, S, S, S, F);
        assertThat(h.busi.endpoints()).containsExactly("TransIn");
    }

    // ---- saga_concurrent_test.go ----

    @Test
    void TestSagaConNormal() {
        assertSuccess(h.dtm.submit(genSaga("", "").concurrent().json()));
        h.awaitIdle();

        assertState(S, P, S, P, S);
    }

    @Test
    void TestSagaConStartsActionsTogether() throws InterruptedException {
        BusiService.Hold out = h.busi.holdNext("TransOut");
        assertSuccess(h.dtm.submit(genSaga("", "").concurrent().json()));

        // TransIn is called while TransOut is still held: both actions started at once
        boolean inCalled = h.busi.awaitRequest(r -> r.endpoint().equals("TransIn"), Duration.ofSeconds(10));
        out.release();
        h.awaitIdle();

        assertThat(inCalled).as("TransIn called while TransOut was in flight").isTrue();
        assertState(S, P, S, P, S);
    }

    @Test
    void TestSagaConRollbackNormal() {
        h.busi.setOnce("TransOutRevert", "ONGOING");
        assertSuccess(h.dtm.submit(genSaga("FAILURE", "").concurrent().json()));
        h.awaitIdle();
        assertThat(query().status()).isEqualTo("aborting");

        h.advanceSeconds(11);
        RecoveryReport r = h.recover();

        assertThat(r.claimed()).isEqualTo(1);
        assertState(F, S, F, S, S);
    }

    @Test
    void TestSagaConRollbackOrder() {
        assertSuccess(h.dtm.submit(genSaga("FAILURE", "").concurrent().order(1, List.of(0)).json()));
        h.awaitIdle();

        // step 1 waited for step 0, which failed: it never started and is not compensated
        assertState(F, S, F, P, P);
        assertThat(h.busi.endpoints()).containsExactly("TransOut", "TransOutRevert");
    }

    @Test
    void TestSagaConRollbackOrder2() {
        assertSuccess(h.dtm.submit(genSaga("", "FAILURE").concurrent().order(1, List.of(0)).json()));
        h.awaitIdle();

        assertState(F, S, S, S, F);
        assertThat(h.busi.endpoints()).containsExactly("TransOut", "TransIn", "TransInRevert", "TransOutRevert");
    }

    @Test
    void TestSagaConCommittedOngoing() {
        h.busi.setOnce("TransOut", "ONGOING");
        assertSuccess(h.dtm.submit(genSaga("", "").concurrent().json()));
        h.awaitIdle();
        assertState("submitted", P, P, P, S);

        h.advanceSeconds(11);
        h.recover();

        assertState(S, P, S, P, S);
        assertThat(h.busi.count("TransIn")).isEqualTo(1);
    }

    // ---- saga_options_test.go ----

    @Test
    void TestSagaOptionsRetryOngoing() {
        h.busi.setOnce("TransOut", "ONGOING");
        assertSuccess(h.dtm.submit(genSaga1().retryInterval(150).json()));
        h.awaitIdle();
        Query q = query();
        assertThat(q.status()).isEqualTo("submitted");
        // ONGOING keeps the interval: a fixed retry after 150 s
        assertThat(q.nextCronInterval()).isEqualTo(150);
        assertThat(q.nextCronTime()).isEqualTo(h.now().plusSeconds(150));

        h.advanceSeconds(149);
        assertThat(h.recover().claimed()).isZero();
        h.advanceSeconds(2);
        assertThat(h.recover().claimed()).isEqualTo(1);

        assertState(S, P, S);
    }

    @Test
    void TestSagaOptionsRetryError() {
        h.busi.setOnce("TransOut", "ERROR");
        assertSuccess(h.dtm.submit(genSaga1().retryInterval(150).json()));
        h.awaitIdle();
        Query q = query();
        assertState("submitted", P, P);
        // a temporary error doubles the interval
        assertThat(q.nextCronInterval()).isEqualTo(300);
        assertThat(q.nextCronTime()).isEqualTo(h.now().plusSeconds(300));

        h.advanceSeconds(180);
        assertThat(h.recover().claimed()).isZero();
        h.advanceSeconds(180);
        assertThat(h.recover().claimed()).isEqualTo(1);

        assertState(S, P, S);
    }

    @Test
    void TestSagaOptionsRetryErrorTwiceDoublesAgain() {
        h.busi.setTimes("TransOut", "ERROR", 2);
        assertSuccess(h.dtm.submit(genSaga1().retryInterval(150).json()));
        h.awaitIdle();
        assertThat(query().nextCronInterval()).isEqualTo(300);

        h.advanceSeconds(301);
        h.recover();
        Query q = query();
        assertThat(q.status()).isEqualTo("submitted");
        assertThat(q.nextCronInterval()).isEqualTo(600);
        assertThat(q.nextCronTime()).isEqualTo(h.now().plusSeconds(600));

        h.advanceSeconds(601);
        h.recover();
        Query done = query();
        assertThat(done.status()).isEqualTo(S);
    }

    @Test
    void TestSagaOptionsIntervalResetAfterSuccess() {
        h.busi.setOnce("TransOut", "ERROR");
        assertSuccess(h.dtm.submit(genSaga("", "").json()));
        h.awaitIdle();
        assertThat(query().nextCronInterval()).as("backed off after the ERROR").isEqualTo(20);

        h.busi.setOnce("TransIn", "ONGOING");
        h.advanceSeconds(21);
        h.recover();

        // spec 3.0/G4: the successful TransOut restores the base interval (it had grown), then TransIn's ONGOING
        // keeps that restored interval
        Query q = query();
        assertState("submitted", P, S, P, P);
        assertThat(q.nextCronInterval()).as("next_cron_interval after success then ONGOING").isEqualTo(10);
        assertThat(q.nextCronTime()).isEqualTo(h.now().plusSeconds(10));
    }

    @Test
    void TestSagaResetNextCronTime() {
        h.busi.setOnce("TransOut", "ONGOING");
        assertSuccess(h.dtm.submit(genSaga1().retryInterval(150).json()));
        h.awaitIdle();
        assertThat(h.recover().claimed()).isZero();

        assertSuccess(h.dtm.post("resetNextCronTime", "{\"gid\":\"" + gid + "\"}"));
        assertThat(query().nextCronTime()).isEqualTo(h.now());
        h.advanceSeconds(1);
        assertThat(h.recover().claimed()).isEqualTo(1);

        assertState(S, P, S);
    }

    @Test
    void TestSagaOptionsTimeout() {
        h.busi.setOnce("TransOut", "ONGOING");
        assertSuccess(h.dtm.submit(genSaga("", "").timeoutToFail(1800).json()));
        h.awaitIdle();
        assertThat(query().status()).isEqualTo("submitted");

        h.advanceSeconds(3600);
        assertThat(h.recover().claimed()).isEqualTo(1);

        assertState(F, S, P, P, P);
        assertThat(query().rollbackReason()).matches("^Timeout after \\d+ seconds$");
        // the ONGOING action may have run, so it is compensated; step 2 never started
        assertThat(h.busi.endpoints()).containsExactly("TransOut", "TransOutRevert");
    }

    @Test
    void TestSagaGlobalTransWithRequestTimeout() {
        GoTrans saga = GoTrans.saga(gid).add(h.busi("TransOut"), "", "null").waitResult().requestTimeout(6);
        assertSuccess(h.dtm.submit(saga.json()));

        assertState(S, P, S);
    }

    @Test
    void TestSagaRequestTimeoutApplies() throws InterruptedException {
        h.close();
        h = HttpHarness.start(Duration.ofSeconds(60)); // the server-wide timeout would outlast the client
        BusiService.Hold hold = h.busi.holdNext("TransIn");
        GoTrans saga = genSaga("", "").waitResult().requestTimeout(1);

        Reply r = h.dtm.submit(saga.json()); // returns only because the 1 s per-trans timeout applies

        assertThat(hold.arrived()).isTrue();
        assertThat(r.status()).as("reply %s", r).isNotEqualTo(200);
        assertState("submitted", P, S, P, P);
        assertThat(query().nextCronInterval()).as("timeout counts as a temporary error").isEqualTo(20);
        hold.release();

        h.advanceSeconds(21);
        h.recover();
        assertState(S, P, S, P, S);
    }

    @Test
    void TestSagaOptionsNormalWait() {
        Reply r = h.dtm.submit(genSaga("", "").waitResult().json());

        assertSuccess(r);
        // final when submit returns: no waiting for background work
        assertState(S, P, S, P, S);
    }

    @Test
    void TestSagaOptionsCommittedOngoingWait() {
        h.busi.setOnce("TransOut", "ONGOING");
        Reply r = h.dtm.submit(genSaga("", "").waitResult().json());

        assertThat(r.status()).as("reply %s", r).isNotEqualTo(200).isIn(409, 425);
        assertState("submitted", P, P, P, P);

        h.advanceSeconds(11);
        assertThat(h.recover().claimed()).isEqualTo(1);
        assertState(S, P, S, P, S);
    }

    @Test
    void TestSagaOptionsRollbackWait() {
        h.busi.setFailureReason("Insufficient balance");
        Reply r = h.dtm.submit(genSaga("", "FAILURE").waitResult().json());

        assertThat(r.status()).as("reply %s", r).isEqualTo(409);
        assertThat(r.body()).contains("FAILURE").contains("Insufficient balance");
        assertState(F, S, S, S, F);
    }

    @Test
    void TestSagaOptionsRetryLimit() {
        h.busi.setTimes("TransIn", "ERROR", 3);
        assertSuccess(h.dtm.submit(genSaga("", "").retryLimit(3).json()));
        h.awaitIdle();

        assertState(S, P, S, P, S);
        assertThat(h.busi.count("TransIn")).as("three immediate retries in one round").isEqualTo(4);
    }

    @Test
    void TestSagaOptionsRetryLimitExceeded() {
        h.busi.setTimes("TransIn", "ERROR", 2);
        assertSuccess(h.dtm.submit(genSaga("", "").retryLimit(1).json()));
        h.awaitIdle();

        assertState(F, S, S, S, P);
        assertThat(query().rollbackReason()).isEqualTo("RetryCount is greater than RetryLimit, RetryLimit: 1");
        assertThat(h.busi.count("TransIn")).isEqualTo(2);
    }

    @Test
    void TestSagaHeaders() {
        GoTrans saga = GoTrans.saga(gid).add(h.busi("TransOutHeaderYes"), "", "null")
                .branchHeader("test_header", "test").waitResult();
        assertSuccess(h.dtm.submit(saga.json()));

        assertState(S, P, S);
        assertThat(h.busi.requests("TransOutHeaderYes").get(0).header("test_header")).isEqualTo("test");
    }

    @Test
    void TestSagaHeadersYes1() {
        h.busi.setOnce("TransOut", "ONGOING");
        GoTrans saga = GoTrans.saga(gid).add(h.busi("TransOutHeaderYes"), "", "null")
                .branchHeader("test_header", "test");
        assertSuccess(h.dtm.submit(saga.json()));
        h.awaitIdle();
        assertThat(query().status()).isEqualTo("submitted");

        h.advanceSeconds(11);
        assertThat(h.recover().claimed()).isEqualTo(1);

        assertThat(query().status()).isEqualTo(S);
        // the headers come from the store on recovery, not from the request
        assertThat(h.busi.requests("TransOutHeaderYes")).hasSize(2)
                .allSatisfy(r -> assertThat(r.header("test_header")).isEqualTo("test"));
    }

    @Test
    void TestSagaHeadersNo() {
        GoTrans saga = GoTrans.saga(gid).add(h.busi("TransOutHeaderNo"), "", "null").waitResult();
        assertSuccess(h.dtm.submit(saga.json()));

        assertState(S, P, S);
    }

    // ---- saga_compatible_test.go ----

    @Test
    void TestSagaCompatibleNormal() {
        // old clients put each payload in steps[].data and send no payloads (DTM's exact test body)
        String data = "{\\\"amount\\\":30,\\\"transInResult\\\":\\\"SUCCESS\\\","
                + "\\\"transOutResult\\\":\\\"SUCCESS\\\"}";
        String body = "{\"gid\":\"" + gid + "\",\"trans_type\":\"saga\",\"steps\":["
                + "{\"action\":\"" + h.busi("TransOut") + "\",\"compensate\":\"" + h.busi("TransOutRevert")
                + "\",\"data\":\"" + data + "\"},"
                + "{\"action\":\"" + h.busi("TransIn") + "\",\"compensate\":\"" + h.busi("TransInRevert")
                + "\",\"data\":\"" + data + "\"}]}";
        assertSuccess(h.dtm.submit(body));
        h.awaitIdle();

        assertState(S, P, S, P, S);
        assertThat(h.busi.requests("TransIn").get(0).body())
                .isEqualTo("{\"amount\":30,\"transInResult\":\"SUCCESS\",\"transOutResult\":\"SUCCESS\"}");
    }

    // ---- tcc_old_test.go style: 200 with {"dtm_result":...} ----

    @Test
    void TestSagaOldStyleFailureBody() {
        h.busi.setOnce("TransIn", "FAILURE");
        String req = GoTrans.transReq();
        GoTrans saga = GoTrans.saga(gid)
                .add(h.busi("TransOutOld"), h.busi("TransOutRevertOld"), req)
                .add(h.busi("TransInOld"), h.busi("TransInRevertOld"), req);
        assertSuccess(h.dtm.submit(saga.json()));
        h.awaitIdle();

        // TransInOld answered 200 {"dtm_result":"FAILURE"}: that is a FAILURE
        assertState(F, S, S, S, F);
        assertThat(h.busi.endpoints())
                .containsExactly("TransOutOld", "TransInOld", "TransInRevertOld", "TransOutRevertOld");
    }

    @Test
    void TestSagaOldStyleOngoingBody() {
        h.busi.setOnce("TransOut", "ONGOING");
        String req = GoTrans.transReq();
        GoTrans saga = GoTrans.saga(gid)
                .add(h.busi("TransOutOld"), h.busi("TransOutRevertOld"), req)
                .add(h.busi("TransInOld"), h.busi("TransInRevertOld"), req);
        assertSuccess(h.dtm.submit(saga.json()));
        h.awaitIdle();
        assertState("submitted", P, P, P, P);

        h.advanceSeconds(11);
        h.recover();
        assertState(S, P, S, P, S);
    }

    // ---- counts ----

    @Test
    void happySagaWithWaitResultCostsTwoStoreWrites() {
        h.store.reset();

        assertSuccess(h.dtm.submit(genSaga("", "").waitResult().json()));
        h.awaitIdle();

        // the intent (transaction + branches) and the final status with every branch status
        assertThat(h.store.writes()).isEqualTo(2);
        assertState(S, P, S, P, S);
        assertThat(h.busi.requests()).hasSize(2);
    }
}
