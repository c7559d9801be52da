package io.dtm4j.server;

import feign.RequestTemplate;
import feign.jackson.JacksonEncoder;
import io.dtm4j.server.BusiService.BusiRequest;
import io.dtm4j.server.DtmHttp.Query;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import pub.dtm.client.DtmClient;
import pub.dtm.client.enums.TransTypeEnum;
import pub.dtm.client.exception.FailureException;
import pub.dtm.client.model.param.OperatorParam;
import pub.dtm.client.model.param.TccOperatorParam;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * DTM's own Java SDK ({@code io.github.dtm-labs:dtmcli-java:2.1.4}, spec clients-and-barrier 11.1) drives
 * the in-process server: {@code new DtmClient("127.0.0.1:<port>")}, sagas through {@code newSaga()...submit()}
 * and TCC through {@code tccGlobalTransaction(...)} with {@code callBranch}, against {@link BusiService}.
 * Only its plain-HTTP path is on the classpath (Nacos and OkHttp 3 are excluded in the pom; its OkHttp calls
 * run on okhttp-jvm 5). Gid = test name.
 */
@Timeout(60)
class JavaSdkCompatibilityTest {
    private static final String P = "prepared";
    private static final String S = "succeed";
    private static final String F = "failed";

    private HttpHarness h;
    private DtmClient java;
    private String gid;

    @BeforeEach
    void setUp(TestInfo info) {
        gid = info.getTestMethod().orElseThrow().getName();
        h = HttpHarness.start();
        java = new DtmClient("127.0.0.1:" + h.server.port());
    }

    @AfterEach
    void tearDown() {
        if (h != null) {
            h.close();
        }
    }

    /** The busi payload as a Java caller builds it (the SDK serialises it with its own Jackson mapper). */
    private static Map<String, Object> transReq(String transOutResult, String transInResult) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("amount", 30);
        m.put("trans_in_result", transInResult);
        m.put("trans_out_Result", transOutResult);
        return m;
    }

    private Query query(String g) {
        return h.dtm.query(g);
    }

    private void assertState(String g, String status, String... branches) {
        Query q = query(g);
        assertThat(q.status()).as("status of %s", g).isEqualTo(status);
        assertThat(q.branchStatuses()).as("branch statuses of %s", g).containsExactly(branches);
    }

    private List<String> trace() {
        return h.busi.requests().stream().map(r -> r.endpoint() + ":" + r.op() + ":" + r.branchId()).toList();
    }

    // ---- saga ----

    @Test
    void sagaNormal() throws Exception {
        String submitted = java.newSaga(gid)
                .add(h.busi("TransOut"), h.busi("TransOutRevert"), transReq("", ""))
                .add(h.busi("TransIn"), h.busi("TransInRevert"), transReq("", ""))
                .submit();
        h.awaitIdle();

        assertThat(submitted).isEqualTo(gid);
        assertState(gid, S, P, S, P, S);
        assertThat(h.busi.requests("TransOut").get(0).body()).isEqualTo(
                "{\"amount\":30,\"trans_in_result\":\"\",\"trans_out_Result\":\"\"}");
    }

    @Test
    void sagaRollback() throws Exception {
        java.newSaga(gid)
                .add(h.busi("TransOut"), h.busi("TransOutRevert"), transReq("", "FAILURE"))
                .add(h.busi("TransIn"), h.busi("TransInRevert"), transReq("", "FAILURE"))
                .submit();
        h.awaitIdle();

        assertState(gid, F, S, S, S, F);
    }

    @Test
    void sagaWithGidFromTheServer() throws Exception {
        String newGid = java.newSaga()
                .add(h.busi("TransOut"), h.busi("TransOutRevert"), transReq("", ""))
                .submit();
        h.awaitIdle();

        assertThat(newGid).hasSize(22);
        assertState(newGid, S, P, S);
    }

    @Test
    void sagaConcurrentWithOrdersAndWaitResult() throws Exception {
        java.newSaga(gid)
                .add(h.busi("TransOut"), h.busi("TransOutRevert"), transReq("", ""))
                .add(h.busi("TransIn"), h.busi("TransInRevert"), transReq("", ""))
                .enableConcurrent()
                .addBranchOrder(1, List.of(0))
                .enableWaitResult()
                .submit();

        // wait_result: the submit replied after both actions
        assertState(gid, S, P, S, P, S);
        assertThat(query(gid).transaction().path("custom_data").asText()).contains("\"orders\":{\"1\":[0]}");
        assertThat(trace()).containsExactly("TransOut:action:01", "TransIn:action:02");
    }

    // ---- tcc ----

    @Test
    void tccNormal() throws Exception {
        String done = java.tccGlobalTransaction(gid, tcc -> {
            tcc.callBranch(transReq("", ""), h.busi("TransOut"), h.busi("TransOutConfirm"), h.busi("TransOutRevert"));
            tcc.callBranch(transReq("", ""), h.busi("TransIn"), h.busi("TransInConfirm"), h.busi("TransInRevert"));
        });
        h.awaitIdle();

        assertThat(done).isEqualTo(gid);
        assertState(gid, S, P, S, P, S);
        assertThat(trace()).containsExactly("TransOut:try:01", "TransIn:try:02", "TransInConfirm:confirm:02",
                "TransOutConfirm:confirm:01");
        // Java's try call carries no dtm parameter
        BusiRequest tried = h.busi.requests("TransOut").get(0);
        assertThat(tried.query()).containsOnlyKeys("gid", "trans_type", "branch_id", "op");
    }

    @Test
    void tccRollback() {
        h.busi.setOnce("TransOutRevert", "ONGOING");

        Throwable thrown = catchThrowable(() -> java.tccGlobalTransaction(gid, tcc -> {
            tcc.callBranch(transReq("", ""), h.busi("TransOut"), h.busi("TransOutConfirm"), h.busi("TransOutRevert"));
            tcc.callBranch(transReq("", "FAILURE"), h.busi("TransIn"), h.busi("TransInConfirm"),
                    h.busi("TransInRevert"));
        }));
        h.awaitIdle();

        assertThat(thrown).isInstanceOf(FailureException.class);
        assertState(gid, "aborting", P, P, S, P);
        h.advanceSeconds(11);
        h.recover();
        assertState(gid, F, S, P, S, P);
        // Java's abort sends no rollback_reason
        assertThat(query(gid).rollbackReason()).isEmpty();
    }

    @Test
    void tccWithGidFromTheServer() throws Exception {
        String newGid = java.tccGlobalTransaction(tcc -> tcc.callBranch(transReq("", ""), h.busi("TransOut"),
                h.busi("TransOutConfirm"), h.busi("TransOutRevert")));
        h.awaitIdle();

        assertThat(newGid).hasSize(22);
        assertState(newGid, S, P, S);
    }

    @Test
    void tccOldStyleFailureAnswer() {
        Throwable thrown = catchThrowable(() -> java.tccGlobalTransaction(gid, tcc -> tcc.callBranch(
                transReq("", "FAILURE"), h.busi("TransInOld"), h.busi("TransInConfirmOld"),
                h.busi("TransInRevertOld"))));
        h.awaitIdle();

        assertThat(thrown).isInstanceOf(FailureException.class);
        assertState(gid, F, S, P);
    }

    @Test
    void tccTimeoutRefusesTheLateBranch() {
        Throwable thrown = catchThrowable(() -> java.tccGlobalTransaction(gid, tcc -> {
            tcc.callBranch(transReq("", ""), h.busi("TransOut"), h.busi("TransOutConfirm"), h.busi("TransOutRevert"));
            h.advanceSeconds(300);
            h.recover();
            tcc.callBranch(transReq("", ""), h.busi("TransIn"), h.busi("TransInConfirm"), h.busi("TransInRevert"));
        }));

        // registerBranch answered 409, so Feign threw; the SDK's abort then got 409 too and its Feign error escaped
        assertThat(thrown).isNotNull();
        assertState(gid, F, S, P);
        assertThat(query(gid).rollbackReason()).matches("^Timeout after \\d+ seconds$");
        assertThat(h.busi.count("TransIn")).isZero();
    }

    // ---- the bodies HttpTccAcceptanceTest replays are what this SDK sends ----

    @Test
    void recordedBodiesMatchTheSdkEncoder() {
        JacksonEncoder encoder = new JacksonEncoder();

        assertThat(encode(encoder, new OperatorParam("g1", TransTypeEnum.TCC)))
                .isEqualTo(HttpTccAcceptanceTest.javaTransBody("g1"));
        assertThat(encode(encoder, new TccOperatorParam("g1", TransTypeEnum.TCC, "01", "prepared",
                "{\"amount\":30}", "http://busi/c", "http://busi/x")))
                .isEqualTo(HttpTccAcceptanceTest.javaRegisterBody("g1", "01", "{\"amount\":30}", "http://busi/c",
                        "http://busi/x"));
    }

    private static String encode(JacksonEncoder encoder, OperatorParam param) {
        RequestTemplate t = new RequestTemplate();
        encoder.encode(param, OperatorParam.class, t);
        return new String(t.body(), StandardCharsets.UTF_8);
    }
}
