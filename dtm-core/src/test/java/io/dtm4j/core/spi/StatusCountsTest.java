package io.dtm4j.core.spi;

import io.dtm4j.core.GlobalStatus;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StatusCountsTest {

    @Test
    void everyStatusIsPresentInDeclarationOrderWithZerosFilledIn() {
        StatusCounts c = new StatusCounts(Map.of(GlobalStatus.FAILED, 2L, GlobalStatus.SUBMITTED, 5L));

        assertThat(c.byStatus()).containsExactly(Map.entry(GlobalStatus.PREPARED, 0L),
                Map.entry(GlobalStatus.SUBMITTED, 5L), Map.entry(GlobalStatus.ABORTING, 0L),
                Map.entry(GlobalStatus.SUCCEED, 0L), Map.entry(GlobalStatus.FAILED, 2L));
        assertThat(c.of(GlobalStatus.SUBMITTED)).isEqualTo(5);
        assertThat(c.of(GlobalStatus.ABORTING)).isZero();
        assertThat(c.total()).isEqualTo(7);
        assertThat(StatusCounts.NONE.total()).isZero();
        assertThat(new StatusCounts(Map.of(GlobalStatus.FAILED, 0L))).isEqualTo(StatusCounts.NONE);
    }

    @Test
    void theCountsAreACopyThatCannotChange() {
        StatusCounts c = new StatusCounts(new HashMap<>(Map.of(GlobalStatus.FAILED, 1L)));

        assertThatThrownBy(() -> c.byStatus().put(GlobalStatus.FAILED, 2L))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aNegativeCountIsRefused() {
        assertThatThrownBy(() -> new StatusCounts(Map.of(GlobalStatus.SUCCEED, -1L)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("count of succeed must not be negative, got -1");
    }
}
