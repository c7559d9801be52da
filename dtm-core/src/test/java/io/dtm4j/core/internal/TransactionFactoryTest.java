package io.dtm4j.core.internal;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Step branch ids are DTM's: the 1-based step number, zero-padded to two digits. */
class TransactionFactoryTest {
    @Test
    void stepBranchIdsArePaddedToTwoDigitsAsDtmWritesThem() {
        for (int i = 0; i < 150; i++) {
            assertThat(TransactionFactory.branchId(i)).as("step %d", i).isEqualTo(String.format("%02d", i + 1));
        }
        assertThat(TransactionFactory.branchId(0)).isEqualTo("01");
        assertThat(TransactionFactory.branchId(9)).isEqualTo("10");
        assertThat(TransactionFactory.branchId(99)).isEqualTo("100");
    }
}
