package io.dtm4j.store.redis;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class ScoresAndKeysTest {

    @Test
    void scoresAreUnixSecondsWithMillisecondsTruncatedTowardThePast() {
        assertThat(Scores.of(Instant.parse("2024-05-01T10:00:00Z"))).isEqualTo("1714557600.000");
        assertThat(Scores.of(Instant.parse("2024-05-01T10:00:00.123999999Z"))).isEqualTo("1714557600.123");
        assertThat(Scores.of(Instant.EPOCH)).isEqualTo("0.000");
        assertThat(Scores.of(Instant.parse("1969-12-31T23:59:59.9995Z"))).isEqualTo("-0.001");
        assertThat(Scores.millis(Duration.ofDays(7))).isEqualTo("604800000");
    }

    @Test
    void keysAreDtmsUnderThePrefix() {
        Keys k = new Keys("{a}");

        assertThat(k.transaction("g1")).containsExactly("{a}_g_g1", "{a}_b_g1", "{a}_u", "{a}_s_g1");
        assertThat(k.all()).isEqualTo("{a}_all");
        assertThat(k.sequence()).isEqualTo("{a}_seq");
        assertThat(k.done()).isEqualTo("{a}_done");
    }

    @Test
    void everyScriptLoadsWithItsSha1() {
        for (Script s : Script.values()) {
            assertThat(s.text()).as(s.file()).contains("KEYS[1]");
            assertThat(s.sha()).as(s.file()).matches("[0-9a-f]{40}");
        }
        // SHA1 of "return 1", as SCRIPT LOAD answers it
        assertThat(Script.sha1("return 1")).isEqualTo("e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    }
}
