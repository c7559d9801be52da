package io.dtm4j.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.http.Fault;
import io.dtm4j.server.BranchFaultService.Answer;
import io.dtm4j.server.DtmHttp.Query;
import io.dtm4j.server.DtmHttp.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.dtm4j.server.BranchFaultService.Answer.fault;
import static io.dtm4j.server.BranchFaultService.Answer.status;
import static io.dtm4j.server.BranchFaultService.Answer.success;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every kind of branch fault, through the whole server: a branch service on WireMock answers 5xx, FAILURE, ONGOING,
 * slowly, with a reset or broken connection or garbage, and the test checks that the coordinator classifies each as
 * {@code spec/server-protocol.md} 0 says, retries it on the schedule of section 4 (temporary error: the interval
 * doubles from RetryInterval; ONGOING: the same interval again; success: the base interval again), never takes an
 * unknown result for a success, rolls back on FAILURE only where DTM does (saga actions, msg back-checks), and counts
 * all of it in {@code /api/metrics} (ops-reliability-security C2 #6-#9).
 *
 * <p>Time moves only by hand: after each round the test reads {@code next_cron_interval} and {@code next_cron_time}
 * from {@code query}, shows that one second earlier nothing is due, then moves the clock to the due time and runs
 * one recovery step. Counts (calls, rounds, metric samples) are asserted, never timings. Gid = test name.
 */
@Timeout(60)
class BranchFaultsTest {
    /** DTM's default RetryInterval, the base of every schedule here, in seconds. */
    private static final long BASE = 10;
    private static final String SUBMITTED = "submitted";
    private static final String ABORTING = "aborting";
    private static final String P = "prepared";
    private static final String S = "succeed";
    private static final String F = "failed";
    private static final String OUT = "/busi/TransOut";
    private static final String OUT_REVERT = "/busi/TransOutRevert";
    private static final String IN = "/busi/TransIn";
    private static final String IN_REVERT = "/busi/TransInRevert";
    private static final String FEE = "/busi/Fee";
    private static final String FEE_REVERT = "/busi/FeeRevert";
    private static final String QUERY_PREPARED = "/busi/QueryPrepared";
    private static final String OUT_CONFIRM = "/busi/TransOutConfirm";
    private static final String OUT_CANCEL = "/busi/TransOutCancel";
    private static final String IN_CONFIRM = "/busi/TransInConfirm";
    private static final String IN_CANCEL = "/busi/TransInCancel";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static BranchFaultService busi;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private HttpHarness h;
    private String gid;

    @BeforeAll
    static void startBusi() {
        busi = BranchFaultService.start();
    }

    @AfterAll
    static void stopBusi() {
        busi.close();
    }

    @BeforeEach
    void setUp(TestInfo info) {
        gid = info.getTestMethod().orElseThrow().getName();
        busi.reset();
        h = HttpHarness.start();
    }

    @AfterEach
    void tearDown() {
        if (h != null) {
            h.close();
        }
    }

    // ---- saga: temporary errors ----

    // any status but 200 that is not 409 or 425 is a temporary error, a 2xx included (spec 0)
    @ParameterizedTest(name = "HTTP {0}")
    @ValueSource(ints = {500, 502, 503, 404, 204})
    void temporaryErrorsAreRetriedWithADoublingIntervalUntilTheyStop(int code) {
        busi.script(OUT, status(code, "busy"), status(code, "busy"), status(code, "busy"), success());
        busi.script(IN, success());

        submitSaga(saga());

        assertPending(SUBMITTED, 20, P, P, P, P);
        recoverWhenDue();
        assertPending(SUBMITTED, 40, P, P, P, P);
        recoverWhenDue();
        assertPending(SUBMITTED, 80, P, P, P, P);
        recoverWhenDue();
        assertState(S, P, S, P, S);
        assertThat(busi.paths()).containsExactly(OUT, OUT, OUT, OUT, IN);
        Map<String, Double> m = metrics();
        assertThat(branchCount(m, "saga", "01", "action", "fail")).isEqualTo(3);
        assertThat(branchCount(m, "saga", "01", "action", "ok")).isEqualTo(1);
        assertThat(branchCount(m, "saga", "02", "action", "ok")).isEqualTo(1);
        assertThat(branchCount(m, "saga", "02", "action", "fail")).isZero();
        assertThat(retries(m, "saga")).isEqualTo(3);
        assertThat(rounds(m, "saga", "fail")).isEqualTo(3);
        assertThat(rounds(m, "saga", "ok")).isEqualTo(1);
    }

    @Test
    void aSuccessAfterBackOffRestoresTheBaseIntervalAndAnOngoingThenKeepsIt() {
        busi.script(OUT, status(500, "down"), status(500, "down"), success());
        busi.script(IN, status(425, ""), success());

        submitSaga(saga());

        assertPending(SUBMITTED, 20, P, P, P, P);
        recoverWhenDue();
        assertPending(SUBMITTED, 40, P, P, P, P);
        recoverWhenDue(); // TransOut succeeds (back to 10 s), TransIn answers ONGOING (kept at 10 s)
        assertPending(SUBMITTED, BASE, P, S, P, P);
        recoverWhenDue();
        assertState(S, P, S, P, S);
        assertThat(busi.paths()).containsExactly(OUT, OUT, OUT, IN, IN);
    }

    @Test
    void aConcurrentSagaKeepsTheStepThatSucceededAndRetriesOnlyTheOneThatErred() {
        busi.script(OUT, status(503, "down"), status(503, "down"), success());
        busi.script(IN, success());

        submitSaga(saga().concurrent());

        // TransIn's success is stored with the round's end, so later rounds call TransOut alone
        assertPending(SUBMITTED, 20, P, P, P, S);
        recoverWhenDue();
        assertPending(SUBMITTED, 40, P, P, P, S);
        recoverWhenDue();
        assertState(S, P, S, P, S);
        assertThat(busi.calls(OUT)).isEqualTo(3);
        assertThat(busi.calls(IN)).isEqualTo(1);
    }

    @Test
    void retryLimitReissuesAnErringActionAtOnceThenAbortsTheSaga() {
        busi.script(OUT, status(503, "down"));
        busi.script(OUT_REVERT, success());

        submitSaga(saga().retryLimit(2));

        // one round: the call and two immediate re-issues, then aborting; TransOut may have run, so it is undone
        assertState(F, S, P, P, P);
        assertThat(query().rollbackReason()).isEqualTo("RetryCount is greater than RetryLimit, RetryLimit: 2");
        assertThat(busi.paths()).containsExactly(OUT, OUT, OUT, OUT_REVERT);
        Map<String, Double> m = metrics();
        assertThat(branchCount(m, "saga", "01", "action", "fail")).isEqualTo(3);
        assertThat(branchCount(m, "saga", "01", "compensate", "ok")).isEqualTo(1);
        assertThat(retries(m, "saga")).isZero();
    }

    // ---- saga: FAILURE ----

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            "409 | no money",
            "200 | {\"dtm_result\":\"FAILURE\"}",
            // DTM's substring rule: a 200 whose body merely contains FAILURE is a FAILURE (spec 0, G3)
            "200 | {\"note\":\"card FAILURE at the bank\"}",
    })
    void failureStopsTheSagaAndCompensatesTheDoneStepsInReverseWithoutRetry(int code, String body) {
        busi.script(OUT, success());
        busi.script(IN, success());
        busi.script(FEE, status(code, body));
        busi.script(OUT_REVERT, success());
        busi.script(IN_REVERT, success());
        busi.script(FEE_REVERT, success());

        submitSaga(saga().add(busi.url(FEE), busi.url(FEE_REVERT), GoTrans.transReq()));

        // one round: the failed step is compensated too (G1), strictly in reverse
        assertState(F, S, S, S, S, S, F);
        assertThat(query().rollbackReason()).isEqualTo("url:" + busi.url(FEE) + " return failed: " + body + ". FAILURE");
        assertThat(busi.paths()).containsExactly(OUT, IN, FEE, FEE_REVERT, IN_REVERT, OUT_REVERT);
        h.advance(Duration.ofDays(1));
        assertThat(h.recover().claimed()).as("a failed saga is never due").isZero();
        assertThat(busi.paths()).hasSize(6);
        Map<String, Double> m = metrics();
        assertThat(branchCount(m, "saga", "03", "action", "fail")).isEqualTo(1);
        for (String id : List.of("01", "02", "03")) {
            assertThat(branchCount(m, "saga", id, "compensate", "ok")).isEqualTo(1);
            assertThat(branchCount(m, "saga", id, "compensate", "fail")).isZero();
        }
        assertThat(retries(m, "saga")).isZero();
        assertThat(rounds(m, "saga", "fail")).as("the round that ended failed").isEqualTo(1);
        assertThat(rounds(m, "saga", "ok")).isZero();
        assertThat(m).containsEntry(sample("dtm4j_transactions_status_total", "model", "saga", "status", "aborting"),
                1.0);
    }

    // ---- saga: ONGOING ----

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            "425 | ''",
            "200 | {\"dtm_result\":\"ONGOING\"}",
            "200 | {\"note\":\"payment ONGOING at the bank\"}",
            // ONGOING wins over FAILURE (G3)
            "200 | {\"note\":\"no FAILURE yet, still ONGOING\"}",
    })
    void ongoingIsPolledAtAFixedIntervalThenSucceeds(int code, String body) {
        busi.script(OUT, status(code, body), status(code, body), status(code, body), success());
        busi.script(IN, success());

        submitSaga(saga());

        for (int round = 0; round < 3; round++) {
            assertPending(SUBMITTED, BASE, P, P, P, P);
            recoverWhenDue();
        }
        assertState(S, P, S, P, S);
        assertThat(busi.paths()).containsExactly(OUT, OUT, OUT, OUT, IN);
        Map<String, Double> m = metrics();
        assertThat(branchCount(m, "saga", "01", "action", "fail")).isEqualTo(3);
        assertThat(branchCount(m, "saga", "01", "action", "ok")).isEqualTo(1);
        assertThat(retries(m, "saga")).isEqualTo(3);
        assertThat(rounds(m, "saga", "fail")).isEqualTo(3);
        assertThat(rounds(m, "saga", "ok")).isEqualTo(1);
    }

    @Test
    void ongoingForEverKeepsASagaSubmittedAndPolledBecauseASagaHasNoDefaultTimeout() {
        busi.script(OUT, status(425, ""));

        submitSaga(saga());

        for (int round = 0; round < 10; round++) {
            assertPending(SUBMITTED, BASE, P, P, P, P);
            recoverWhenDue();
        }
        // far past TimeoutToFail (35 s), which applies to every type but saga (spec 3.0, G5)
        h.advance(Duration.ofDays(1));
        assertThat(h.recover().claimed()).isEqualTo(1);
        assertPending(SUBMITTED, BASE, P, P, P, P);
        assertThat(query().rollbackReason()).isEmpty();
        assertThat(busi.calls(OUT)).isEqualTo(12);
        assertThat(busi.paths()).containsOnly(OUT);
        Map<String, Double> m = metrics();
        assertThat(branchCount(m, "saga", "01", "action", "fail")).isEqualTo(12);
        assertThat(retries(m, "saga")).isEqualTo(12);
        assertThat(m).doesNotContainKey(sample("dtm4j_transactions_status_total", "model", "saga", "status",
                "aborting"));
    }

    // timeout_to_fail shorter than RetryInterval becomes the retry interval (spec 4, G5)
    @ParameterizedTest(name = "timeout_to_fail {0} s")
    @CsvSource({"30, 10, 3", "6, 6, 1"})
    void ongoingForEverWithTimeoutToFailAbortsTheSagaAndCompensatesTheStepThatMayHaveRun(long timeout, long interval,
                                                                                         int ongoingCalls) {
        busi.script(OUT, status(425, ""));
        busi.script(OUT_REVERT, success());

        submitSaga(saga().timeoutToFail(timeout));

        for (int round = 0; round < ongoingCalls; round++) {
            assertPending(SUBMITTED, interval, P, P, P, P);
            recoverWhenDue();
        }

        // timed out before calling TransOut again; TransOut could have run (ONGOING), so it is compensated;
        // TransIn never started, so it is not
        assertState(F, S, P, P, P);
        assertThat(query().rollbackReason()).isEqualTo("Timeout after " + timeout + " seconds");
        assertThat(busi.calls(OUT)).isEqualTo(ongoingCalls);
        assertThat(busi.paths()).endsWith(OUT_REVERT).doesNotContain(IN, IN_REVERT);
    }

    // ---- saga: unknown results ----

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Fault.class, names = {"CONNECTION_RESET_BY_PEER", "EMPTY_RESPONSE", "MALFORMED_RESPONSE_CHUNK",
            "RANDOM_DATA_THEN_CLOSE"})
    void aBrokenExchangeIsAnUnknownResultRetriedWithBackOffNeverASuccess(Fault f) {
        busi.script(OUT, fault(f), fault(f), success());
        busi.script(IN, success());

        submitSaga(saga());

        assertPending(SUBMITTED, 20, P, P, P, P);
        recoverWhenDue();
        assertPending(SUBMITTED, 40, P, P, P, P);
        recoverWhenDue();
        assertState(S, P, S, P, S);
        assertThat(busi.paths()).containsExactly(OUT, OUT, OUT, IN);
        Map<String, Double> m = metrics();
        assertThat(branchCount(m, "saga", "01", "action", "fail")).isEqualTo(2);
        assertThat(branchCount(m, "saga", "01", "action", "ok")).isEqualTo(1);
        assertThat(retries(m, "saga")).isEqualTo(2);
    }

    @Test
    void anAnswerPastTheRequestTimeoutIsAnUnknownResultAndItsLateSuccessChangesNothing() throws InterruptedException {
        busi.script(OUT, success().after(Duration.ofMillis(2000)), success());
        busi.script(IN, success());

        submitSaga(saga().requestTimeout(1)); // the round gives up on TransOut after 1 s

        assertPending(SUBMITTED, 20, P, P, P, P);
        recoverWhenDue(); // the retry, while the first call's success is still on its way
        assertState(S, P, S, P, S);
        busi.awaitSlowAnswersSent(OUT);
        h.awaitIdle();
        assertState(S, P, S, P, S);
        assertThat(busi.paths()).containsExactly(OUT, OUT, IN);
        Map<String, Double> m = metrics();
        assertThat(branchCount(m, "saga", "01", "action", "fail")).isEqualTo(1);
        assertThat(branchCount(m, "saga", "01", "action", "ok")).as("the late success is not counted").isEqualTo(1);
        assertThat(retries(m, "saga")).isEqualTo(1);
    }

    // ---- saga: compensation faults ----

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            "409 | compensation refused",
            "200 | {\"dtm_result\":\"FAILURE\"}",
            "503 | down",
    })
    void aCompensationThatFailsIsRetriedWithBackOffUntilItSucceeds(int code, String body) {
        busi.script(OUT, success());
        busi.script(IN, status(409, "no money"));
        busi.script(IN_REVERT, status(code, body), status(code, body), success());
        busi.script(OUT_REVERT, success());

        submitSaga(saga());

        // a compensation must not fail: FAILURE counts as a temporary error for every op but a saga action (G2)
        assertPending(ABORTING, 20, P, S, P, F);
        recoverWhenDue();
        assertPending(ABORTING, 40, P, S, P, F);
        recoverWhenDue();
        assertState(F, S, S, S, F);
        assertThat(query().rollbackReason()).isEqualTo("url:" + busi.url(IN) + " return failed: no money. FAILURE");
        // TransOut is compensated only after TransIn's compensation succeeded
        assertThat(busi.paths()).containsExactly(OUT, IN, IN_REVERT, IN_REVERT, IN_REVERT, OUT_REVERT);
        Map<String, Double> m = metrics();
        assertThat(branchCount(m, "saga", "02", "compensate", "fail")).isEqualTo(2);
        assertThat(branchCount(m, "saga", "02", "compensate", "ok")).isEqualTo(1);
        assertThat(branchCount(m, "saga", "01", "compensate", "ok")).isEqualTo(1);
        assertThat(branchCount(m, "saga", "02", "action", "fail")).isEqualTo(1);
        assertThat(retries(m, "saga")).isEqualTo(2);
        assertThat(rounds(m, "saga", "fail")).as("two rounds left it aborting, one ended it failed").isEqualTo(3);
    }

    // ---- msg ----

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            "409 | no money      | 20 | 40",
            "200 | {\"dtm_result\":\"FAILURE\"} | 20 | 40",
            "503 | down          | 20 | 40",
            "425 | ''            | 10 | 10",
    })
    void aMsgActionIsRetriedUntilItSucceedsAndFailureNeverFailsTheMsg(int code, String body, long first,
                                                                       long second) {
        busi.script(OUT, status(code, body), status(code, body), success());
        busi.script(IN, success());
        GoTrans msg = GoTrans.msg(gid).add(busi.url(OUT), GoTrans.transReq()).add(busi.url(IN), GoTrans.transReq());

        assertSuccess(h.dtm.submit(msg.json()));
        h.awaitIdle();

        assertPending(SUBMITTED, first, P, P);
        recoverWhenDue();
        assertPending(SUBMITTED, second, P, P);
        recoverWhenDue();
        assertState(S, S, S);
        assertThat(busi.paths()).containsExactly(OUT, OUT, OUT, IN);
        Map<String, Double> m = metrics();
        assertThat(branchCount(m, "msg", "01", "action", "fail")).isEqualTo(2);
        assertThat(branchCount(m, "msg", "01", "action", "ok")).isEqualTo(1);
        assertThat(branchCount(m, "msg", "02", "action", "ok")).isEqualTo(1);
        assertThat(retries(m, "msg")).isEqualTo(2);
        assertThat(rounds(m, "msg", "fail")).isEqualTo(2);
        assertThat(rounds(m, "msg", "ok")).isEqualTo(1);
    }

    @Test
    void aMsgBackCheckBacksOffOnErrorAndReturnsToTheBaseIntervalOnOngoing() {
        busi.script(QUERY_PREPARED, status(500, "down"), status(425, ""), success());
        busi.script(OUT, success());
        GoTrans msg = GoTrans.msg(gid).add(busi.url(OUT), GoTrans.transReq()).queryPrepared(busi.url(QUERY_PREPARED));
        assertSuccess(h.dtm.prepare(msg.json()));

        h.advanceSeconds(35); // TimeoutToFail: the msg is now back-checked
        assertThat(h.recover().claimed()).isEqualTo(1);

        assertPending(P, 20, P);
        recoverWhenDue();
        // unlike a branch's ONGOING, the back-check's resets the interval (spec 3.2)
        assertPending(P, BASE, P);
        recoverWhenDue();
        assertState(S, S);
        assertThat(busi.paths()).containsExactly(QUERY_PREPARED, QUERY_PREPARED, QUERY_PREPARED, OUT);
        assertThat(busi.queryParams(QUERY_PREPARED, "op")).containsOnly("msg");
        assertThat(busi.queryParams(QUERY_PREPARED, "branch_id")).containsOnly("00");
        Map<String, Double> m = metrics();
        assertThat(retries(m, "msg")).isEqualTo(2);
        assertThat(branchCount(m, "msg", "01", "action", "ok")).isEqualTo(1);
    }

    @Test
    void aMsgBackCheckFailureFailsTheMsgWithoutCallingItsActions() {
        busi.script(QUERY_PREPARED, status(409, "order not found"));
        busi.script(OUT, success());
        GoTrans msg = GoTrans.msg(gid).add(busi.url(OUT), GoTrans.transReq()).queryPrepared(busi.url(QUERY_PREPARED));
        assertSuccess(h.dtm.prepare(msg.json()));

        h.advanceSeconds(35);
        h.recover();

        assertState(F, P);
        assertThat(query().rollbackReason()).contains("order not found");
        assertThat(busi.paths()).containsExactly(QUERY_PREPARED);
    }

    // ---- tcc ----

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            "409 | no                         | 20 | 40",
            "200 | {\"dtm_result\":\"FAILURE\"} | 20 | 40",
            "500 | down                       | 20 | 40",
            "425 | ''                         | 10 | 10",
    })
    void aTccConfirmIsRetriedUntilItSucceedsAndStopsTheRoundMeanwhile(int code, String body, long first,
                                                                        long second) {
        busi.script(IN_CONFIRM, status(code, body), status(code, body), success());
        busi.script(OUT_CONFIRM, success());
        prepareTcc();

        assertSuccess(h.dtm.submit(GoTrans.tcc(gid).json()));
        h.awaitIdle();

        // confirms run last registered first, one at a time: TransOut waits for TransIn
        assertPending(SUBMITTED, first, P, P, P, P);
        recoverWhenDue();
        assertPending(SUBMITTED, second, P, P, P, P);
        recoverWhenDue();
        assertThat(query().status()).isEqualTo(S);
        assertThat(busi.paths()).containsExactly(IN_CONFIRM, IN_CONFIRM, IN_CONFIRM, OUT_CONFIRM);
        Map<String, Double> m = metrics();
        assertThat(branchCount(m, "tcc", "02", "confirm", "fail")).isEqualTo(2);
        assertThat(branchCount(m, "tcc", "02", "confirm", "ok")).isEqualTo(1);
        assertThat(branchCount(m, "tcc", "01", "confirm", "ok")).isEqualTo(1);
        assertThat(retries(m, "tcc")).isEqualTo(2);
        assertThat(rounds(m, "tcc", "fail")).isEqualTo(2);
        assertThat(rounds(m, "tcc", "ok")).isEqualTo(1);
    }

    @Test
    void aTccCancelThatAnswersFailureIsRetriedUntilItSucceeds() {
        busi.script(IN_CANCEL, status(409, "no"), success());
        busi.script(OUT_CANCEL, success());
        prepareTcc();

        assertSuccess(h.dtm.abort(GoTrans.tcc(gid).rollbackReason("business error").json()));
        h.awaitIdle();

        assertPending(ABORTING, 20, P, P, P, P);
        recoverWhenDue();
        assertThat(query().status()).isEqualTo(F);
        assertThat(query().rollbackReason()).isEqualTo("business error");
        assertThat(busi.paths()).containsExactly(IN_CANCEL, IN_CANCEL, OUT_CANCEL);
        Map<String, Double> m = metrics();
        assertThat(branchCount(m, "tcc", "02", "cancel", "fail")).isEqualTo(1);
        assertThat(branchCount(m, "tcc", "02", "cancel", "ok")).isEqualTo(1);
        assertThat(branchCount(m, "tcc", "01", "cancel", "ok")).isEqualTo(1);
    }

    // ---- helpers ----

    /** TransOut then TransIn, as DTM's {@code genSaga}, on the fault service. */
    private GoTrans saga() {
        return GoTrans.saga(gid)
                .add(busi.url(OUT), busi.url(OUT_REVERT), GoTrans.transReq())
                .add(busi.url(IN), busi.url(IN_REVERT), GoTrans.transReq());
    }

    private void submitSaga(GoTrans saga) {
        assertSuccess(h.dtm.submit(saga.json()));
        h.awaitIdle();
    }

    /** A prepared TCC with branches 01 (TransOut) and 02 (TransIn) registered, as Go's CallBranch registers them. */
    private void prepareTcc() {
        assertSuccess(h.dtm.prepare(GoTrans.tcc(gid).json()));
        register("01", OUT_CONFIRM, OUT_CANCEL);
        register("02", IN_CONFIRM, IN_CANCEL);
    }

    private void register(String branchId, String confirm, String cancel) {
        ObjectNode n = JSON.createObjectNode();
        n.put("branch_id", branchId);
        n.put("cancel", busi.url(cancel));
        n.put("confirm", busi.url(confirm));
        n.put("data", GoTrans.transReq());
        n.put("gid", gid);
        n.put("trans_type", "tcc");
        assertSuccess(h.dtm.post("registerBranch", n.toString()));
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

    /** Not finished: the status and branch statuses, and the next attempt exactly {@code interval} s from now. */
    private void assertPending(String status, long interval, String... branches) {
        assertState(status, branches);
        Query q = query();
        assertThat(q.nextCronInterval()).as("next_cron_interval of %s", gid).isEqualTo(interval);
        assertThat(q.nextCronTime()).as("next_cron_time of %s", gid).isEqualTo(h.now().plusSeconds(interval));
    }

    /** Shows that nothing is due a second before {@code next_cron_time}, then runs one recovery step at that time. */
    private void recoverWhenDue() {
        Instant due = query().nextCronTime();
        h.clock.set(due.minusSeconds(1));
        assertThat(h.recover().claimed()).as("claimed a second before next_cron_time").isZero();
        h.clock.set(due);
        assertThat(h.recover().claimed()).as("claimed at next_cron_time").isEqualTo(1);
    }

    /** {@code GET /api/metrics} as a map from {@code name{labels}} to value. */
    private Map<String, Double> metrics() {
        HttpResponse<String> r;
        try {
            r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.server.port() + "/api/metrics"))
                    .timeout(DtmHttp.CALL_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        assertThat(r.statusCode()).isEqualTo(200);
        Map<String, Double> out = new HashMap<>();
        for (String line : r.body().split("\n")) {
            int space = line.lastIndexOf(' ');
            if (!line.isEmpty() && !line.startsWith("#") && space > 0) {
                out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            }
        }
        return out;
    }

    /** The sample key {@code name{k1="v1",...}}, labels given in the order Prometheus writes them (by name). */
    private static String sample(String name, String... labels) {
        List<String> pairs = new ArrayList<>();
        for (int i = 0; i < labels.length; i += 2) {
            pairs.add(labels[i] + "=\"" + labels[i + 1] + "\"");
        }
        return name + "{" + String.join(",", pairs) + "}";
    }

    private static long branchCount(Map<String, Double> m, String model, String branchId, String op, String status) {
        return count(m, sample("dtm_branch_process_total", "branchid", branchId, "branchtype", op, "model", model,
                "status", status));
    }

    private static long retries(Map<String, Double> m, String model) {
        return count(m, sample("dtm4j_transaction_retries_total", "model", model));
    }

    private static long rounds(Map<String, Double> m, String model, String status) {
        return count(m, sample("dtm_transaction_process_total", "model", model, "status", status));
    }

    /** A counter's value; 0 when it has no sample yet (a labelled counter appears at its first increment). */
    private static long count(Map<String, Double> m, String key) {
        return Math.round(m.getOrDefault(key, 0.0));
    }
}
