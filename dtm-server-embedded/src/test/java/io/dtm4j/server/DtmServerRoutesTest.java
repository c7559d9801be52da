package io.dtm4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.DtmException;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.StoreUnavailableException;
import io.dtm4j.server.RouteFixture.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.dtm4j.server.RouteFixture.API;
import static io.dtm4j.server.RouteFixture.assertError;
import static io.dtm4j.server.RouteFixture.assertFailure;
import static io.dtm4j.server.RouteFixture.assertJson;
import static io.dtm4j.server.RouteFixture.assertSuccess;
import static org.assertj.core.api.Assertions.assertThat;

/** Every route's success shape and the mapping of outcomes and exceptions to DTM's envelopes. */
class DtmServerRoutesTest {
    private final RouteFixture f = new RouteFixture();

    @AfterEach
    void close() {
        f.close();
    }

    private static String saga(String gid, String extra) {
        return "{\"gid\":\"" + gid + "\",\"trans_type\":\"saga\",\"steps\":["
                + "{\"action\":\"http://busi/TransOut\",\"compensate\":\"http://busi/TransOutRevert\"},"
                + "{\"action\":\"http://busi/TransIn\",\"compensate\":\"http://busi/TransInRevert\"}],"
                + "\"payloads\":[\"{\\\"amount\\\":30}\",\"{\\\"amount\\\":30}\"],"
                + "\"concurrent\":false,\"protocol\":\"\""
                + extra + "}";
    }

    private static String body(String gid, String type) {
        return "{\"gid\":\"" + gid + "\",\"trans_type\":\"" + type + "\",\"concurrent\":false,\"protocol\":\"\"}";
    }

    private static String tccBranch(String gid, String branchId) {
        return "{\"branch_id\":\"" + branchId + "\",\"cancel\":\"http://busi/TccCancel\","
                + "\"confirm\":\"http://busi/TccConfirm\",\"data\":\"{\\\"amount\\\":30}\",\"gid\":\"" + gid
                + "\",\"trans_type\":\"tcc\"}";
    }

    private JsonNode query(String gid) {
        Reply r = f.get(API + "query?gid=" + gid);
        assertThat(r.status()).isEqualTo(200);
        assertJson(r);
        return r.json();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/api/dtmsvr/version", "/api/version"})
    void version(String path) {
        Reply r = f.get(path);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"version\":\"v9.9.9-test\"}");
        assertJson(r);
    }

    @Test
    void newGidHasGidAndSuccess() {
        Set<String> gids = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            Reply r = f.get(API + "newGid");
            assertThat(r.status()).isEqualTo(200);
            assertJson(r);
            assertThat(r.json().path("dtm_result").asText()).isEqualTo("SUCCESS");
            assertThat(r.json().path("gid").asText()).hasSize(22).matches("[A-Za-z0-9]+");
            assertThat(r.body()).doesNotContain("FAILURE");
            gids.add(r.json().path("gid").asText());
        }
        assertThat(gids).hasSize(5);
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
    void pingAnswersAnyMethod(String method) {
        Reply r = f.method(method, "/api/ping");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"msg\":\"pong\"}");
        assertJson(r);
    }

    @Test
    void headOfPingHasNoBody() {
        Reply r = f.method("HEAD", "/api/ping");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEmpty();
    }

    @Test
    void submitSagaThenQueryIt() {
        assertSuccess(f.post(API + "submit", saga("saga-ok", "")));
        JsonNode q = query("saga-ok");
        JsonNode t = q.path("transaction");
        assertThat(t.path("gid").asText()).isEqualTo("saga-ok");
        assertThat(t.path("trans_type").asText()).isEqualTo("saga");
        assertThat(t.path("status").asText()).isEqualTo("succeed");
        assertThat(t.path("protocol").asText()).isEqualTo("http");
        assertThat(t.path("options").asText()).isEqualTo("{\"concurrent\":false}");
        assertThat(t.path("create_time").asText()).isEqualTo("2026-01-01T00:00:00Z");
        assertThat(t.path("finish_time").asText()).isEqualTo("2026-01-01T00:00:00Z");
        assertThat(t.has("id")).isTrue();
        assertThat(t.path("concurrent").isBoolean()).isTrue();
        assertThat(t.has("rollback_reason")).isFalse();
        List<String> rows = new ArrayList<>();
        for (JsonNode b : q.path("branches")) {
            rows.add(b.path("branch_id").asText() + " " + b.path("op").asText() + " " + b.path("status").asText());
        }
        assertThat(rows).containsExactly("01 compensate prepared", "01 action succeed", "02 compensate prepared",
                "02 action succeed");
        assertThat(q.path("branches").get(1).path("bin_data").asText()).isEqualTo("eyJhbW91bnQiOjMwfQ==");
        assertThat(f.busi.urls()).containsExactly("http://busi/TransOut", "http://busi/TransIn");
    }

    @Test
    void submitWithWaitResultReportsAFailedSagaAs409() {
        f.busi.once("http://busi/TransIn", BranchResult.FAILURE, "{\"dtm_result\":\"FAILURE\"}");
        Reply r = f.post(API + "submit", saga("saga-fail", ",\"wait_result\":true"));
        assertFailure(r, "http://busi/TransIn");
        assertThat(query("saga-fail").path("transaction").path("status").asText()).isEqualTo("failed");
    }

    @Test
    void submitWithWaitResultReportsOngoingAs425() {
        f.busi.once("http://busi/Msg", BranchResult.ONGOING);
        Reply r = f.post(API + "submit", "{\"gid\":\"msg-ongoing\",\"trans_type\":\"msg\",\"wait_result\":true,"
                + "\"steps\":[{\"action\":\"http://busi/Msg\"}],\"payloads\":[\"{}\"]}");
        assertThat(r.status()).isEqualTo(425);
        assertJson(r);
        assertThat(r.json().path("dtm_result").asText()).isEqualTo("ONGOING");
        assertThat(r.message()).isNotEmpty();
    }

    @Test
    void submitWithWaitResultReportsATemporaryErrorAs500() {
        f.busi.once("http://busi/Msg", BranchResult.ERROR);
        Reply r = f.post(API + "submit", "{\"gid\":\"msg-error\",\"trans_type\":\"msg\",\"wait_result\":true,"
                + "\"steps\":[{\"action\":\"http://busi/Msg\"}],\"payloads\":[\"{}\"]}");
        assertError(r, 500, "temporary error");
    }

    @Test
    void tccPrepareRegisterSubmit() {
        assertSuccess(f.post(API + "prepare", body("tcc-ok", "tcc")));
        assertSuccess(f.post(API + "prepare", body("tcc-ok", "tcc"))); // idempotent
        assertSuccess(f.post(API + "registerBranch", tccBranch("tcc-ok", "01")));
        assertSuccess(f.post(API + "registerTccBranch", tccBranch("tcc-ok", "02")));
        assertSuccess(f.post(API + "submit", body("tcc-ok", "tcc")));
        JsonNode q = query("tcc-ok");
        assertThat(q.path("transaction").path("status").asText()).isEqualTo("succeed");
        assertThat(q.path("branches")).hasSize(4);
        assertThat(f.busi.callsTo("http://busi/TccConfirm")).isEqualTo(2);
        assertThat(f.busi.calls().get(0).body()).isEqualTo("{\"amount\":30}".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void xaBranchesRegisterThroughTheOldAlias() {
        assertSuccess(f.post(API + "prepare", body("xa-ok", "xa")));
        assertSuccess(f.post(API + "registerXaBranch", "{\"gid\":\"xa-ok\",\"trans_type\":\"xa\",\"branch_id\":\"01\","
                + "\"url\":\"http://busi/xa\"}"));
        assertThat(query("xa-ok").path("branches")).extracting(b -> b.path("op").asText())
                .containsExactly("rollback", "commit");
    }

    @Test
    void prepareOfAFinishedTransactionIs409Failure() {
        assertSuccess(f.post(API + "submit", saga("done", "")));
        assertFailure(f.post(API + "prepare", saga("done", "")), "current status 'succeed', cannot prepare");
        assertFailure(f.post(API + "submit", saga("done", "")), "cannot submit");
    }

    @Test
    void registerBranchOnANonPreparedGlobalIs409Failure() {
        assertFailure(f.post(API + "registerBranch", tccBranch("nobody", "01")),
                "no trans with gid: nobody status: prepared found");
    }

    @Test
    void duplicateBranchIs409Failure() {
        assertSuccess(f.post(API + "prepare", body("dup", "tcc")));
        assertSuccess(f.post(API + "registerBranch", tccBranch("dup", "01")));
        assertFailure(f.post(API + "registerBranch", tccBranch("dup", "01")), "already registered");
    }

    @Test
    void abortRollsBackATcc() {
        assertSuccess(f.post(API + "prepare", body("tcc-abort", "tcc")));
        assertSuccess(f.post(API + "registerBranch", tccBranch("tcc-abort", "01")));
        assertSuccess(f.post(API + "abort",
                "{\"gid\":\"tcc-abort\",\"trans_type\":\"tcc\",\"rollback_reason\":\"x\"}"));
        assertThat(query("tcc-abort").path("transaction").path("status").asText()).isEqualTo("failed");
        assertThat(f.busi.callsTo("http://busi/TccCancel")).isEqualTo(1);
    }

    @Test
    void abortOfASagaIs409AndOfAnUnknownGidIs404() {
        assertSuccess(f.post(API + "submit", saga("saga-abort", "")));
        assertFailure(f.post(API + "abort", body("saga-abort", "saga")), "cannot abort");
        assertError(f.post(API + "abort", body("missing", "tcc")), 404, "gid=missing: no such transaction");
    }

    @Test
    void forceStop() {
        assertSuccess(f.post(API + "prepare", body("stop-me", "tcc")));
        assertSuccess(f.post(API + "forceStop", "{\"gid\":\"stop-me\"}"));
        JsonNode t = query("stop-me").path("transaction");
        assertThat(t.path("status").asText()).isEqualTo("failed");
        assertThat(t.path("rollback_time").asText()).isEqualTo("2026-01-01T00:00:00Z");
        assertFailure(f.post(API + "forceStop", "{\"gid\":\"stop-me\"}"), "force stop error. status: failed");
        assertError(f.post(API + "forceStop", "{\"gid\":\"missing\"}"), 404, "no such transaction");
    }

    @Test
    void resetNextCronTime() {
        assertSuccess(f.post(API + "prepare", body("cron", "tcc")));
        f.clock.advance(Duration.ofSeconds(5));
        assertSuccess(f.post(API + "resetNextCronTime", "{\"gid\":\"cron\"}"));
        assertThat(query("cron").path("transaction").path("next_cron_time").asText())
                .isEqualTo("2026-01-01T00:00:05Z");
        assertError(f.post(API + "resetNextCronTime", "{\"gid\":\"missing\"}"), 404, "no such transaction");
    }

    @Test
    void queryOfAnUnknownGid() {
        Reply r = f.get(API + "query?gid=unknown");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"transaction\":null,\"branches\":[]}");
    }

    @Test
    void allPagesAndFilters() {
        assertSuccess(f.post(API + "submit", saga("all-1", "")));
        f.clock.advance(Duration.ofSeconds(10));
        assertSuccess(f.post(API + "prepare", body("all-2", "tcc")));
        f.clock.advance(Duration.ofSeconds(10));
        assertSuccess(f.post(API + "prepare", body("all-3", "msg")));

        JsonNode all = f.get(API + "all").json();
        assertThat(all.path("transactions")).extracting(t -> t.path("gid").asText())
                .containsExactly("all-3", "all-2", "all-1");
        assertThat(all.path("next_position").asText()).isEmpty();

        JsonNode page1 = f.get(API + "all?limit=2").json();
        assertThat(page1.path("transactions")).hasSize(2);
        String next = page1.path("next_position").asText();
        assertThat(next).isNotEmpty();
        JsonNode page2 = f.get(API + "all?limit=2&position=" + next).json();
        assertThat(page2.path("transactions")).extracting(t -> t.path("gid").asText()).containsExactly("all-1");

        assertThat(f.get(API + "all?status=prepared").json().path("transactions")).hasSize(2);
        assertThat(f.get(API + "all?transType=saga").json().path("transactions")).hasSize(1);
        long t0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
        assertThat(f.get(API + "all?createTimeStart=" + (t0 + 10_999)).json().path("transactions"))
                .extracting(t -> t.path("gid").asText()).containsExactly("all-3", "all-2");
        assertThat(f.get(API + "all?createTimeEnd=" + (t0 + 5_000)).json().path("transactions"))
                .extracting(t -> t.path("gid").asText()).containsExactly("all-1");

        JsonNode one = f.get(API + "all?gid=all-2&position=p").json();
        assertThat(one.path("transactions")).extracting(t -> t.path("gid").asText()).containsExactly("all-2");
        assertThat(one.path("next_position").asText()).isEqualTo("p");
        assertThat(f.get(API + "all?gid=nope").json().path("transactions")).isEmpty();
    }

    @Test
    void resetCronTime() {
        assertSuccess(f.post(API + "prepare", body("reset-1", "tcc")));
        assertSuccess(f.post(API + "prepare", body("reset-2", "tcc")));
        Reply r = f.post(API + "resetCronTime", "");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"has_remaining\":false,\"succeed_count\":0}");
        assertError(f.get(API + "resetCronTime"), 405, "GET /api/dtmsvr/resetCronTime is not allowed; use POST");
        Reply now = f.post(API + "resetCronTime?timeout=0&limit=1", "");
        assertThat(now.json().path("succeed_count").asInt()).isEqualTo(1);
        assertThat(now.json().path("has_remaining").asBoolean()).isTrue();
    }

    @Test
    void storeUnavailableIs503AndTheServerStaysUp() {
        f.storeFault = () -> new StoreUnavailableException("sqlite:/x/dtm.db: disk full; free some space");
        assertError(f.post(API + "submit", saga("s503", "")), 503, "disk full");
        assertError(f.get(API + "query?gid=s503"), 503, "disk full");
        f.storeFault = null;
        f.assertAlive();
        f.assertNothingStored();
    }

    @Test
    void otherDtmExceptionsAre500WithTheirMessage() {
        f.storeFault = () -> new DtmException("gid=x: something the operator can read");
        assertError(f.post(API + "prepare", body("x", "tcc")), 500, "something the operator can read");
        f.storeFault = null;
        f.assertAlive();
    }

    @Test
    void unexpectedExceptionsAre500InternalErrorWithoutDetails() {
        f.storeFault = () -> new IllegalStateException("secret internals");
        Reply r = f.post(API + "submit", saga("boom", ""));
        assertError(r, 500);
        assertThat(r.body()).isEqualTo("{\"message\":\"internal error\"}");
        f.storeFault = null;
        f.assertAlive();
        assertThat(f.memory.findGlobal("boom")).isEmpty();
    }

    @Test
    void successBodiesNeverMentionFailure() {
        f.busi.once("http://busi/TransOut", BranchResult.FAILURE, "FAILURE");
        Reply r = f.post(API + "submit", saga("no-wait", "")); // fails in the background
        assertSuccess(r);
        assertThat(f.memory.findGlobal("no-wait").orElseThrow().status()).isEqualTo(GlobalStatus.FAILED);
    }
}
