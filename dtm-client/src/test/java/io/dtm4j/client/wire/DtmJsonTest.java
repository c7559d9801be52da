package io.dtm4j.client.wire;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionPage;
import io.dtm4j.core.TransactionView;
import io.dtm4j.core.spi.CronReset;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DtmJsonTest {

    private static byte[] json(String s) {
        return s.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static TransRequest parse(String body) {
        return DtmJson.parseTransRequest(json(body));
    }

    private static void rejects(String body, String... messageParts) {
        assertThatThrownBy(() -> parse(body))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContainingAll(messageParts);
    }

    @Nested
    class TransRequestLenientRules {

        @Test
        void goSdkSagaBody() {
            TransRequest r = parse("{'gid':'g1','trans_type':'saga','custom_data':'{\\'concurrent\\':true}',"
                    + "'wait_result':true,'timeout_to_fail':30,'request_timeout':5,'retry_interval':12,"
                    + "'branch_headers':{'X-A':'1'},'concurrent':false,'retry_limit':2,'retry_count':0,"
                    + "'steps':[{'action':'http://b/a','compensate':'http://b/c'}],'payloads':['{\\'amount\\':30}'],"
                    + "'query_prepared':'','protocol':''}");
            assertThat(r.gid()).isEqualTo("g1");
            assertThat(r.transType()).isEqualTo(TransType.SAGA);
            assertThat(r.customData()).isEqualTo("{\"concurrent\":true}");
            assertThat(r.steps()).containsExactly(Map.of("action", "http://b/a", "compensate", "http://b/c"));
            assertThat(text(r.payload(0))).isEqualTo("{\"amount\":30}");
            assertThat(r.protocol()).isEqualTo("http");
            TransOptions o = r.options();
            assertThat(o.waitResult()).isTrue();
            assertThat(o.timeoutToFail()).isEqualTo(Duration.ofSeconds(30));
            assertThat(o.requestTimeout()).isEqualTo(Duration.ofSeconds(5));
            assertThat(o.retryInterval()).isEqualTo(Duration.ofSeconds(12));
            assertThat(o.branchHeaders()).containsExactly(Map.entry("X-A", "1"));
            assertThat(o.concurrent()).isFalse();
            assertThat(o.retryLimit()).isEqualTo(2);
        }

        @Test
        void unknownKeysAreIgnored() {
            TransRequest r = parse("{'gid':'g1','trans_type':'saga','subType':'saga','passthrough_headers':[],"
                    + "'status':'succeed','options':'{}','ext_data':'x','next_cron_time':'2020-01-01T00:00:00Z',"
                    + "'nested':{'deep':[1,2,{'x':null}]}}");
            assertThat(r.gid()).isEqualTo("g1");
            assertThat(r.steps()).isEmpty();
        }

        @Test
        void javaSdk214SagaBody() {
            TransRequest r = parse("{'gid':'g-java','trans_type':'saga','subType':'saga',"
                    + "'steps':[{'action':'http://b/a','compensate':'http://b/c'}],'payloads':['{}'],"
                    + "'custom_data':null,'wait_result':false,'timeout_to_fail':0,'retry_interval':0,"
                    + "'passthrough_headers':[],'branch_headers':{}}");
            assertThat(r.customData()).isEmpty();
            assertThat(r.options()).isEqualTo(TransOptions.DEFAULT);
            assertThat(r.payloads()).hasSize(1);
        }

        @Test
        void pythonSdkNullsAreEmpty() {
            TransRequest r = parse("{'gid':'g-py','trans_type':'msg','protocol':null,'custom_data':null,"
                    + "'query_prepared':null,'request_timeout':8,'steps':null,'payloads':null,"
                    + "'branch_headers':null,'wait_result':null,'concurrent':null,'retry_limit':null,"
                    + "'rollback_reason':null,'req_extra':null}");
            assertThat(r.protocol()).isEqualTo("http");
            assertThat(r.customData()).isEmpty();
            assertThat(r.queryPrepared()).isEmpty();
            assertThat(r.steps()).isEmpty();
            assertThat(r.payloads()).isEmpty();
            assertThat(r.options().requestTimeout()).isEqualTo(Duration.ofSeconds(8));
            assertThat(r.options().waitResult()).isFalse();
        }

        @Test
        void zeroOptionsMeanServerDefault() {
            TransRequest r = parse("{'gid':'g1','trans_type':'tcc','timeout_to_fail':0,'request_timeout':0,"
                    + "'retry_interval':0,'retry_limit':0}");
            assertThat(r.options()).isEqualTo(TransOptions.DEFAULT);
        }

        @ParameterizedTest
        @CsvSource({"'',http", "http,http", "HTTP,http", "grpc,grpc", "json-rpc,json-rpc"})
        void protocolEmptyMeansHttp(String sent, String expected) {
            assertThat(parse("{'gid':'g1','trans_type':'saga','protocol':'" + sent + "'}").protocol())
                    .isEqualTo(expected);
        }

        @Test
        void missingProtocolMeansHttp() {
            assertThat(parse("{'gid':'g1','trans_type':'saga'}").protocol()).isEqualTo("http");
        }

        @Test
        void legacyStepDataIsAppendedAfterPayloadsAndRemovedFromTheStep() {
            TransRequest r = parse("{'gid':'g1','trans_type':'saga','steps':["
                    + "{'action':'http://b/a1','compensate':'http://b/c1','data':'{\\'n\\':1}'},"
                    + "{'action':'http://b/a2','compensate':'http://b/c2','data':'{\\'n\\':2}'}]}");
            assertThat(r.steps()).allSatisfy(step -> assertThat(step).doesNotContainKey("data"));
            assertThat(r.payloads()).hasSize(2);
            assertThat(text(r.payload(0))).isEqualTo("{\"n\":1}");
            assertThat(text(r.payload(1))).isEqualTo("{\"n\":2}");
        }

        @Test
        void legacyDataComesAfterExplicitPayloadsAndEmptyDataIsSkipped() {
            TransRequest r = parse("{'gid':'g1','trans_type':'msg','payloads':['p0'],'steps':["
                    + "{'action':'http://b/a1','data':''},{'action':'http://b/a2','data':'d1'}]}");
            assertThat(r.payloads()).extracting(DtmJsonTest::text).containsExactly("p0", "d1");
            assertThat(r.steps().get(0)).containsOnlyKeys("action");
        }

        @Test
        void nullStepAndNullStepValueAreEmpty() {
            TransRequest r = parse("{'gid':'g1','trans_type':'saga','steps':[null,{'action':null}],"
                    + "'payloads':[null]}");
            assertThat(r.steps()).containsExactly(Map.of(), Map.of("action", ""));
            assertThat(r.payload(0)).isEmpty();
        }

        @Test
        void gidIsCleanedOfNewlinesAndSemicolons() {
            assertThat(parse("{'gid':'g\\n1;\\r','trans_type':'saga'}").gid()).isEqualTo("g1");
        }

        @Test
        void transTypeIsCaseInsensitive() {
            assertThat(parse("{'gid':'g1','trans_type':'TCC'}").transType()).isEqualTo(TransType.TCC);
        }

        @Test
        void abortBodyKeepsRollbackReasonAndWorkflowSubmitKeepsReqExtra() {
            TransRequest r = parse("{'gid':'g1','trans_type':'workflow','rollback_reason':'busi said no',"
                    + "'req_extra':{'status':'failed','result':'eHg='}}");
            assertThat(r.rollbackReason()).isEqualTo("busi said no");
            assertThat(r.reqExtra()).containsEntry("status", "failed").containsEntry("result", "eHg=");
        }

        @Test
        void unicodePayloadsSurviveAsUtf8() {
            TransRequest r = parse("{'gid':'g1','trans_type':'msg','steps':[{'action':'http://b/a'}],"
                    + "'payloads':['{\\'name\\':\\'Zoë 北京\\'}']}");
            assertThat(text(r.payload(0))).isEqualTo("{\"name\":\"Zoë 北京\"}");
        }
    }

    @Nested
    class TransRequestRejections {

        @ParameterizedTest
        @ValueSource(strings = {"{", "{'gid':}", "not json", "{'gid':'g1',}", "{'gid':'g1'} trailing"})
        void malformedJson(String body) {
            rejects(body, "the transaction body is not valid JSON");
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "   ", "\n"})
        void emptyBody(String body) {
            rejects(body, "the transaction body is empty");
        }

        @ParameterizedTest
        @ValueSource(strings = {"[]", "5", "'text'", "null", "true"})
        void bodyThatIsNotAnObject(String body) {
            rejects(body, "must be a JSON object");
        }

        @Test
        void nullBody() {
            assertThatThrownBy(() -> DtmJson.parseTransRequest(null)).isInstanceOf(InvalidRequestException.class);
        }

        @ParameterizedTest
        @ValueSource(strings = {"{'trans_type':'saga'}", "{'gid':'','trans_type':'saga'}",
                "{'gid':null,'trans_type':'saga'}", "{'gid':';\\n','trans_type':'saga'}"})
        void missingOrEmptyGid(String body) {
            rejects(body, "gid is required");
        }

        @Test
        void gidOfWrongType() {
            rejects("{'gid':5,'trans_type':'saga'}", "gid must be a string", "got the number 5");
        }

        @ParameterizedTest
        @ValueSource(strings = {"a b", "a\\\"b", "a'b", "a/b", "ä", "<script>"})
        void gidOutsideTheSafePattern(String gid) {
            rejects("{'gid':'" + gid.replace("'", "\\u0027") + "','trans_type':'saga'}", "gid contains characters");
        }

        @Test
        void gidTooLong() {
            rejects("{'gid':'" + "x".repeat(129) + "','trans_type':'saga'}", "129 characters", "128");
        }

        @Test
        void gidOf128CharsIsFine() {
            assertThat(parse("{'gid':'" + "x".repeat(128) + "','trans_type':'saga'}").gid()).hasSize(128);
        }

        @Test
        void missingTransType() {
            rejects("{'gid':'g1'}", "gid=g1: trans_type is required");
        }

        @Test
        void unknownTransType() {
            rejects("{'gid':'g1','trans_type':'seata'}", "gid=g1", "unknown trans_type 'seata'");
        }

        @Test
        void transTypeOfWrongType() {
            rejects("{'gid':'g1','trans_type':1}", "gid=g1: trans_type must be a string");
        }

        @ParameterizedTest
        @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
                "'steps':5                   | steps must be an array of objects of string values, got the number 5",
                "'steps':{}                  | steps must be an array of objects of string values, got an object",
                "'steps':[5]                 | steps[0] must be an object of string values, got the number 5",
                "'steps':[{'action':5}]      | steps[0].action must be a string, got the number 5",
                "'steps':[{'action':['x']}]  | steps[0].action must be a string, got an array",
                "'payloads':'x'              | payloads must be an array of strings, got a string",
                "'payloads':[{}]             | payloads[0] must be a string",
                "'custom_data':{}            | custom_data must be a string, got an object",
                "'query_prepared':1          | query_prepared must be a string",
                "'rollback_reason':true      | rollback_reason must be a string, got true",
                "'wait_result':'yes'         | wait_result must be true or false, got a string",
                "'concurrent':1              | concurrent must be true or false",
                "'branch_headers':[]         | branch_headers must be an object of string values, got an array",
                "'branch_headers':{'a':1}    | branch_headers.a must be a string",
                "'req_extra':'x'             | req_extra must be an object of string values",
                "'protocol':'ftp'            | protocol must be http, grpc or json-rpc",
                "'protocol':7                | protocol must be a string",
        })
        void wrongTypes(String fragment, String message) {
            rejects("{'gid':'g1','trans_type':'saga'," + fragment + "}", "gid=g1: ", message.strip());
        }

        @ParameterizedTest
        @ValueSource(strings = {"timeout_to_fail", "request_timeout", "retry_interval"})
        void durationsMustBeWholeNonNegativeSeconds(String field) {
            for (String bad : List.of("'abc'", "-1", "1.5", "10.0", "true", "[]", "99999999999999999999",
                    "2147483648")) {
                rejects("{'gid':'g1','trans_type':'saga','" + field + "':" + bad + "}",
                        "gid=g1: " + field + " must be a whole number of seconds");
            }
        }

        @Test
        void retryLimitAndCountMustBeWholeNonNegative() {
            rejects("{'gid':'g1','trans_type':'saga','retry_limit':-1}", "retry_limit must be a whole number");
            rejects("{'gid':'g1','trans_type':'saga','retry_count':'x'}", "retry_count must be a whole number");
        }

        @Test
        void messagesNeverEchoPayloadContent() {
            assertThatThrownBy(() -> parse("{'gid':'g1','trans_type':'saga','payloads':[{'secret':'hunter2'}]}"))
                    .hasMessageNotContaining("hunter2");
            assertThatThrownBy(() -> parse("{'gid':'g1','trans_type':'saga','timeout_to_fail':'hunter2'}"))
                    .hasMessageNotContaining("hunter2");
        }
    }

    @Nested
    class BranchRegistrationBodies {

        @Test
        void tccRegistrationFromTheGoSdk() {
            BranchRegistration r = DtmJson.parseBranchRegistration(json("{'branch_id':'01',"
                    + "'cancel':'http://b/cancel','confirm':'http://b/confirm','data':'{\\'amount\\':30}',"
                    + "'gid':'g1','trans_type':'tcc'}"));
            assertThat(r.gid()).isEqualTo("g1");
            assertThat(r.transType()).isEqualTo(TransType.TCC);
            assertThat(r.branchId()).isEqualTo("01");
            assertThat(text(r.data())).isEqualTo("{\"amount\":30}");
            assertThat(r.fields()).containsOnly(Map.entry("cancel", "http://b/cancel"),
                    Map.entry("confirm", "http://b/confirm"));
        }

        @Test
        void javaSdkExtraKeysAreKeptAndNullsAreEmpty() {
            BranchRegistration r = DtmJson.parseBranchRegistration(json("{'gid':'g1','trans_type':'tcc',"
                    + "'subType':'tcc','branch_id':'01','status':'prepared','data':null,'try':null,"
                    + "'confirm':'http://b/c','cancel':'http://b/x'}"));
            assertThat(r.data()).isEmpty();
            assertThat(r.fields()).containsEntry("subType", "tcc").containsEntry("status", "prepared")
                    .containsEntry("try", "");
        }

        @Test
        void gidAndStatusAreCleaned() {
            BranchRegistration r = DtmJson.parseBranchRegistration(json("{'gid':'g1\\n','trans_type':'workflow',"
                    + "'branch_id':'01','op':'action','status':'succeed;'}"));
            assertThat(r.gid()).isEqualTo("g1");
            assertThat(r.field("status")).isEqualTo("succeed");
        }

        @ParameterizedTest
        @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
                "{'gid':'g1','trans_type':'tcc','branch_id':1}          | branch_id must be a string",
                "{'gid':'g1','trans_type':'tcc','branch_id':'01','data':{}} | data must be a string",
                "{'gid':'g1','trans_type':'tcc','branch_id':'01','confirm':5} | confirm must be a string",
                "{'gid':'g1','trans_type':'tcc'}                         | branch_id is required",
                "{'gid':'g1','trans_type':'tcc','branch_id':''}          | branch_id is required",
                "{'gid':'g1','branch_id':'01'}                           | trans_type is required",
                "{'gid':'g1','trans_type':'sagax','branch_id':'01'}      | unknown trans_type",
                "{'trans_type':'tcc','branch_id':'01'}                   | gid is required",
                "{'gid':'a b','trans_type':'tcc','branch_id':'01'}       | gid contains characters",
                "[]                                                      | must be a JSON object",
                "{                                                       | not valid JSON",
        })
        void rejections(String body, String message) {
            assertThatThrownBy(() -> DtmJson.parseBranchRegistration(json(body.strip())))
                    .isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining(message.strip());
        }

        @Test
        void rendersSortedFlatStringsAndRoundTrips() {
            BranchRegistration r = new BranchRegistration("g1", TransType.TCC, "01",
                    "{\"a\":1}".getBytes(StandardCharsets.UTF_8),
                    Map.of("confirm", "http://b/confirm", "cancel", "http://b/cancel"));
            String rendered = text(DtmJson.renderBranchRegistration(r));
            assertThat(rendered).isEqualTo("{\"branch_id\":\"01\",\"cancel\":\"http://b/cancel\","
                    + "\"confirm\":\"http://b/confirm\",\"data\":\"{\\\"a\\\":1}\","
                    + "\"gid\":\"g1\",\"trans_type\":\"tcc\"}");
            BranchRegistration back = DtmJson.parseBranchRegistration(rendered.getBytes(StandardCharsets.UTF_8));
            assertThat(back.toString()).isEqualTo(r.toString());
            assertThat(back.data()).isEqualTo(r.data());
            assertThat(back.fields()).isEqualTo(r.fields());
        }
    }

    @Nested
    class GidBodies {

        @Test
        void readsOnlyTheGid() {
            assertThat(DtmJson.parseGid(json("{'gid':'g1\\r','other':5}"))).isEqualTo("g1");
        }

        @ParameterizedTest
        @ValueSource(strings = {"{}", "{'gid':''}", "{'gid':'a b'}", "{'gid':5}", "{", "[]"})
        void rejections(String body) {
            assertThatThrownBy(() -> DtmJson.parseGid(json(body))).isInstanceOf(InvalidRequestException.class);
        }
    }

    @Nested
    class RenderTransRequest {

        @Test
        void minimalRequestHasConcurrentAndProtocolOnly() {
            TransRequest r = TransRequest.builder("g1", TransType.TCC).build();
            assertThat(text(DtmJson.renderTransRequest(r)))
                    .isEqualTo("{\"gid\":\"g1\",\"trans_type\":\"tcc\",\"concurrent\":false,\"protocol\":\"http\"}");
        }

        @Test
        void fullSagaInGoKeyOrder() {
            TransRequest r = TransRequest.builder("g1", TransType.SAGA)
                    .step(Map.of("action", "http://b/a", "compensate", "http://b/c"),
                            "{\"amount\":30}".getBytes(StandardCharsets.UTF_8))
                    .customData("{\"concurrent\":true}")
                    .options(TransOptions.builder().waitResult(true).timeoutToFail(Duration.ofSeconds(30))
                            .requestTimeout(Duration.ofSeconds(5)).retryInterval(Duration.ofSeconds(12))
                            .branchHeaders(Map.of("X-B", "2", "X-A", "1")).retryLimit(3).build())
                    .queryPrepared("http://b/qp")
                    .rollbackReason("why")
                    .build();
            assertThat(text(DtmJson.renderTransRequest(r))).isEqualTo("{\"gid\":\"g1\",\"trans_type\":\"saga\","
                    + "\"custom_data\":\"{\\\"concurrent\\\":true}\",\"wait_result\":true,\"timeout_to_fail\":30,"
                    + "\"request_timeout\":5,\"retry_interval\":12,\"branch_headers\":{\"X-A\":\"1\",\"X-B\":\"2\"},"
                    + "\"concurrent\":false,\"retry_limit\":3,"
                    + "\"steps\":[{\"action\":\"http://b/a\",\"compensate\":\"http://b/c\"}],"
                    + "\"payloads\":[\"{\\\"amount\\\":30}\"],\"query_prepared\":\"http://b/qp\","
                    + "\"protocol\":\"http\",\"rollback_reason\":\"why\"}");
        }

        @Test
        void workflowSubmitCarriesReqExtra() {
            TransRequest r = TransRequest.builder("g1", TransType.WORKFLOW).reqExtra("status", "succeed").build();
            assertThat(text(DtmJson.renderTransRequest(r))).endsWith(
                    "\"protocol\":\"http\",\"req_extra\":{\"status\":\"succeed\"}}");
        }

        @Test
        void roundTrips() {
            TransRequest r = TransRequest.builder("g-rt", TransType.MSG)
                    .step(Map.of("action", "http://b/a1"), "{\"n\":1}".getBytes(StandardCharsets.UTF_8))
                    .step(Map.of("action", "http://b/a2"), "{\"n\":2}".getBytes(StandardCharsets.UTF_8))
                    .queryPrepared("http://b/qp").protocol("json-rpc").customData("{\"delay\":5}")
                    .options(TransOptions.builder().concurrent(true).branchHeaders(Map.of("h", "v")).build())
                    .build();
            TransRequest back = DtmJson.parseTransRequest(DtmJson.renderTransRequest(r));
            assertThat(back.gid()).isEqualTo(r.gid());
            assertThat(back.transType()).isEqualTo(r.transType());
            assertThat(back.steps()).isEqualTo(r.steps());
            assertThat(back.payloads()).zipSatisfy(r.payloads(), (a, b) -> assertThat(a).isEqualTo(b));
            assertThat(back.queryPrepared()).isEqualTo(r.queryPrepared());
            assertThat(back.protocol()).isEqualTo(r.protocol());
            assertThat(back.customData()).isEqualTo(r.customData());
            assertThat(back.options()).isEqualTo(r.options());
        }
    }

    @Nested
    class Replies {
        private final Instant created = Instant.parse("2026-01-01T10:00:00Z");
        private final Instant updated = Instant.parse("2026-01-01T10:00:01.5Z");

        private GlobalTransaction global(GlobalStatus status, TransOptions options, String reason) {
            return new GlobalTransaction(7, "g1", TransType.SAGA, status, "", "http", created, updated,
                    status == GlobalStatus.SUCCEED ? Optional.of(updated) : Optional.empty(), Optional.empty(),
                    options, "", Duration.ofSeconds(10), created.plusSeconds(10), "", "", "", reason);
        }

        @Test
        void queryOfAKnownTransaction() {
            Branch b = new Branch(3, "g1", "http://b/a", "{\"amount\":30}".getBytes(StandardCharsets.UTF_8), "01",
                    BranchOp.ACTION, BranchStatus.SUCCEED, created, updated, Optional.of(updated));
            Branch c = Branch.prepared("g1", "01", BranchOp.COMPENSATE, "", new byte[0], created).withId(2);
            TransactionView v = new TransactionView(global(GlobalStatus.SUCCEED, TransOptions.DEFAULT, ""),
                    List.of(c, b));
            assertThat(text(DtmJson.renderQuery(Optional.of(v)))).isEqualTo("{\"transaction\":{\"id\":7,"
                    + "\"create_time\":\"2026-01-01T10:00:00Z\",\"update_time\":\"2026-01-01T10:00:01.5Z\","
                    + "\"gid\":\"g1\",\"trans_type\":\"saga\",\"status\":\"succeed\",\"protocol\":\"http\","
                    + "\"finish_time\":\"2026-01-01T10:00:01.5Z\",\"options\":\"{\\\"concurrent\\\":false}\","
                    + "\"next_cron_interval\":10,\"next_cron_time\":\"2026-01-01T10:00:10Z\",\"concurrent\":false},"
                    + "\"branches\":[{\"id\":2,\"create_time\":\"2026-01-01T10:00:00Z\","
                    + "\"update_time\":\"2026-01-01T10:00:00Z\",\"gid\":\"g1\",\"branch_id\":\"01\","
                    + "\"op\":\"compensate\",\"status\":\"prepared\"},"
                    + "{\"id\":3,\"create_time\":\"2026-01-01T10:00:00Z\",\"update_time\":\"2026-01-01T10:00:01.5Z\","
                    + "\"gid\":\"g1\",\"url\":\"http://b/a\",\"bin_data\":\"eyJhbW91bnQiOjMwfQ==\","
                    + "\"branch_id\":\"01\","
                    + "\"op\":\"action\",\"status\":\"succeed\",\"finish_time\":\"2026-01-01T10:00:01.5Z\"}]}");
        }

        @Test
        void optionsTextOmitsZerosButKeepsConcurrent() {
            TransOptions o = TransOptions.builder().waitResult(true).retryInterval(Duration.ofSeconds(3))
                    .concurrent(true).build();
            String out = text(DtmJson.renderQuery(Optional.of(new TransactionView(
                    global(GlobalStatus.FAILED, o, "step 1 said FAILURE"), List.of()))));
            assertThat(out).contains("\"options\":\"{\\\"wait_result\\\":true,\\\"retry_interval\\\":3,"
                    + "\\\"concurrent\\\":true}\"", "\"rollback_reason\":\"step 1 said FAILURE\"",
                    "\"concurrent\":true}");
        }

        @Test
        void queryOfAnUnknownTransaction() {
            assertThat(text(DtmJson.renderQuery(Optional.empty())))
                    .isEqualTo("{\"transaction\":null,\"branches\":[]}");
            assertThat(DtmJson.parseQuery(DtmJson.renderQuery(Optional.empty()))).isEmpty();
        }

        @Test
        void queryRoundTrips() {
            TransOptions o = TransOptions.builder().timeoutToFail(Duration.ofSeconds(9))
                    .branchHeaders(Map.of("k", "v")).retryLimit(2).build();
            Branch b = new Branch(3, "g1", "http://b/a", new byte[]{0, 1, (byte) 0xff}, "01", BranchOp.ACTION,
                    BranchStatus.FAILED, created, updated, Optional.of(updated));
            TransactionView v = new TransactionView(global(GlobalStatus.ABORTING, o, "r"), List.of(b));
            TransactionView back = DtmJson.parseQuery(DtmJson.renderQuery(Optional.of(v))).orElseThrow();
            assertThat(back.global()).isEqualTo(v.global());
            assertThat(back.branches()).containsExactly(b);
        }

        @Test
        void parsesDtmRedisFlavouredOutput() {
            String redis = "{'transaction':{'id':0,'create_time':'2024-05-01T10:00:00.123456789+08:00',"
                    + "'update_time':null,'gid':'g9','trans_type':'msg','steps':[{'action':'http://b/a'}],"
                    + "'payloads':['{}'],'status':'submitted','protocol':'http','wait_result':true,"
                    + "'timeout_to_fail':7,'concurrent':false,'next_cron_time':'2024-05-01T10:00:10+08:00'},"
                    + "'branches':[{'id':0,'create_time':null,'update_time':null,'gid':'g9','url':'http://b/a',"
                    + "'bin_data':'e30=','branch_id':'01','op':'action','status':'prepared'}]}";
            TransactionView v = DtmJson.parseQuery(json(redis)).orElseThrow();
            assertThat(v.global().createTime()).isEqualTo(Instant.parse("2024-05-01T02:00:00.123456789Z"));
            assertThat(v.global().options().waitResult()).isTrue();
            assertThat(v.global().options().timeoutToFail()).isEqualTo(Duration.ofSeconds(7));
            assertThat(v.branches()).singleElement().satisfies(br -> assertThat(text(br.binData())).isEqualTo("{}"));
        }

        @Test
        void pageRendersAndRoundTrips() {
            TransactionPage page = new TransactionPage(List.of(global(GlobalStatus.SUBMITTED, TransOptions.DEFAULT,
                    "")), "7");
            byte[] out = DtmJson.renderPage(page);
            assertThat(text(out)).startsWith("{\"transactions\":[{\"id\":7,").endsWith("],\"next_position\":\"7\"}");
            assertThat(DtmJson.parsePage(out)).isEqualTo(page);
            assertThat(text(DtmJson.renderPage(new TransactionPage(List.of(), ""))))
                    .isEqualTo("{\"transactions\":[],\"next_position\":\"\"}");
        }

        @Test
        void envelopes() {
            assertThat(text(DtmJson.renderSuccess())).isEqualTo("{\"dtm_result\":\"SUCCESS\"}");
            assertThat(text(DtmJson.renderNewGid("abc"))).isEqualTo("{\"gid\":\"abc\",\"dtm_result\":\"SUCCESS\"}");
            assertThat(DtmJson.parseNewGid(DtmJson.renderNewGid("abc"))).isEqualTo("abc");
            assertThat(text(DtmJson.renderFailure("gid=g: current status 'succeed', cannot prepare")))
                    .isEqualTo("{\"dtm_result\":\"FAILURE\",\"message\":"
                            + "\"gid=g: current status 'succeed', cannot prepare FAILURE\"}");
            assertThat(text(DtmJson.renderFailure("x FAILURE"))).contains("\"message\":\"x FAILURE\"");
            assertThat(text(DtmJson.renderFailure(""))).contains("\"message\":\"FAILURE\"");
            assertThat(text(DtmJson.renderOngoing("later")))
                    .isEqualTo("{\"dtm_result\":\"ONGOING\",\"message\":\"later\"}");
            assertThat(text(DtmJson.renderError("boom \"quoted\"")))
                    .isEqualTo("{\"message\":\"boom \\\"quoted\\\"\"}");
            assertThat(DtmJson.parseMessage(DtmJson.renderError("boom"))).isEqualTo("boom");
            assertThat(DtmJson.parseMessage("<html>".getBytes(StandardCharsets.UTF_8))).isEmpty();
            assertThat(text(DtmJson.renderVersion("v1"))).isEqualTo("{\"version\":\"v1\"}");
            assertThat(text(DtmJson.renderPong())).isEqualTo("{\"msg\":\"pong\"}");
            assertThat(text(DtmJson.renderCronReset(new CronReset(3, true))))
                    .isEqualTo("{\"has_remaining\":true,\"succeed_count\":3}");
        }

        @Test
        void timesUseRfc3339WithOffset() {
            assertThat(DtmJson.formatTime(Instant.parse("2026-03-04T05:06:07Z"))).isEqualTo("2026-03-04T05:06:07Z");
        }
    }
}
