package io.dtm4j.store.jdbc;

import io.dtm4j.core.TransOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OptionsJsonTest {

    @Test
    void defaultsAreWrittenAsDtmWritesThem() {
        assertThat(OptionsJson.encode(TransOptions.DEFAULT)).isEqualTo("{\"concurrent\":false}");
    }

    @Test
    void everyFieldIsWrittenWithDtmsKeysInDtmsOrder() {
        TransOptions o = TransOptions.builder().waitResult(true).timeoutToFail(Duration.ofSeconds(1800))
                .requestTimeout(Duration.ofSeconds(6)).retryInterval(Duration.ofSeconds(150))
                .branchHeaders(Map.of("b", "2", "a", "1")).concurrent(true).retryLimit(3).build();

        assertThat(OptionsJson.encode(o)).isEqualTo("{\"wait_result\":true,\"timeout_to_fail\":1800,"
                + "\"request_timeout\":6,\"retry_interval\":150,\"branch_headers\":{\"a\":\"1\",\"b\":\"2\"},"
                + "\"concurrent\":true,\"retry_limit\":3}");
        assertThat(OptionsJson.decode(OptionsJson.encode(o))).isEqualTo(o);
    }

    @Test
    void jsonWrittenByDtmIsRead() {
        TransOptions o = OptionsJson.decode("{ \"wait_result\": true, \"timeout_to_fail\": 30, \"retry_count\": 2,"
                + " \"branch_headers\": {\"X-A\": \"\\u00e9\\/\"}, \"concurrent\": false }");

        assertThat(o).isEqualTo(TransOptions.builder().waitResult(true).timeoutToFail(Duration.ofSeconds(30))
                .branchHeaders(Map.of("X-A", "é/")).build());
        assertThat(OptionsJson.decode("")).isEqualTo(TransOptions.DEFAULT);
        assertThat(OptionsJson.decode("{}")).isEqualTo(TransOptions.DEFAULT);
        assertThat(OptionsJson.decode("{\"branch_headers\":null}")).isEqualTo(TransOptions.DEFAULT);
    }

    @Test
    void subSecondDurationsAreExactDecimals() {
        TransOptions o = TransOptions.builder().timeoutToFail(Duration.ofMillis(1500))
                .requestTimeout(Duration.ofNanos(1)).retryInterval(Duration.ofSeconds(3, 120_000_000)).build();

        String json = OptionsJson.encode(o);

        assertThat(json).contains("\"timeout_to_fail\":1.5", "\"request_timeout\":0.000000001",
                "\"retry_interval\":3.12");
        assertThat(OptionsJson.decode(json)).isEqualTo(o);
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

            String json = OptionsJson.encode(o);

            assertThat(json.chars().noneMatch(c -> c < 0x20 || Character.isSurrogate((char) c))).as(json).isTrue();
            assertThat(OptionsJson.decode(json)).isEqualTo(o);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{", "}", "[]", "null", "{\"concurrent\":false} x", "{\"concurrent\":false,}", "{\"unknown\":1}",
        "{\"concurrent\":false,\"concurrent\":true}", "{\"wait_result\":1}", "{\"timeout_to_fail\":\"30\"}",
        "{\"timeout_to_fail\":1e3}", "{\"timeout_to_fail\":-1}", "{\"retry_limit\":1.5}",
        "{\"retry_limit\":99999999999}", "{\"branch_headers\":{\"a\":1}}", "{\"branch_headers\":{\"a\":\"\\x\"}}",
        "{\"branch_headers\":{\"a\":\"\\u12\"}}", "{\"branch_headers\":{\"a\":\"1\",\"a\":\"2\"}}",
        "{\"request_timeout\":0.0000000001}", "{\"branch_headers\":{\"a\":\"raw\ttab\"}}", "{'concurrent':false}"
    })
    void malformedTextIsRejectedWithAnExplanation(String json) {
        assertThatThrownBy(() -> OptionsJson.decode(json)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("options JSON is invalid: ");
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
