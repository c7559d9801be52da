package io.dtm4j.store.redis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.DtmException;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionUpdate;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RedisJsonTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Instant T0 = Instant.parse("2024-05-01T10:00:00.123456789Z");

    private static GlobalTransaction full() {
        TransOptions options = TransOptions.builder().waitResult(true).timeoutToFail(Duration.ofSeconds(30))
                .requestTimeout(Duration.ofSeconds(6)).retryInterval(Duration.ofSeconds(15))
                .branchHeaders(Map.of("Authorization", "Bearer t")).concurrent(true).retryLimit(2).build();
        return new GlobalTransaction(0, "g-full", TransType.MSG, GlobalStatus.SUCCEED, "http://busi/query", "grpc", T0,
                T0.plusSeconds(1), Optional.of(T0.plusSeconds(2)), Optional.empty(), options, "{\"delay\":10}",
                Duration.ofSeconds(40), T0.plusSeconds(40), "node-a", "ext", "cmVzdWx0", "why");
    }

    private static GlobalTransaction plain() {
        return new GlobalTransaction(0, "g-plain", TransType.SAGA, GlobalStatus.SUBMITTED, "", "http", T0, T0,
                Optional.empty(), Optional.empty(), TransOptions.DEFAULT, "", Duration.ZERO, T0, "", "", "", "");
    }

    @Test
    void aGlobalRoundTripsWithEveryField() {
        GlobalTransaction g = full();

        assertThat(RedisJson.decodeGlobal(RedisJson.encodeGlobal(g), "k")).isEqualTo(g);
        assertThat(RedisJson.decodeGlobal(RedisJson.encodeGlobal(plain()), "k")).isEqualTo(plain());
    }

    @Test
    void theGlobalJsonHasDtmsKeysWithOptionsAsTextAndInline() throws Exception {
        JsonNode n = MAPPER.readTree(RedisJson.encodeGlobal(full()));

        assertThat(n.get("id").asLong()).isZero();
        assertThat(n.get("gid").asText()).isEqualTo("g-full");
        assertThat(n.get("trans_type").asText()).isEqualTo("msg");
        assertThat(n.get("status").asText()).isEqualTo("succeed");
        assertThat(n.get("query_prepared").asText()).isEqualTo("http://busi/query");
        assertThat(n.get("protocol").asText()).isEqualTo("grpc");
        assertThat(n.get("create_time").asText()).isEqualTo("2024-05-01T10:00:00.123456789Z");
        assertThat(n.get("finish_time").asText()).isEqualTo("2024-05-01T10:00:02.123456789Z");
        assertThat(n.has("rollback_time")).isFalse();
        assertThat(n.get("next_cron_interval").asLong()).isEqualTo(40);
        assertThat(n.get("custom_data").asText()).isEqualTo("{\"delay\":10}");
        assertThat(n.get("options").asText()).isEqualTo(full().options().toDtmJson());
        assertThat(n.get("wait_result").asBoolean()).isTrue();
        assertThat(n.get("timeout_to_fail").asLong()).isEqualTo(30);
        assertThat(n.get("retry_limit").asInt()).isEqualTo(2);
        assertThat(n.get("branch_headers").get("Authorization").asText()).isEqualTo("Bearer t");
        assertThat(n.get("concurrent").asBoolean()).isTrue();
    }

    @Test
    void emptyTextsAndZeroNumbersAreLeftOutExceptConcurrent() throws Exception {
        JsonNode n = MAPPER.readTree(RedisJson.encodeGlobal(plain()));

        for (String absent : new String[] {"query_prepared", "custom_data", "next_cron_interval", "owner", "ext_data",
            "result", "rollback_reason", "finish_time", "rollback_time", "wait_result", "retry_limit"}) {
            assertThat(n.has(absent)).as(absent).isFalse();
        }
        assertThat(n.get("options").asText()).isEqualTo("{\"concurrent\":false}");
        assertThat(n.get("concurrent").asBoolean()).isFalse();
        assertThat(n.has("id")).isTrue();
        assertThat(n.has("update_time")).isTrue();
    }

    @Test
    void readsWhatDtmWrites() {
        // as Go's TransGlobalStore marshals it: local time with an offset, steps and payloads, retry_count
        String dtm = "{\"id\":0,\"create_time\":\"2024-05-01T18:00:00.5+08:00\",\"update_time\":"
                + "\"2024-05-01T18:00:01+08:00\",\"gid\":\"dtm-gid\",\"trans_type\":\"saga\",\"steps\":[{\"action\":"
                + "\"http://busi/TransOut\",\"compensate\":\"http://busi/TransOutRevert\"}],\"payloads\":[\"{}\"],"
                + "\"status\":\"submitted\",\"protocol\":\"http\",\"options\":\"{\\\"wait_result\\\":true,"
                + "\\\"concurrent\\\":false}\",\"next_cron_interval\":10,\"next_cron_time\":"
                + "\"2024-05-01T18:00:11+08:00\",\"wait_result\":true,\"concurrent\":false,\"retry_count\":1}";

        GlobalTransaction g = RedisJson.decodeGlobal(dtm, "k");

        assertThat(g.gid()).isEqualTo("dtm-gid");
        assertThat(g.transType()).isEqualTo(TransType.SAGA);
        assertThat(g.status()).isEqualTo(GlobalStatus.SUBMITTED);
        assertThat(g.createTime()).isEqualTo(Instant.parse("2024-05-01T10:00:00.5Z"));
        assertThat(g.nextCronTime()).isEqualTo(Instant.parse("2024-05-01T10:00:11Z"));
        assertThat(g.nextCronInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(g.options()).isEqualTo(TransOptions.builder().waitResult(true).build());
        assertThat(g.finishTime()).isEmpty();
    }

    @Test
    void withoutTheOptionsTextTheInlineOptionsAreRead() {
        String json = "{\"id\":0,\"create_time\":\"2024-05-01T10:00:00Z\",\"update_time\":\"2024-05-01T10:00:00Z\","
                + "\"gid\":\"g\",\"trans_type\":\"tcc\",\"status\":\"prepared\",\"next_cron_time\":"
                + "\"2024-05-01T10:00:10Z\",\"retry_interval\":20,\"concurrent\":true}";

        assertThat(RedisJson.decodeGlobal(json, "k").options()).isEqualTo(TransOptions.builder()
                .retryInterval(Duration.ofSeconds(20)).concurrent(true).build());
    }

    @Test
    void aBranchRoundTripsWithItsPayloadInBase64UnderDtmsKeys() throws Exception {
        byte[] body = "{\"amount\":30,\"name\":\"Zoë\"}".getBytes(UTF_8);
        Branch b = Branch.prepared("g", "01", BranchOp.COMPENSATE, "http://busi/c", body, T0)
                .withStatus(BranchStatus.SUCCEED, T0.plusSeconds(1));

        String json = RedisJson.encodeBranch(b);
        JsonNode n = MAPPER.readTree(json);

        assertThat(RedisJson.decodeBranch(json, "k")).isEqualTo(b);
        assertThat(n.get("bin_data").asText()).isEqualTo(java.util.Base64.getEncoder().encodeToString(body));
        assertThat(n.get("branch_id").asText()).isEqualTo("01");
        assertThat(n.get("op").asText()).isEqualTo("compensate");
        assertThat(n.get("status").asText()).isEqualTo("succeed");
        assertThat(n.get("finish_time").asText()).isEqualTo("2024-05-01T10:00:01.123456789Z");
    }

    @Test
    void anEmptyPayloadAndUrlAreLeftOut() throws Exception {
        Branch b = Branch.prepared("g", "01", BranchOp.ACTION, "", new byte[0], T0);

        JsonNode n = MAPPER.readTree(RedisJson.encodeBranch(b));

        assertThat(n.has("bin_data")).isFalse();
        assertThat(n.has("url")).isFalse();
        assertThat(n.has("finish_time")).isFalse();
        assertThat(RedisJson.decodeBranch(n.toString(), "k")).isEqualTo(b);
    }

    @Test
    void aPatchNamesOnlyWhatTheUpdateChanges() throws Exception {
        Instant now = Instant.parse("2024-05-01T10:00:05Z");
        JsonNode succeed = MAPPER.readTree(RedisJson.patch(TransactionUpdate.of("g", GlobalStatus.SUBMITTED, now)
                .status(GlobalStatus.SUCCEED).build()));
        JsonNode failed = MAPPER.readTree(RedisJson.patch(TransactionUpdate.of("g", GlobalStatus.ABORTING, now)
                .status(GlobalStatus.FAILED).rollbackReason("").build()));
        JsonNode cron = MAPPER.readTree(RedisJson.patch(TransactionUpdate.of("g", GlobalStatus.SUBMITTED, now)
                .cron(Duration.ofSeconds(20), now.plusSeconds(20)).result("r").build()));

        assertThat(succeed.toString()).isEqualTo("{\"update_time\":\"2024-05-01T10:00:05Z\",\"status\":\"succeed\","
                + "\"finish_time\":\"2024-05-01T10:00:05Z\"}");
        assertThat(failed.get("rollback_time").asText()).isEqualTo("2024-05-01T10:00:05Z");
        assertThat(failed.get("rollback_reason").asText()).isEmpty();
        assertThat(cron.get("next_cron_interval").asLong()).isEqualTo(20);
        assertThat(cron.get("next_cron_time").asText()).isEqualTo("2024-05-01T10:00:25Z");
        assertThat(cron.get("result").asText()).isEqualTo("r");
        assertThat(cron.has("status")).isFalse();
    }

    @Test
    void unreadableJsonNamesTheKey() {
        assertThatThrownBy(() -> RedisJson.decodeGlobal("{not json", "{a}_g_x")).isInstanceOf(DtmException.class)
                .hasMessageContaining("{a}_g_x");
        assertThatThrownBy(() -> RedisJson.decodeGlobal("{\"gid\":\"x\",\"trans_type\":\"nope\"}", "{a}_g_x"))
                .isInstanceOf(DtmException.class).hasMessageContaining("{a}_g_x");
        assertThatThrownBy(() -> RedisJson.decodeBranch("[]", "{a}_b_x")).isInstanceOf(DtmException.class)
                .hasMessageContaining("{a}_b_x");
    }
}
