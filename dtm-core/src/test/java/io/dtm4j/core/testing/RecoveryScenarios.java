package io.dtm4j.core.testing;

import io.dtm4j.core.BranchResult;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.RecoveryReport;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.dtm4j.core.testing.EngineHarness.BUSI;
import static io.dtm4j.core.testing.EngineHarness.transferSaga;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Recovery driven by the clock and {@code recoverOnce()}, never by sleeping (spec 4), on any store: extend it and
 * implement {@link #newStore()} (see {@link ScenarioSuite}).
 */
public abstract class RecoveryScenarios extends ScenarioSuite {

    @Test
    void branchFailingTwiceThenSucceedingIsDrivenByBackoff() {
        h.busi.times(BUSI + "/TransIn", BranchResult.ERROR, 2);

        h.coordinator.submit(transferSaga("RecoverTwice").build());
        assertThat(h.global("RecoverTwice").nextCronInterval()).isEqualTo(Duration.ofSeconds(20));

        h.recoverAfter(Duration.ofSeconds(10));
        assertThat(h.busi.callsTo(BUSI + "/TransIn")).as("not due before the backed-off interval").isEqualTo(1);

        h.recoverAfter(Duration.ofSeconds(10));
        assertThat(h.busi.callsTo(BUSI + "/TransIn")).isEqualTo(2);
        assertThat(h.global("RecoverTwice").nextCronInterval()).isEqualTo(Duration.ofSeconds(40));
        assertThat(h.global("RecoverTwice").status()).isEqualTo(GlobalStatus.SUBMITTED);

        h.recoverAfter(Duration.ofSeconds(40));
        assertThat(h.global("RecoverTwice").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.busi.callsTo(BUSI + "/TransIn")).isEqualTo(3);
        assertThat(h.busi.callsTo(BUSI + "/TransOut")).as("a succeeded action is not called again").isEqualTo(1);
    }

    @Test
    void aSuccessRestoresTheBaseIntervalAfterABackoff() {
        h.busi.once(BUSI + "/TransOut", BranchResult.ERROR);
        h.busi.once(BUSI + "/TransIn", BranchResult.ONGOING);
        h.coordinator.submit(transferSaga("IntervalReset").build());
        assertThat(h.global("IntervalReset").nextCronInterval()).isEqualTo(Duration.ofSeconds(20));

        h.recoverAfter(Duration.ofSeconds(20));

        // TransOut succeeded (reset to 10 s), then TransIn answered ONGOING (keep 10 s)
        assertThat(h.global("IntervalReset").nextCronInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(h.global("IntervalReset").nextCronTime()).isEqualTo(h.clock.instant().plusSeconds(10));
    }

    @Test
    void recoveryClaimsInBatchesAndReportsWhatItDid() {
        for (int i = 0; i < 3; i++) {
            h.busi.once(BUSI + "/TransIn", BranchResult.ONGOING);
            h.coordinator.submit(transferSaga("RecoverBatch" + i).build());
        }
        h.clock.advance(Duration.ofSeconds(10));

        RecoveryReport r = h.coordinator.recoverOnce();

        assertThat(r.claimed()).isEqualTo(3);
        assertThat(r.finished()).isEqualTo(3);
        assertThat(h.coordinator.recoverOnce().claimed()).isZero();
    }

    @Test
    void retryNowMakesATransactionDueAtOnce() {
        h.busi.once(BUSI + "/TransIn", BranchResult.ERROR);
        h.coordinator.submit(transferSaga("RetryNow").build());

        h.coordinator.retryNow("RetryNow");
        h.coordinator.recoverOnce();

        assertThat(h.global("RetryNow").status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void forceStopFailsAnUnfinishedTransactionWithoutCallingBranches() {
        h.busi.once(BUSI + "/TransIn", BranchResult.ONGOING);
        h.coordinator.submit(transferSaga("ForceStop").build());
        int calls = h.busi.calls().size();

        h.coordinator.forceStop("ForceStop", "operator said so");

        assertThat(h.global("ForceStop").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(h.global("ForceStop").rollbackReason()).isEqualTo("operator said so");
        h.recoverAfter(Duration.ofSeconds(60));
        assertThat(h.busi.calls()).hasSize(calls);
    }
}
