package io.dtm4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.dtm4j.client.DtmClient;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.client.DtmOngoingException;
import io.dtm4j.client.workflow.WorkflowException;
import io.dtm4j.client.workflow.WorkflowHandler;
import io.dtm4j.client.workflow.WorkflowOptions;
import io.dtm4j.client.workflow.Workflows;
import io.dtm4j.server.BusiService.BusiRequest;
import io.dtm4j.server.DtmHttp.Query;
import io.dtm4j.server.DtmHttp.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The workflow rows of DTM's acceptance catalogue (workflow_http_test, workflow_http_ret_test, workflow_base_test;
 * spec server-protocol 9, clients-and-barrier 6 and 12.5) over HTTP: our SDK ({@link DtmClient#http}) against the
 * in-process server, steps served by {@link BusiService}, and the service's resume endpoint ({@code
 * workflow/resume}, DTM busi's {@code ExecuteByQS} route) on a small JDK server of this test. Time and recovery
 * move by hand. Gid = test name.
 */
@Timeout(60)
class HttpWorkflowAcceptanceTest {
    /** DTM's Go SDK default, which DTM's rollback tests assume: a branch whose action failed is not compensated. */
    private static final WorkflowOptions DTM_OPTIONS = WorkflowOptions.DEFAULT.withCompensateErrorBranch(false);
    private static final String P = "prepared";
    private static final String S = "succeed";
    private static final String F = "failed";

    private HttpHarness h;
    private HttpServer resumeServer;
    /** The HTTP methods of the resume calls received, in order. */
    private final List<String> resumeMethods = new CopyOnWriteArrayList<>();
    private DtmClient dtm;
    private Workflows workflows;
    private String gid;

    @BeforeEach
    void setUp(TestInfo info) throws IOException {
        gid = info.getTestMethod().orElseThrow().getName();
        h = HttpHarness.start();
        resumeServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        resumeServer.createContext("/api/busi/workflow/resume", this::resumeEndpoint);
        resumeServer.start();
        dtm = DtmClient.builder().serverUrl(h.dtm.prefix()).workflowResumeUrl(resumeUrl()).build();
        workflows = dtm.workflows();
    }

    @AfterEach
    void tearDown() {
        if (dtm != null) {
            dtm.close();
        }
        if (resumeServer != null) {
            resumeServer.stop(0);
        }
        if (h != null) {
            h.close();
        }
    }

    private String resumeUrl() {
        return "http://127.0.0.1:" + resumeServer.getAddress().getPort() + "/api/busi/workflow/resume";
    }

    /** DTM busi's workflow/resume: {@code ExecuteByQS}, the outcome as {@code Result2HttpJSON} answers it. */
    private void resumeEndpoint(HttpExchange ex) throws IOException {
        try (ex) {
            resumeMethods.add(ex.getRequestMethod());
            byte[] body = ex.getRequestBody().readAllBytes();
            int status;
            String reply;
            try {
                workflows.resume(query(ex.getRequestURI().getRawQuery()), body);
                status = 200;
                reply = "{\"dtm_result\":\"SUCCESS\"}";
            } catch (DtmFailureException e) {
                status = 409;
                reply = "{\"dtm_result\":\"FAILURE\"}";
            } catch (DtmOngoingException e) {
                status = 425;
                reply = "{\"dtm_result\":\"ONGOING\"}";
            } catch (RuntimeException e) {
                status = 500;
                reply = "{\"message\":\"resume failed\"}";
            }
            byte[] b = reply.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> m = new TreeMap<>();
        if (raw != null && !raw.isEmpty()) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                m.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return m;
    }

    /** DTM's wfSaga: TransOut / TransIn with their Reverts as compensations; returns the TransIn answer. */
    private WorkflowHandler saga() {
        return (wf, input) -> {
            wf.branch().onRollback(ctx -> ctx.call(h.busi("TransOutRevert"), input)).call(h.busi("TransOut"), input);
            return wf.branch().onRollback(ctx -> ctx.call(h.busi("TransInRevert"), input))
                    .call(h.busi("TransIn"), input);
        };
    }

    /** DTM's wfTcc: TransOut / TransIn tried, confirmed on commit, reverted on rollback. */
    private WorkflowHandler tcc() {
        return (wf, input) -> {
            wf.branch().onCommit(ctx -> ctx.call(h.busi("TransOutConfirm"), input))
                    .onRollback(ctx -> ctx.call(h.busi("TransOutRevert"), input))
                    .call(h.busi("TransOut"), input);
            wf.branch().onCommit(ctx -> ctx.call(h.busi("TransInConfirm"), input))
                    .onRollback(ctx -> ctx.call(h.busi("TransInRevert"), input))
                    .call(h.busi("TransIn"), input);
            return null;
        };
    }

    private byte[] execute(String name, String req) {
        return workflows.execute(name, gid, req.getBytes(StandardCharsets.UTF_8));
    }

    private Query query() {
        return h.dtm.query(gid);
    }

    private void assertState(String status, String... branches) {
        Query q = query();
        assertThat(q.status()).as("status of %s", gid).isEqualTo(status);
        assertThat(q.branchStatuses()).as("branch statuses of %s", gid).containsExactly(branches);
    }

    /** Busi calls as {@code endpoint:op:branch}. */
    private List<String> trace() {
        return h.busi.requests().stream().map(r -> r.endpoint() + ":" + r.op() + ":" + r.branchId()).toList();
    }

    /** One recovery step after the retry interval: the coordinator calls the resume endpoint. */
    private void resumeByCoordinator() {
        h.advanceSeconds(11);
        h.recover();
    }

    // ---- workflow_http_test.go ----

    @Test
    void TestWorkflowNormal() {
        workflows.register("wf_saga", saga());

        byte[] result = execute("wf_saga", GoTrans.transReq());

        assertThat(new String(result, StandardCharsets.UTF_8)).isEqualTo("{\"dtm_result\":\"SUCCESS\"}");
        assertState(S, S, S);
        assertThat(query().branchOps()).containsExactly("action", "action");
        assertThat(trace()).containsExactly("TransOut:action:01", "TransIn:action:02");
        BusiRequest in = h.busi.requests("TransIn").get(0);
        assertThat(in.method()).isEqualTo("POST");
        assertThat(in.query()).isEqualTo(new TreeMap<>(Map.of("gid", gid, "trans_type", "workflow",
                "branch_id", "02", "op", "action")));
        assertThat(in.body()).isEqualTo(GoTrans.transReq());
    }

    @Test
    void TestWorkflowRollback() {
        workflows.register("wf_saga", saga(), DTM_OPTIONS);

        assertThatThrownBy(() -> execute("wf_saga", GoTrans.transReq(30, "", "FAILURE")))
                .isInstanceOf(DtmFailureException.class)
                .hasMessageContaining("FAILURE from busi");

        assertState(F, S, F, S);
        assertThat(query().branchOps()).containsExactly("action", "action", "rollback");
        assertThat(query().rollbackReason()).contains("branch=02 op=action").contains("FAILURE from busi");
        assertThat(trace()).containsExactly("TransOut:action:01", "TransIn:action:02", "TransOutRevert:rollback:01");
    }

    @Test
    void TestWorkflowTcc() {
        workflows.register("wf_tcc", tcc());

        execute("wf_tcc", GoTrans.transReq());

        assertState(S, S, S, S, S);
        assertThat(trace()).containsExactly("TransOut:action:01", "TransIn:action:02", "TransInConfirm:commit:02",
                "TransOutConfirm:commit:01");
    }

    @Test
    void TestWorkflowTccRollback() {
        workflows.register("wf_tcc", tcc(), DTM_OPTIONS);

        assertThatThrownBy(() -> execute("wf_tcc", GoTrans.transReq(30, "", "FAILURE")))
                .isInstanceOf(DtmFailureException.class);

        assertState(F, S, F, S);
        assertThat(trace()).containsExactly("TransOut:action:01", "TransIn:action:02", "TransOutRevert:rollback:01");
    }

    @Test
    void TestWorkflowError() {
        workflows.register("wf_saga", saga());
        h.busi.setOnce("TransIn", "ERROR");

        assertThatThrownBy(() -> execute("wf_saga", GoTrans.transReq()))
                .isInstanceOf(WorkflowException.class)
                .hasMessageContaining("HTTP 500");
        assertState(P, S);

        resumeByCoordinator();

        assertThat(resumeMethods).containsExactly("POST");
        assertState(S, S, S);
        assertThat(trace()).containsExactly("TransOut:action:01", "TransIn:action:02", "TransIn:action:02");
        assertThat(new String(Base64.getDecoder().decode(query().transaction().path("result").asText()),
                StandardCharsets.UTF_8)).isEqualTo("{\"dtm_result\":\"SUCCESS\"}");
    }

    @Test
    void TestWorkflowOngoing() {
        workflows.register("wf_saga", saga());
        h.busi.setOnce("TransOut", "ONGOING");

        assertThatThrownBy(() -> execute("wf_saga", GoTrans.transReq())).isInstanceOf(DtmOngoingException.class);
        assertState(P);

        resumeByCoordinator();

        assertState(S, S, S);
        assertThat(trace()).containsExactly("TransOut:action:01", "TransOut:action:01", "TransIn:action:02");
    }

    @Test
    void TestWorkflowResumeSkip() {
        AtomicInteger localRuns = new AtomicInteger();
        workflows.register("wf_resume_skip", (wf, input) -> {
            wf.branch().doLocal(ctx -> {
                localRuns.incrementAndGet();
                return null;
            });
            return wf.branch().call(h.busi("TransIn"), input);
        });
        h.busi.setOnce("TransIn", "ONGOING");

        assertThatThrownBy(() -> execute("wf_resume_skip", GoTrans.transReq())).isInstanceOf(DtmOngoingException.class);
        resumeByCoordinator();

        assertThat(localRuns).hasValue(1);
        assertState(S, S, S);
    }

    @Test
    void TestWorkflowRollbackResumed() {
        workflows.register("wf_saga", saga(), DTM_OPTIONS);
        h.busi.setOnce("TransOutRevert", "ERROR");

        assertThatThrownBy(() -> execute("wf_saga", GoTrans.transReq(30, "", "FAILURE")))
                .isInstanceOf(WorkflowException.class);
        assertState(P, S, F);

        resumeByCoordinator();

        assertState(F, S, F, S);
        assertThat(trace()).containsExactly("TransOut:action:01", "TransIn:action:02", "TransOutRevert:rollback:01",
                "TransOutRevert:rollback:01");
    }

    // ---- workflow_http_ret_test.go ----

    @Test
    void TestWorkflowRet() {
        AtomicInteger runs = new AtomicInteger();
        workflows.register("wf_ret", (wf, input) -> {
            runs.incrementAndGet();
            wf.branch().call(h.busi("TransIn"), input);
            return "the result".getBytes(StandardCharsets.UTF_8);
        });

        byte[] first = execute("wf_ret", GoTrans.transReq());
        byte[] second = execute("wf_ret", GoTrans.transReq());

        assertThat(new String(first, StandardCharsets.UTF_8)).isEqualTo("the result");
        assertThat(second).isEqualTo(first);
        assertThat(runs).hasValue(1);
        assertThat(h.busi.count("TransIn")).isEqualTo(1);
    }

    @Test
    void TestWorkflowFailedAgain() {
        workflows.register("wf_saga", saga());
        assertThatThrownBy(() -> execute("wf_saga", GoTrans.transReq(30, "", "FAILURE")))
                .isInstanceOf(DtmFailureException.class);

        assertThatThrownBy(() -> execute("wf_saga", GoTrans.transReq(30, "", "FAILURE")))
                .isInstanceOf(DtmFailureException.class)
                .hasMessageContaining("FAILURE from busi");
        assertThat(h.busi.count("TransIn")).isEqualTo(1);
    }

    // ---- workflow_base_test.go ----

    @Test
    void TestWorkflowBranchConflict() {
        workflows.register("wf_conflict", (wf, input) -> wf.branch().doLocal(ctx -> {
            // another run of the same gid records this step first
            Reply r = h.dtm.post("registerBranch", "{\"branch_id\":\"01\",\"data\":\"other\",\"gid\":\"" + gid
                    + "\",\"op\":\"action\",\"status\":\"succeed\",\"trans_type\":\"workflow\"}");
            assertThat(r.status()).isEqualTo(200);
            return "mine".getBytes(StandardCharsets.UTF_8);
        }));

        assertThatThrownBy(() -> execute("wf_conflict", GoTrans.transReq()))
                .isInstanceOf(WorkflowException.class)
                .hasMessageContaining("refused to record");
        Reply again = h.dtm.post("registerBranch", "{\"branch_id\":\"01\",\"data\":\"\",\"gid\":\"" + gid
                + "\",\"op\":\"action\",\"status\":\"succeed\",\"trans_type\":\"workflow\"}");
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.dtmResult()).isEqualTo("FAILURE");

        resumeByCoordinator();

        assertState(S, S);
        assertThat(new String(Base64.getDecoder().decode(query().transaction().path("result").asText()),
                StandardCharsets.UTF_8)).isEqualTo("other");
    }

    // ---- the raw wire shape a Go client parses ----

    @Test
    void prepareWorkflowReplyAsGoParsesIt() {
        workflows.register("wf_saga", saga());
        execute("wf_saga", GoTrans.transReq());
        String data = Base64.getEncoder().encodeToString(GoTrans.transReq().getBytes(StandardCharsets.UTF_8));

        Reply r = h.dtm.post("prepareWorkflow", "{\"gid\":\"" + gid + "\",\"trans_type\":\"workflow\","
                + "\"custom_data\":\"{\\\"data\\\":\\\"" + data + "\\\",\\\"name\\\":\\\"wf_saga\\\"}\","
                + "\"concurrent\":false,\"query_prepared\":\"" + resumeUrl() + "\",\"protocol\":\"http\"}");

        assertThat(r.status()).isEqualTo(200);
        JsonNode t = r.json().path("transaction");
        assertThat(t.path("gid").asText()).isEqualTo(gid);
        assertThat(t.path("status").asText()).isEqualTo(S);
        assertThat(t.path("rollback_reason").asText("")).isEmpty();
        assertThat(new String(Base64.getDecoder().decode(t.path("result").asText()), StandardCharsets.UTF_8))
                .isEqualTo("{\"dtm_result\":\"SUCCESS\"}");
        JsonNode p = r.json().path("progresses");
        assertThat(p).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(p.get(i).path("branch_id").asText()).isEqualTo("0" + (i + 1));
            assertThat(p.get(i).path("op").asText()).isEqualTo("action");
            assertThat(p.get(i).path("status").asText()).isEqualTo(S);
            assertThat(new String(Base64.getDecoder().decode(p.get(i).path("bin_data").asText()),
                    StandardCharsets.UTF_8)).isEqualTo("{\"dtm_result\":\"SUCCESS\"}");
        }
        assertThat(t.path("custom_data").asText()).isEqualTo("{\"data\":\"" + data + "\",\"name\":\"wf_saga\"}");
    }

    @Test
    void workflowStartedWithoutInputIsResumedWithGet() {
        workflows.register("wf_empty", (wf, input) -> wf.branch().call(h.busi("TransIn"), input));
        h.busi.setOnce("TransIn", "ERROR");

        assertThatThrownBy(() -> workflows.execute("wf_empty", gid, new byte[0])).isInstanceOf(WorkflowException.class);
        resumeByCoordinator();

        assertThat(resumeMethods).containsExactly("GET");
        assertState(S, S);
    }
}
