package io.dtm4j.server;

import io.dtm4j.server.RouteFixture.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;

import static io.dtm4j.server.RouteFixture.API;
import static io.dtm4j.server.RouteFixture.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input never stores anything, never kills the server, and gets a 4xx JSON reply that says what is wrong.
 * Every case pings the server afterwards and checks the store is still empty.
 */
class DtmServerBadInputTest {
    private final RouteFixture f = new RouteFixture();

    @AfterEach
    void stillAliveAndEmpty() {
        try {
            f.assertAlive();
            f.assertNothingStored();
        } finally {
            f.close();
        }
    }

    static Stream<Arguments> badTransactionBodies() {
        return Stream.of(
                Arguments.of("{", "not valid JSON"),
                Arguments.of("{\"gid\":\"g1\",\"trans_type\":\"saga\"", "not valid JSON"),
                Arguments.of("{\"gid\":\"g1\",\"trans_type\":\"saga\"} {}", "not valid JSON"),
                Arguments.of("", "is empty"),
                Arguments.of("[1,2]", "must be a JSON object"),
                Arguments.of("\"just a string\"", "must be a JSON object"),
                Arguments.of("{\"trans_type\":\"saga\"}", "gid is required"),
                Arguments.of("{\"gid\":\"\",\"trans_type\":\"saga\"}", "gid is required"),
                Arguments.of("{\"gid\":null,\"trans_type\":\"saga\"}", "gid is required"),
                Arguments.of("{\"gid\":42,\"trans_type\":\"saga\"}", "gid must be a string"),
                Arguments.of("{\"gid\":\"a\\\"b\",\"trans_type\":\"saga\"}", "gid contains characters"),
                Arguments.of("{\"gid\":\"a'b\",\"trans_type\":\"saga\"}", "gid contains characters"),
                Arguments.of("{\"gid\":\"a b\",\"trans_type\":\"saga\"}", "gid contains characters"),
                Arguments.of("{\"gid\":\"" + "g".repeat(129) + "\",\"trans_type\":\"saga\"}", "129 characters"),
                Arguments.of("{\"gid\":\"g1\"}", "trans_type is required"),
                Arguments.of("{\"gid\":\"g1\",\"trans_type\":\"seata-at\"}", "unknown trans_type"),
                Arguments.of("{\"gid\":\"g1\",\"trans_type\":\"saga\",\"steps\":5}", "steps must be an array"),
                Arguments.of("{\"gid\":\"g1\",\"trans_type\":\"saga\",\"steps\":[{\"action\":1}]}",
                        "steps[0].action must be a string"),
                Arguments.of("{\"gid\":\"g1\",\"trans_type\":\"saga\",\"payloads\":[{}]}",
                        "payloads[0] must be a string"),
                Arguments.of("{\"gid\":\"g1\",\"trans_type\":\"saga\",\"timeout_to_fail\":\"abc\"}",
                        "timeout_to_fail must be a whole number of seconds"),
                Arguments.of("{\"gid\":\"g1\",\"trans_type\":\"saga\",\"retry_interval\":-5}",
                        "retry_interval must be a whole number of seconds"),
                Arguments.of("{\"gid\":\"g1\",\"trans_type\":\"saga\",\"wait_result\":\"yes\"}",
                        "wait_result must be true or false"),
                Arguments.of("{\"gid\":\"g1\",\"trans_type\":\"saga\",\"branch_headers\":[\"x\"]}",
                        "branch_headers must be an object"),
                Arguments.of("{\"gid\":\"g1\",\"trans_type\":\"saga\",\"steps\":[{\"action\":\"ftp://x\"}]}",
                        "branch URL 'ftp://x' refused: only http and https URLs are called, not ftp"),
                Arguments.of("{\"gid\":\"g1\",\"trans_type\":\"saga\",\"steps\":[{}],\"payloads\":[\"a\",\"b\"]}",
                        "2 payloads for 1 steps"),
                Arguments.of("{\"gid\":\"g1\",\"trans_type\":\"saga\",\"custom_data\":\"{not json\"}", "custom_data"));
    }

    @ParameterizedTest
    @MethodSource("badTransactionBodies")
    void badSubmitBodiesAre400(String body, String message) {
        Reply r = f.post(API + "submit", body);
        assertError(r, 400, message);
        assertThat(r.body()).doesNotContain("FAILURE");
    }

    @ParameterizedTest
    @ValueSource(strings = {"prepare", "abort"})
    void otherTransactionRoutesRejectTheSameWay(String route) {
        assertError(f.post(API + route, "{\"gid\":\"g 1\",\"trans_type\":\"tcc\"}"), 400, "gid contains characters");
        assertError(f.post(API + route, "{\"gid\":\"g1\",\"trans_type\":5}"), 400, "trans_type must be a string");
        assertError(f.post(API + route, "nope"), 400, "not valid JSON");
    }

    @ParameterizedTest
    @ValueSource(strings = {"registerBranch", "registerTccBranch", "registerXaBranch"})
    void badRegisterBodiesAre400(String route) {
        assertError(f.post(API + route, "{\"gid\":\"g1\",\"trans_type\":\"tcc\",\"branch_id\":1}"), 400,
                "branch_id must be a string");
        assertError(f.post(API + route, "{\"gid\":\"g1\",\"trans_type\":\"tcc\"}"), 400, "branch_id is required");
        assertError(f.post(API + route, "{\"gid\":\";\\n\",\"trans_type\":\"tcc\",\"branch_id\":\"01\"}"), 400,
                "gid is required");
        assertError(f.post(API + route, "{\"gid\":\"g1\",\"trans_type\":\"saga\",\"branch_id\":\"01\"}"), 400,
                "registerBranch is for tcc, xa and workflow");
    }

    @ParameterizedTest
    @ValueSource(strings = {"forceStop", "resetNextCronTime"})
    void badGidBodiesAre400(String route) {
        assertError(f.post(API + route, "{}"), 400, "gid is required");
        assertError(f.post(API + route, "{\"gid\":\"<script>\"}"), 400, "gid contains characters");
        assertError(f.post(API + route, "{\"gid\""), 400, "not valid JSON");
    }

    @ParameterizedTest
    @ValueSource(strings = {"query", "query?gid=", "query?gid=a%20b", "query?gid=%22quoted%22",
            "all?gid=a%27b", "all?limit=abc", "all?limit=0", "all?limit=100000",
            "all?status=done", "all?transType=seata", "all?createTimeStart=yesterday"})
    void badQueryParametersAre400(String pathAndQuery) {
        assertError(f.get(API + pathAndQuery), 400);
    }

    @ParameterizedTest
    @ValueSource(strings = {"resetCronTime?timeout=-1", "resetCronTime?limit=x"})
    void badQueryParametersOfAPostAre400(String pathAndQuery) {
        assertError(f.post(API + pathAndQuery, ""), 400);
    }

    @Test
    void gidOf129CharactersInAQueryIs400() {
        assertError(f.get(API + "query?gid=" + "q".repeat(129)), 400, "129 characters");
    }

    @Test
    void unknownRoutesAre404Json() {
        assertError(f.get("/api/dtmsvr/nope"), 404, "no route GET /api/dtmsvr/nope");
        assertError(f.post("/", "{}"), 404, "no route POST /");
        assertError(f.get("/api/dtmsvr/submit/extra"), 404);
    }

    @Test
    void wrongMethodsAre405() {
        Reply r = f.get(API + "submit");
        assertError(r, 405, "GET /api/dtmsvr/submit is not allowed; use POST");
        assertThat(r.headers().firstValue("Allow")).hasValue("POST");
        assertError(f.post(API + "query?gid=x", "{}"), 405, "use GET");
        assertError(f.method("DELETE", API + "newGid"), 405);
        assertError(f.method("PUT", API + "registerBranch"), 405);
    }

    @Test
    void bodyOverTheDefaultCapIs413() {
        byte[] big = new byte[DtmServer.DEFAULT_MAX_BODY_BYTES + 1];
        Arrays.fill(big, (byte) ' ');
        big[0] = '{';
        assertError(f.post(API + "submit", big), 413, "larger than 1048576 bytes");
    }

    @Test
    void bodyAtTheCapIsRead() {
        byte[] body = new byte[DtmServer.DEFAULT_MAX_BODY_BYTES];
        Arrays.fill(body, (byte) ' ');
        byte[] json = "{\"gid\":\"\"}".getBytes(StandardCharsets.UTF_8);
        System.arraycopy(json, 0, body, 0, json.length);
        assertError(f.post(API + "submit", body), 400, "gid is required");
    }

    @Test
    void chunkedBodyOverTheCapIs413() {
        byte[] big = new byte[DtmServer.DEFAULT_MAX_BODY_BYTES + 10];
        Arrays.fill(big, (byte) ' ');
        Reply r = f.send(HttpRequest.newBuilder(URI.create(f.url(API + "prepare")))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))));
        assertError(r, 413);
    }

    @Test
    void aSmallerCapIsHonoured() {
        try (RouteFixture small = new RouteFixture(b -> b.maxBodyBytes(1024))) {
            String padding = " ".repeat(2000);
            assertError(small.post(API + "registerBranch", "{\"gid\":\"g1\"}" + padding), 413, "larger than 1024");
            small.assertAlive();
            small.assertNothingStored();
        }
    }

    @Test
    void manyBadRequestsInARowLeaveTheServerUsable() {
        for (int i = 0; i < 50; i++) {
            assertError(f.post(API + "submit", "{\"gid\":" + i + "}"), 400);
        }
        assertThat(f.get(API + "newGid").status()).isEqualTo(200);
    }
}
