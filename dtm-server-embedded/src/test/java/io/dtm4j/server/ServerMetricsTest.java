package io.dtm4j.server;

import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.TransType;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.store.jdbc.JdbcTransactionStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code GET /api/metrics}: DTM's metric names and labels after real transactions over HTTP, dtm4j's additions,
 * the JVM's, and text that parses. Counts only; durations are asserted only where the mutable clock fixes them.
 */
@Timeout(60)
class ServerMetricsTest {
    /** One sample line: {@code name{label="value",...} value}. */
    private static final Pattern SAMPLE = Pattern.compile(
            "[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\""
                    + "(,[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\")*})? (\\S+)");
    private static final String SAGA = "model=\"saga\"";

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private HttpHarness h;

    @TempDir
    Path dir;

    @BeforeEach
    void setUp() {
        h = HttpHarness.start();
    }

    @AfterEach
    void tearDown() {
        h.close();
    }

    @Test
    void happySagaIsCountedWithDtmNamesAndLabels() {
        submitSaga("MetricsHappySaga", GoTrans.transReq());
        assertThat(get("/api/dtmsvr/query?gid=MetricsHappySaga").statusCode()).isEqualTo(200);
        assertThat(get("/api/no/such/route?x=1").statusCode()).isEqualTo(404);

        HttpResponse<String> reply = get("/api/metrics");

        assertThat(reply.statusCode()).isEqualTo(200);
        assertThat(reply.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        List<String> lines = samples(reply.body());
        assertThat(lines).contains(
                "dtm_server_info{gin_version=\"none\",grpc_version=\"none\",version=\""
                        + DtmServer.buildVersion() + "\"} 1.0",
                "dtm_server_process_total{api=\"submit\",status=\"ok\",type=\"http\"} 1.0",
                "dtm_server_process_total{api=\"submit\",status=\"fail\",type=\"http\"} 0.0",
                "dtm_server_process_total{api=\"query\",status=\"ok\",type=\"http\"} 1.0",
                "dtm_server_process_total{api=\"unknown\",status=\"fail\",type=\"http\"} 1.0",
                "dtm_server_response_duration_count{api=\"submit\",type=\"http\"} 1",
                "dtm_branch_process_total{branchid=\"01\",branchtype=\"action\"," + SAGA + ",status=\"ok\"} 1.0",
                "dtm_branch_process_total{branchid=\"02\",branchtype=\"action\"," + SAGA + ",status=\"ok\"} 1.0",
                "dtm_transaction_process_total{" + SAGA + ",status=\"ok\"} 1.0",
                // the harness clock stands still: the round ended 0 s after create_time
                "dtm_transaction_handled_duration_bucket{" + SAGA + ",le=\"0.005\"} 1",
                "dtm_transaction_handled_duration_count{" + SAGA + "} 1",
                "dtm4j_transactions_status_total{" + SAGA + ",status=\"submitted\"} 1.0",
                "dtm4j_transactions_status_total{" + SAGA + ",status=\"succeed\"} 1.0",
                "dtm4j_store_up 1.0");
        assertThat(lines).anyMatch(l -> l.startsWith(
                "dtm_server_response_duration_bucket{api=\"submit\",type=\"http\",le=\"0.005\"} "));
        assertThat(lines).anyMatch(l -> l.startsWith("jvm_memory_used_bytes{area=\"heap\"} "));
        assertThat(lines).noneMatch(l -> l.contains("compensate") || l.contains("api=\"metrics\"")
                || l.startsWith("dtm4j_transaction_retries_total") || l.startsWith("dtm4j_store_connections"));

        assertThat(samples(get("/api/metrics").body()))
                .contains("dtm_server_process_total{api=\"metrics\",status=\"ok\",type=\"http\"} 1.0");
    }

    @Test
    void rollbackRetryAndRefusedRequestAreCountedAsFailures() {
        submitSaga("MetricsRollback", GoTrans.transReq(30, "", "FAILURE"));
        submitSaga("MetricsOngoing", GoTrans.transReq(30, "ONGOING", ""));
        // a saga cannot be aborted: 409
        assertThat(h.dtm.abort(saga("MetricsRollback", GoTrans.transReq()).json()).status()).isEqualTo(409);

        List<String> lines = samples(get("/api/metrics").body());

        assertThat(lines).contains(
                "dtm_server_process_total{api=\"submit\",status=\"ok\",type=\"http\"} 2.0",
                "dtm_server_process_total{api=\"abort\",status=\"fail\",type=\"http\"} 1.0",
                "dtm_branch_process_total{branchid=\"01\",branchtype=\"action\"," + SAGA + ",status=\"ok\"} 1.0",
                "dtm_branch_process_total{branchid=\"01\",branchtype=\"action\"," + SAGA + ",status=\"fail\"} 1.0",
                "dtm_branch_process_total{branchid=\"02\",branchtype=\"action\"," + SAGA + ",status=\"fail\"} 1.0",
                "dtm_branch_process_total{branchid=\"02\",branchtype=\"compensate\"," + SAGA + ",status=\"ok\"} 1.0",
                "dtm_branch_process_total{branchid=\"01\",branchtype=\"compensate\"," + SAGA + ",status=\"ok\"} 1.0",
                "dtm_transaction_process_total{" + SAGA + ",status=\"fail\"} 2.0",
                "dtm4j_transaction_retries_total{" + SAGA + "} 1.0",
                "dtm4j_transactions_status_total{" + SAGA + ",status=\"submitted\"} 2.0",
                "dtm4j_transactions_status_total{" + SAGA + ",status=\"aborting\"} 1.0",
                "dtm4j_transactions_status_total{" + SAGA + ",status=\"failed\"} 1.0");
        assertThat(lines).noneMatch(l -> l.startsWith("dtm_transaction_process_total{" + SAGA + ",status=\"ok\"}"));
    }

    @Test
    void jdbcStoreHasConnectionGaugesAndADownStoreReadsZero() {
        try (JdbcTransactionStore store = JdbcTransactionStore.builder().sqlite(dir).readConnections(2).build()) {
            store.ping();
            ServerMetrics metrics = new ServerMetrics();
            metrics.attach("v9.9.9", store, () -> false);

            List<String> lines = samples(new String(metrics.scrape(), StandardCharsets.UTF_8));

            assertThat(lines).contains("dtm4j_store_up 0.0", "dtm4j_store_connections{state=\"waiting\"} 0.0",
                    "dtm_server_info{gin_version=\"none\",grpc_version=\"none\",version=\"v9.9.9\"} 1.0");
            assertThat(lines).anyMatch(l -> l.matches("dtm4j_store_connections\\{state=\"open\"} [12]\\.0"));
            assertThat(lines).anyMatch(l -> l.matches("dtm4j_store_connections\\{state=\"idle\"} [12]\\.0"));
        }
    }

    @Test
    void aRequestWithoutAReplyOrWithAnErrorStatusIsAFailure() {
        ServerMetrics metrics = new ServerMetrics();
        metrics.requestServed("submit", 399, 1_000);
        metrics.requestServed("submit", 400, 1_000);
        metrics.requestServed("submit", 0, 1_000);
        // a create_time ahead of this node's clock gives a negative age: the first bucket
        metrics.roundEnded("g", TransType.TCC, true, Duration.ofSeconds(-3));
        metrics.branchCalled("g", TransType.TCC, "01", BranchOp.CONFIRM, BranchResult.ONGOING);

        List<String> lines = samples(new String(metrics.scrape(), StandardCharsets.UTF_8));

        assertThat(lines).contains(
                "dtm_server_process_total{api=\"submit\",status=\"ok\",type=\"http\"} 1.0",
                "dtm_server_process_total{api=\"submit\",status=\"fail\",type=\"http\"} 2.0",
                "dtm_transaction_handled_duration_bucket{model=\"tcc\",le=\"0.005\"} 1",
                "dtm_branch_process_total{branchid=\"01\",branchtype=\"confirm\",model=\"tcc\",status=\"fail\"} 1.0");
    }

    @Test
    void apiLabelIsTheRoutesLastSegmentInLowerCase() {
        assertThat(ServerMetrics.apiLabel("/api/dtmsvr/registerTccBranch")).isEqualTo("registertccbranch");
        assertThat(ServerMetrics.apiLabel("/api/ping")).isEqualTo("ping");
    }

    @Test
    void oneInstanceServesOneServer() {
        InMemoryTransactionStore store = new InMemoryTransactionStore();
        ServerMetrics metrics = new ServerMetrics();
        metrics.attach("v1", store, () -> true);

        assertThatThrownBy(() -> metrics.attach("v1", store, () -> true)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("one per server");
    }

    private GoTrans saga(String gid, String payload) {
        return GoTrans.saga(gid).add(h.busi("TransOut"), h.busi("TransOutRevert"), payload)
                .add(h.busi("TransIn"), h.busi("TransInRevert"), payload);
    }

    private void submitSaga(String gid, String payload) {
        assertThat(h.dtm.submit(saga(gid, payload).json()).status()).isEqualTo(200);
        h.awaitIdle();
    }

    private HttpResponse<String> get(String pathAndQuery) {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.server.port() + pathAndQuery))
                .timeout(DtmHttp.CALL_TIMEOUT).GET().build();
        try {
            return client.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("GET " + pathAndQuery + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** The sample lines of a scrape, after checking that every line is a comment or parses as a sample. */
    private static List<String> samples(String text) {
        List<String> lines = text.lines().toList();
        assertThat(lines).isNotEmpty().allSatisfy(l -> {
            if (!l.startsWith("# HELP ") && !l.startsWith("# TYPE ")) {
                var m = SAMPLE.matcher(l);
                assertThat(m.matches()).as("sample line %s", l).isTrue();
                String value = m.group(3).replace("Inf", "Infinity");
                assertThatCode(() -> Double.parseDouble(value)).as("value of %s", l).doesNotThrowAnyException();
            }
        });
        return lines.stream().filter(l -> !l.startsWith("#")).toList();
    }
}
