package io.dtm4j.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A missed target says by how much. */
class VerdictTest {

    @Test
    void upperBoundMetOrMissedByHowMuch() {
        assertThat(Verdict.atMost("writes", "SQLite", 2, " (DTM: 4)", 2).status()).isEqualTo("met");
        Verdict missed = Verdict.atMost("fsyncs", "PostgreSQL", 0.1, "", 0.25);
        assertThat(missed.target()).isEqualTo("<= 0.10");
        assertThat(missed.status()).isEqualTo("missed: 0.15 over (150% above)");
    }

    @Test
    void lowerBoundMetOrMissedByHowMuch() {
        assertThat(Verdict.atLeast("ratio", "Redis", 1.3, "", 1.31).status()).isEqualTo("met");
        assertThat(Verdict.atLeast("ratio", "Redis", 1.3, "", 0.65).status())
                .isEqualTo("missed: 0.65 short (50% below)");
    }

    @Test
    void nothingMeasuredIsNotAVerdict() {
        assertThat(Verdict.atLeast("ratio", "Redis", 1.3, "", Double.NaN).status()).isEqualTo("not measured");
        assertThat(Verdict.num(12_345.6)).isEqualTo("12,346");
    }
}
