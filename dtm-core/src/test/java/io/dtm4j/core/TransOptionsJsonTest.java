package io.dtm4j.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** DTM's options text, shared by every store and the wire format. */
class TransOptionsJsonTest {

    @Test
    void defaultsAreWrittenAsDtmWritesThem() {
        assertThat(TransOptions.DEFAULT.toDtmJson()).isEqualTo("{\"concurrent\":false}");
    }

    @Test
    void everyFieldIsWrittenWithDtmsKeysInDtmsOrder() {
        TransOptions o = TransOptions.builder().waitResult(true).timeoutToFail(Duration.ofSeconds(1800))
                .requestTimeout(Duration.ofSeconds(6)).retryInterval(Duration.ofSeconds(150))
                .branchHeaders(Map.of("b", "2", "a", "1")).concurrent(true).retryLimit(3).build();

        assertThat(o.toDtmJson()).isEqualTo("{\"wait_result\":true,\"timeout_to_fail\":1800,"
                + "\"request_timeout\":6,\"retry_interval\":150,\"branch_headers\":{\"a\":\"1\",\"b\":\"2\"},"
                + "\"concurrent\":true,\"retry_limit\":3}");
        assertThat(TransOptions.fromDtmJson(o.toDtmJson())).isEqualTo(o);
    }

    @Test
    void jsonWrittenByDtmIsRead() {
        TransOptions o = TransOptions.fromDtmJson("{ \"wait_result\": true, \"timeout_to_fail\": 30,"
                + " \"retry_count\": 2,"
                + " \"branch_headers\": {\"X-A\": \"\\u00e9\\/\"}, \"concurrent\": false }");

        assertThat(o).isEqualTo(TransOptions.builder().waitResult(true).timeoutToFail(Duration.ofSeconds(30))
                .branchHeaders(Map.of("X-A", "é/")).build());
        assertThat(TransOptions.fromDtmJson("")).isEqualTo(TransOptions.DEFAULT);
        assertThat(TransOptions.fromDtmJson("{}")).isEqualTo(TransOptions.DEFAULT);
        assertThat(TransOptions.fromDtmJson("{\"branch_headers\":null}")).isEqualTo(TransOptions.DEFAULT);
    }

    @Test
    void subSecondDurationsAreRefusedWhereTheyEnter() {
        assertThatThrownBy(() -> TransOptions.builder().timeoutToFail(Duration.ofMillis(1500)).build())
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("whole seconds");
    }

    @Test
    void unknownKeysAndNullAreIgnoredAsDtmWritesThem() {
        assertThat(TransOptions.fromDtmJson("{\"retry_count\":3,\"future_key\":{\"a\":[1]}}"))
                .isEqualTo(TransOptions.DEFAULT);
        assertThat(TransOptions.fromDtmJson("null")).isEqualTo(TransOptions.DEFAULT);
    }

    @Test
    void anyJavaStringSurvivesInBranchHeaders() {
        Random random = new Random(7);
        for (int round = 0; round < 200; round++) {
            Map<String, String> headers = new HashMap<>();
            for (int i = 0; i < 3; i++) {
                headers.put(randomString(random), randomString(random));
            }
            TransOptions o = TransOptions.builder().branchHeaders(headers).build();

            String json = o.toDtmJson();

            assertThat(json.chars().noneMatch(c -> c < 0x20 || Character.isSurrogate((char) c))).as(json).isTrue();
            assertThat(TransOptions.fromDtmJson(json)).isEqualTo(o);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{", "}", "[]", "{\"concurrent\":false} x", "{\"concurrent\":false,}", "{\"wait_result\":1}",
        "{\"timeout_to_fail\":\"30\"}", "{\"timeout_to_fail\":-1}", "{\"retry_limit\":1.5}",
        "{\"retry_limit\":99999999999}", "{\"branch_headers\":{\"a\":1}}", "{\"branch_headers\":{\"a\":\"\\x\"}}",
        "{\"branch_headers\":{\"a\":\"\\u12\"}}", "{\"request_timeout\":0.0000000001}", "{'concurrent':false}"
    })
    void malformedTextIsRejectedWithAnExplanation(String json) {
        assertThatThrownBy(() -> TransOptions.fromDtmJson(json)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("options");
    }

    private static String randomString(Random random) {
        StringBuilder sb = new StringBuilder();
        int length = random.nextInt(12);
        for (int i = 0; i < length; i++) {
            sb.append(switch (random.nextInt(5)) {
                case 0 -> (char) random.nextInt(0x20);
                case 1 -> "\"\\/{}:,".charAt(random.nextInt(7));
                case 2 -> (char) (0xD800 + random.nextInt(0x800));
                case 3 -> (char) (0x80 + random.nextInt(0xFF00));
                default -> (char) (0x20 + random.nextInt(0x5F));
            });
        }
        return sb.toString();
    }
}
