package io.dtm4j.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dtm4j.client.DtmClient;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.client.DtmOngoingException;
import io.dtm4j.client.DtmServerException;
import io.dtm4j.client.Tcc;
import io.dtm4j.server.BusiService.BusiRequest;
import io.dtm4j.server.DtmHttp.Query;
import io.dtm4j.server.DtmHttp.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The TCC rows of DTM's acceptance catalogue (tcc_test, tcc_old_test, tcc_cover_test; spec server-protocol 9,
 * clients-and-barrier 4 and 12.5) driven black-box over HTTP, three ways: with request bodies exactly as DTM's
 * Go SDK sends them, as DTM's Java SDK 2.1.4 and the Node SDK send them (recorded), and through our own SDK
 * ({@link DtmClient#http}). Branches are served by {@link BusiService}; time and recovery move by hand.
 * Gid = test name.
 */
@Timeout(60)
class HttpTccAcceptanceTest {
    private static final String P = "prepared";
    private static final String S = "succeed";
    private static final String ABORTING = "aborting";
    private static final String SUCCEED = "succeed";
    private static final String FAILED = "failed";
    private static final String TIMEOUT_REASON = "^Timeout after \\d+ seconds$";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private HttpHarness h;
    private String gid;
    /** What the abort of the last {@link #goTccGlobal} answered, if it aborted. */
    private Reply lastAbort;

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

    // ---- DTM's Go SDK over raw HTTP: dtmcli.TccGlobalTransaction2 and Tcc.CallBranch ----

    /** An error value of the Go SDK: its text becomes the rollback reason. */
    static final class GoError extends Exception {
        private static final long serialVersionUID = 1L;

        GoError(String message) {
            super(message);
        }
    }

    /** The TCC function of {@code TccGlobalTransaction}. */
    interface GoTccFunc {
        void run(GoTcc tcc) throws GoError;
    }

    /** {@code dtmcli.Tcc}: the branch-id generator and CallBranch, sending what the Go SDK sends. */
    final class GoTcc {
        private final Map<String, String> branchHeaders;
        private int next;

        GoTcc(Map<String, String> branchHeaders) {
            this.branchHeaders = branchHeaders;
        }

        /** {@code CallBranch}: registerBranch (flat string map), then POST the try with dtm/gid/branch_id/op. */
        Reply callBranch(String payload, String tryUrl, String confirmUrl, String cancelUrl) throws GoError {
            String branchId = String.format("%02d", ++next);
            Reply reg = h.dtm.post("registerBranch", goRegisterBody(branchId, payload, confirmUrl, cancelUrl));
            goJudgeDtm(reg);
            Reply tried = post(tryUrl + "?branch_id=" + branchId + "&dtm=" + enc(h.dtm.prefix()) + "&gid=" + enc(gid)
                    + "&op=try&trans_type=tcc", payload, branchHeaders);
            return goJudgeBranch(tried);
        }
    }

    /** The registerBranch body of Go's CallBranch: a flat map of strings, keys sorted by encoding/json. */
    private String goRegisterBody(String branchId, String payload, String confirmUrl, String cancelUrl) {
        ObjectNode n = JSON.createObjectNode();
        n.put("branch_id", branchId);
        n.put("cancel", cancelUrl);
        n.put("confirm", confirmUrl);
        n.put("data", payload);
        n.put("gid", gid);
        n.put("trans_type", "tcc");
        return n.toString();
    }

    /** Go's {@code TransCallDtmExt}: an error unless 200 without FAILURE in the body. */
    private static void goJudgeDtm(Reply r) throws GoError {
        if (r.status() != 200 || r.body().contains("FAILURE")) {
            throw new GoError(r.body());
        }
    }

    /** Go's {@code HTTPResp2DtmError} on the try reply: ONGOING, then FAILURE, then other non-200. */
    private static Reply goJudgeBranch(Reply r) throws GoError {
        if (r.status() == 425 || r.body().contains("ONGOING")) {
            throw new GoError(r.body() + " ONGOING");
        }
        if (r.status() == 409 || r.body().contains("FAILURE")) {
            throw new GoError(r.body() + " FAILURE");
        }
        if (r.status() != 200) {
            throw new GoError(r.body());
        }
        return r;
    }

    /** {@code TccGlobalTransaction2}: prepare, run, then submit, or abort with the error as rollback_reason. */
    private GoError goTccGlobal(GoTrans trans, Map<String, String> branchHeaders, GoTccFunc fn) {
        assertSuccess(h.dtm.prepare(trans.json()));
        GoTcc tcc = new GoTcc(branchHeaders);
        try {
            fn.run(tcc);
        } catch (GoError e) {
            // Go ignores what abort answers; the test checks it
            lastAbort = h.dtm.abort(trans.rollbackReason(e.getMessage()).json());
            return e;
        }
        Reply submit = h.dtm.submit(trans.json());
        return submit.status() == 200 && !submit.body().contains("FAILURE") ? null : new GoError(submit.body());
    }

    private GoError goTccGlobal(GoTccFunc fn) {
        return goTccGlobal(GoTrans.tcc(gid), Map.of(), fn);
    }

    // ---- helpers ----

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private Reply post(String url, String body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(DtmHttp.CALL_TIMEOUT)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Reply(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
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

    /** The busi calls as {@code endpoint:op:branch_id}. */
    private List<String> trace() {
        return h.busi.requests().stream().map(r -> r.endpoint() + ":" + r.op() + ":" + r.branchId()).toList();
    }

    /** Past the 10 s retry interval that an ONGOING answer keeps. */
    private void cronOnce() {
        h.advanceSeconds(11);
        h.recover();
    }

    // ---- tcc_test.go, Go SDK bodies ----

    @Test
    void TestTccNormal() {
        String req = GoTrans.transReq();

        GoError err = goTccGlobal(tcc -> {
            tcc.callBranch(req, h.busi("TransOut"), h.busi("TransOutConfirm"), h.busi("TransOutRevert"));
            tcc.callBranch(req, h.busi("TransIn"), h.busi("TransInConfirm"), h.busi("TransInRevert"));
        });
        h.awaitIdle();

        assertThat(err).isNull();
        assertState(SUCCEED, P, S, P, S);
        assertThat(query().branchOps()).containsExactly("cancel", "confirm", "cancel", "confirm");
        assertThat(query().rollbackReason()).isEmpty();
        assertThat(trace()).containsExactly("TransOut:try:01", "TransIn:try:02", "TransInConfirm:confirm:02",
                "TransOutConfirm:confirm:01");
    }

    @Test
    void TestTccBranchCallsCarryDtmQueryAndStoredBody() {
        String req = GoTrans.transReq(42, "", "");

        assertThat(goTccGlobal(tcc -> tcc.callBranch(req, h.busi("TransOut"), h.busi("TransOutConfirm"),
                h.busi("TransOutRevert")))).isNull();
        h.awaitIdle();

        BusiRequest tried = h.busi.requests("TransOut").get(0);
        assertThat(tried.query()).containsEntry("dtm", h.dtm.prefix()).containsEntry("trans_type", "tcc");
        BusiRequest confirm = h.busi.requests("TransOutConfirm").get(0);
        assertThat(confirm.method()).isEqualTo("POST");
        assertThat(confirm.query()).containsOnlyKeys("gid", "trans_type", "branch_id", "op")
                .containsEntry("gid", gid).containsEntry("trans_type", "tcc").containsEntry("branch_id", "01")
                .containsEntry("op", "confirm");
        assertThat(confirm.body()).isEqualTo(req);
        assertThat(confirm.header("Content-Type")).startsWith("application/json");
    }

    @Test
    void TestTccRollback() {
        String req = GoTrans.transReq(30, "", "FAILURE");

        GoError err = goTccGlobal(tcc -> {
            tcc.callBranch(req, h.busi("TransOut"), h.busi("TransOutConfirm"), h.busi("TransOutRevert"));
            h.busi.setOnce("TransOutRevert", "ONGOING");
            tcc.callBranch(req, h.busi("TransIn"), h.busi("TransInConfirm"), h.busi("TransInRevert"));
        });
        h.awaitIdle();

        assertThat(err).isNotNull();
        assertSuccess(lastAbort);
        assertState(ABORTING, P, P, S, P);
        cronOnce();
        assertState(FAILED, S, P, S, P);
        assertThat(query().rollbackReason()).contains("FAILURE").isEqualTo(err.getMessage());
        assertThat(trace()).containsExactly("TransOut:try:01", "TransIn:try:02", "TransInRevert:cancel:02",
                "TransOutRevert:cancel:01", "TransOutRevert:cancel:01");
    }

    @Test
    void TestTccTimeout() {
        String req = GoTrans.transReq();

        GoError err = goTccGlobal(tcc -> {
            tcc.callBranch(req, h.busi("TransOut"), h.busi("TransOutConfirm"), h.busi("TransOutRevert"));
            h.advanceSeconds(300);
            h.recover();
            tcc.callBranch(req, h.busi("TransIn"), h.busi("TransInConfirm"), h.busi("TransInRevert"));
        });

        assertThat(err).isNotNull();
        assertThat(err.getMessage()).contains("no trans with gid: " + gid + " status: prepared found")
                .contains("FAILURE");
        // the transaction is already failed, so the client's abort is refused
        assertThat(lastAbort.status()).isEqualTo(409);
        assertState(FAILED, S, P);
        assertThat(query().rollbackReason()).matches(TIMEOUT_REASON);
        assertThat(h.busi.count("TransIn")).isZero();
    }

    @Test
    void TestTccRegisterBranchAfterAbort() throws GoError {
        String req = GoTrans.transReq();
        assertSuccess(h.dtm.prepare(GoTrans.tcc(gid).json()));
        new GoTcc(Map.of()).callBranch(req, h.busi("TransOut"), h.busi("TransOutConfirm"),
                h.busi("TransOutRevert"));
        h.busi.setOnce("TransOutRevert", "ONGOING");
        assertSuccess(h.dtm.abort(GoTrans.tcc(gid).rollbackReason("business error").json()));
        h.awaitIdle();
        assertState(ABORTING, P, P);

        Reply whileAborting = h.dtm.post("registerBranch", goRegisterBody("02", req, h.busi("TransInConfirm"),
                h.busi("TransInRevert")));
        cronOnce();
        Reply afterFailed = h.dtm.post("registerBranch", goRegisterBody("02", req, h.busi("TransInConfirm"),
                h.busi("TransInRevert")));

        for (Reply r : List.of(whileAborting, afterFailed)) {
            assertThat(r.status()).as("reply %s", r).isEqualTo(409);
            assertThat(r.body()).contains("no trans with gid: " + gid + " status: prepared found").contains("FAILURE");
        }
        assertState(FAILED, S, P);
        assertThat(query().rollbackReason()).isEqualTo("business error");
    }

    @Test
    void TestTccHeaders() {
        GoTrans trans = GoTrans.tcc(gid).branchHeader("test_header", "test");

        GoError err = goTccGlobal(trans, Map.of("test_header", "test"), tcc -> tcc.callBranch(GoTrans.transReq(),
                h.busi("TransOutHeaderYes"), h.busi("TransOutHeaderYes"), ""));
        h.awaitIdle();

        assertThat(err).isNull();
        assertState(SUCCEED, P, S);
        assertThat(h.busi.requests("TransOutHeaderYes")).extracting(r -> r.header("test_header"))
                .containsExactly("test", "test");
    }

    @Test
    void TestTccOptionsWaitResult() {
        GoTrans trans = GoTrans.tcc(gid).waitResult();

        GoError err = goTccGlobal(trans, Map.of(), tcc -> tcc.callBranch(GoTrans.transReq(), h.busi("TransOut"),
                h.busi("TransOutConfirm"), h.busi("TransOutRevert")));

        // no waiting: with wait_result the submit replied after the confirm
        assertThat(err).isNull();
        assertState(SUCCEED, P, S);
    }

    @Test
    void TestTccOptionsWaitResultOngoingConfirm() {
        h.busi.setOnce("TransOutConfirm", "ONGOING");
        GoTrans trans = GoTrans.tcc(gid).waitResult();

        GoError err = goTccGlobal(trans, Map.of(), tcc -> tcc.callBranch(GoTrans.transReq(), h.busi("TransOut"),
                h.busi("TransOutConfirm"), h.busi("TransOutRevert")));

        assertThat(err).isNotNull();
        assertThat(err.getMessage()).contains("ONGOING");
        assertState("submitted", P, P);
        cronOnce();
        assertState(SUCCEED, P, S);
    }

    // ---- tcc_old_test.go: branches answering 200 {"dtm_result": ...} ----

    @Test
    void TestTccOldNormal() {
        String req = GoTrans.transReq();

        GoError err = goTccGlobal(tcc -> {
            tcc.callBranch(req, h.busi("TransOutOld"), h.busi("TransOutConfirmOld"), h.busi("TransOutRevertOld"));
            tcc.callBranch(req, h.busi("TransInOld"), h.busi("TransInConfirmOld"), h.busi("TransInRevertOld"));
        });
        h.awaitIdle();

        assertThat(err).isNull();
        assertState(SUCCEED, P, S, P, S);
    }

    @Test
    void TestTccOldRollback() {
        String req = GoTrans.transReq(30, "", "FAILURE");

        GoError err = goTccGlobal(tcc -> {
            tcc.callBranch(req, h.busi("TransOutOld"), h.busi("TransOutConfirmOld"), h.busi("TransOutRevertOld"));
            h.busi.setOnce("TransOutRevert", "ONGOING");
            tcc.callBranch(req, h.busi("TransInOld"), h.busi("TransInConfirmOld"), h.busi("TransInRevertOld"));
        });
        h.awaitIdle();

        assertThat(err).isNotNull();
        assertThat(h.busi.requests("TransInOld")).hasSize(1);
        assertState(ABORTING, P, P, S, P);
        cronOnce();
        assertState(FAILED, S, P, S, P);
    }

    @Test
    void TestTccOldTimeout() {
        String req = GoTrans.transReq();

        GoError err = goTccGlobal(tcc -> {
            tcc.callBranch(req, h.busi("TransOutOld"), h.busi("TransOutConfirmOld"), h.busi("TransOutRevertOld"));
            h.advanceSeconds(300);
            h.recover();
            tcc.callBranch(req, h.busi("TransInOld"), h.busi("TransInConfirmOld"), h.busi("TransInRevertOld"));
        });

        assertThat(err).isNotNull();
        assertState(FAILED, S, P);
        assertThat(query().rollbackReason()).matches(TIMEOUT_REASON);
    }

    @Test
    void TestTccOldConfirmFailureIsRetried() {
        h.busi.setOnce("TransOutConfirm", "FAILURE");

        GoError err = goTccGlobal(tcc -> tcc.callBranch(GoTrans.transReq(), h.busi("TransOutOld"),
                h.busi("TransOutConfirmOld"), h.busi("TransOutRevertOld")));
        h.awaitIdle();

        // a confirm never fails for good: FAILURE is retried like an error
        assertThat(err).isNull();
        assertState("submitted", P, P);
        h.advanceSeconds(21);
        h.recover();
        assertState(SUCCEED, P, S);
    }

    // ---- tcc_cover_test.go ----

    @Test
    void TestTccNested() {
        String req = GoTrans.transReq();

        GoError err = goTccGlobal(tcc -> {
            tcc.callBranch(req, h.busi("TransOut"), h.busi("TransOutConfirm"), h.busi("TransOutRevert"));
            tcc.callBranch(req, h.busi("TransInTccNested"), h.busi("TransInConfirm"), h.busi("TransInRevert"));
        });
        h.awaitIdle();

        assertThat(err).isNull();
        assertState(SUCCEED, P, S, P, S, P, S);
        assertThat(query().branches()).extracting(b -> b.path("branch_id").asText())
                .containsExactly("01", "01", "02", "02", "0201", "0201");
        assertThat(trace()).containsExactly("TransOut:try:01", "TransInTccNested:try:02", "TransIn:try:0201",
                "TransInConfirm:confirm:0201", "TransInConfirm:confirm:02", "TransOutConfirm:confirm:01");
    }

    // ---- DTM's Java SDK 2.1.4 (recorded from its Feign + Jackson encoder) and Node SDK bodies ----

    /** {@code OperatorParam(gid, TCC)}: the prepare, submit and abort body of Java's Tcc (no rollback reason). */
    static String javaTransBody(String gid) {
        return """
                {
                  "subType" : "OperatorParam",
                  "gid" : "%s",
                  "trans_type" : "tcc"
                }""".formatted(gid);
    }

    /** {@code TccOperatorParam}: Java's registerBranch body, with its duplicated subType key. */
    static String javaRegisterBody(String gid, String branchId, String data, String confirm, String cancel) {
        return """
                {
                  "subType" : "tcc",
                  "gid" : "%s",
                  "trans_type" : "tcc",
                  "subType" : "tcc",
                  "branch_id" : "%s",
                  "status" : "prepared",
                  "data" : %s,
                  "confirm" : "%s",
                  "cancel" : "%s"
                }""".formatted(gid, branchId, JSON.valueToTree(data).toString(), confirm, cancel);
    }

    /** Java's try call: {@code HttpUtils.splicingUrl} (HashMap order, no dtm, no encoding), body, no headers. */
    private Reply javaTry(String url, String branchId, String body) {
        return post(url + "?gid=" + gid + "&trans_type=tcc&branch_id=" + branchId + "&op=try", body, Map.of());
    }

    @Test
    void JavaSdkTccNormal() {
        String req = GoTrans.transReq();
        assertSuccess(h.dtm.prepare(javaTransBody(gid)));
        assertSuccess(h.dtm.post("registerBranch", javaRegisterBody(gid, "01", req, h.busi("TransOutConfirm"),
                h.busi("TransOutRevert"))));
        assertThat(javaTry(h.busi("TransOut"), "01", req).status()).isEqualTo(200);
        assertSuccess(h.dtm.post("registerBranch", javaRegisterBody(gid, "02", req, h.busi("TransInConfirm"),
                h.busi("TransInRevert"))));
        assertThat(javaTry(h.busi("TransIn"), "02", req).status()).isEqualTo(200);
        assertSuccess(h.dtm.submit(javaTransBody(gid)));
        h.awaitIdle();

        assertState(SUCCEED, P, S, P, S);
        assertThat(h.busi.requests("TransInConfirm").get(0).body()).isEqualTo(req);
    }

    @Test
    void JavaSdkTccRollback() {
        String req = GoTrans.transReq(30, "", "FAILURE");
        assertSuccess(h.dtm.prepare(javaTransBody(gid)));
        assertSuccess(h.dtm.post("registerBranch", javaRegisterBody(gid, "01", req, h.busi("TransOutConfirm"),
                h.busi("TransOutRevert"))));
        assertThat(javaTry(h.busi("TransOut"), "01", req).status()).isEqualTo(200);
        assertSuccess(h.dtm.post("registerBranch", javaRegisterBody(gid, "02", req, h.busi("TransInConfirm"),
                h.busi("TransInRevert"))));
        assertThat(javaTry(h.busi("TransIn"), "02", req).status()).isEqualTo(409);
        assertSuccess(h.dtm.abort(javaTransBody(gid)));
        h.awaitIdle();

        assertState(FAILED, S, P, S, P);
        assertThat(query().rollbackReason()).isEmpty();
        Reply late = h.dtm.post("registerBranch", javaRegisterBody(gid, "03", req, "", ""));
        assertThat(late.status()).isEqualTo(409);
        assertThat(late.dtmResult()).isEqualTo("FAILURE");
    }

    @Test
    void NodeSdkRegisterTccBranch() {
        String req = GoTrans.transReq();
        assertSuccess(h.dtm.prepare(GoTrans.tcc(gid).json()));
        ObjectNode reg = JSON.createObjectNode();
        reg.put("branch_id", "01").put("cancel", h.busi("TransOutRevert")).put("confirm", h.busi("TransOutConfirm"))
                .put("data", req).put("gid", gid).put("status", "prepared").put("trans_type", "tcc")
                .put("try", h.busi("TransOut"));
        assertSuccess(h.dtm.post("registerTccBranch", reg.toString()));
        Reply tried = post(h.busi("TransOut") + "?gid=" + gid + "&trans_type=tcc&branch_id=01&branch_type=try", req,
                Map.of());
        assertThat(tried.status()).isEqualTo(200);
        assertSuccess(h.dtm.submit(GoTrans.tcc(gid).json()));
        h.awaitIdle();

        assertState(SUCCEED, P, S);
        assertThat(query().branchOps()).containsExactly("cancel", "confirm");
    }

    // ---- our SDK over HTTP against the same server ----

    private DtmClient sdk() {
        return DtmClient.http(h.dtm.prefix());
    }

    private static String sdkBranch(Tcc tcc, HttpHarness h, String name, String req) {
        return tcc.callBranch(req, h.busi(name), h.busi(name + "Confirm"), h.busi(name + "Revert"));
    }

    @Test
    void SdkTccNormal() {
        String req = GoTrans.transReq();
        try (DtmClient dtm = sdk()) {
            String body = dtm.tcc(gid, tcc -> {
                sdkBranch(tcc, h, "TransOut", req);
                return sdkBranch(tcc, h, "TransIn", req);
            });
            assertThat(body).isEqualTo("{\"dtm_result\":\"SUCCESS\"}");
        }
        h.awaitIdle();

        assertState(SUCCEED, P, S, P, S);
        BusiRequest tried = h.busi.requests("TransOut").get(0);
        assertThat(tried.method()).isEqualTo("POST");
        assertThat(tried.query()).isEqualTo(new TreeMap<>(Map.of("dtm", h.dtm.prefix(), "gid", gid,
                "trans_type", "tcc", "branch_id", "01", "op", "try")));
        assertThat(tried.body()).isEqualTo(req);
        assertThat(trace()).containsExactly("TransOut:try:01", "TransIn:try:02", "TransInConfirm:confirm:02",
                "TransOutConfirm:confirm:01");
    }

    @Test
    void SdkTccRollback() {
        String req = GoTrans.transReq(30, "", "FAILURE");
        h.busi.setFailureReason("Insufficient balance");
        h.busi.setOnce("TransOutRevert", "ONGOING");

        DtmFailureException e;
        try (DtmClient dtm = sdk()) {
            e = catchThrowableOfType(DtmFailureException.class, () -> dtm.tcc(gid, tcc -> {
                sdkBranch(tcc, h, "TransOut", req);
                return sdkBranch(tcc, h, "TransIn", req);
            }));
        }
        h.awaitIdle();

        assertThat(e).hasMessageContaining("branch=02 op=try").hasMessageContaining("reason:Insufficient balance");
        assertState(ABORTING, P, P, S, P);
        cronOnce();
        assertState(FAILED, S, P, S, P);
        assertThat(query().rollbackReason()).isEqualTo(e.getMessage()).contains("FAILURE");
    }

    @Test
    void SdkTccTimeout() {
        String req = GoTrans.transReq();
        DtmFailureException e;
        try (DtmClient dtm = sdk()) {
            e = catchThrowableOfType(DtmFailureException.class, () -> dtm.tcc(gid, tcc -> {
                sdkBranch(tcc, h, "TransOut", req);
                h.advanceSeconds(300);
                h.recover();
                return sdkBranch(tcc, h, "TransIn", req);
            }));
        }

        assertThat(e).hasMessageContaining("no trans with gid: " + gid + " status: prepared found")
                .hasMessageContaining("HTTP 409");
        assertThat(e.getSuppressed()).singleElement().isInstanceOf(DtmFailureException.class);
        assertState(FAILED, S, P);
        assertThat(query().rollbackReason()).matches(TIMEOUT_REASON);
        assertThat(h.busi.count("TransIn")).isZero();
    }

    @Test
    void SdkTccNested() {
        String req = GoTrans.transReq();
        try (DtmClient dtm = sdk()) {
            dtm.tcc(gid, tcc -> {
                sdkBranch(tcc, h, "TransOut", req);
                return tcc.callBranch(req, h.busi("TransInTccNested"), h.busi("TransInConfirm"),
                        h.busi("TransInRevert"));
            });
        }
        h.awaitIdle();

        assertState(SUCCEED, P, S, P, S, P, S);
        assertThat(trace()).containsExactly("TransOut:try:01", "TransInTccNested:try:02", "TransIn:try:0201",
                "TransInConfirm:confirm:0201", "TransInConfirm:confirm:02", "TransOutConfirm:confirm:01");
    }

    @Test
    void SdkTccNestedFailureRollsBackEveryLevel() {
        String req = GoTrans.transReq();
        h.busi.setOnce("TransIn", "FAILURE");
        try (DtmClient dtm = sdk()) {
            assertThatThrownBy(() -> dtm.tcc(gid, tcc -> {
                sdkBranch(tcc, h, "TransOut", req);
                return tcc.callBranch(req, h.busi("TransInTccNested"), h.busi("TransInConfirm"),
                        h.busi("TransInRevert"));
            })).isInstanceOf(DtmFailureException.class).hasMessageContaining("branch=02");
        }
        h.awaitIdle();

        assertState(FAILED, S, P, S, P, S, P);
    }

    @Test
    void SdkTccHeaders() {
        try (DtmClient dtm = sdk()) {
            dtm.tcc(gid).branchHeader("test_header", "test").waitResult().execute(tcc -> tcc.callBranch(
                    GoTrans.transReq(), h.busi("TransOutHeaderYes"), h.busi("TransOutHeaderYes"), ""));
        }

        assertState(SUCCEED, P, S);
        assertThat(h.busi.requests("TransOutHeaderYes")).extracting(BusiRequest::op).containsExactly("try",
                "confirm");
        assertThat(h.busi.requests("TransOutHeaderYes")).extracting(r -> r.header("test_header"))
                .containsExactly("test", "test");
    }

    @Test
    void SdkTccWaitResultOngoingConfirm() {
        h.busi.setOnce("TransOutConfirm", "ONGOING");
        try (DtmClient dtm = sdk()) {
            assertThatThrownBy(() -> dtm.tcc(gid).waitResult().execute(tcc -> sdkBranch(tcc, h, "TransOut",
                    GoTrans.transReq()))).isInstanceOf(DtmOngoingException.class);
        }

        assertState("submitted", P, P);
        cronOnce();
        assertState(SUCCEED, P, S);
    }

    @Test
    void SdkTccTryErrorIsAServerErrorAndAborts() {
        h.busi.setOnce("TransOut", "ERROR");
        DtmServerException e;
        try (DtmClient dtm = sdk()) {
            e = catchThrowableOfType(DtmServerException.class, () -> dtm.tcc(gid, tcc -> sdkBranch(tcc, h, "TransOut",
                    GoTrans.transReq())));
        }
        h.awaitIdle();

        assertThat(e.statusCode()).isEqualTo(500);
        assertState(FAILED, S, P);
    }

    @Test
    void SdkTccOldStyleFailureAborts() {
        String req = GoTrans.transReq(30, "", "FAILURE");
        try (DtmClient dtm = sdk()) {
            assertThatThrownBy(() -> dtm.tcc(gid, tcc -> tcc.callBranch(req, h.busi("TransInOld"),
                    h.busi("TransInConfirmOld"), h.busi("TransInRevertOld"))))
                    .isInstanceOf(DtmFailureException.class).hasMessageContaining("{\"dtm_result\":\"FAILURE\"}");
        }
        h.awaitIdle();

        assertState(FAILED, S, P);
    }
}
