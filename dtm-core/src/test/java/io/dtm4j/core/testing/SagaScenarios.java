package io.dtm4j.core.testing;

import io.dtm4j.core.BranchResult;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.IllegalTransitionException;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransOutcome;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;
import io.dtm4j.core.spi.BranchCall;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static io.dtm4j.core.BranchStatus.FAILED;
import static io.dtm4j.core.BranchStatus.PREPARED;
import static io.dtm4j.core.BranchStatus.SUCCEED;
import static io.dtm4j.core.testing.EngineHarness.BUSI;
import static io.dtm4j.core.testing.EngineHarness.body;
import static io.dtm4j.core.testing.EngineHarness.transferSaga;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The saga rows of DTM's acceptance catalogue (spec 3.1, 9, 12.5), driven through the engine on any store: extend
 * it and implement {@link #newStore()} (see {@link ScenarioSuite}).
 */
public abstract class SagaScenarios extends ScenarioSuite {

    @Test
    void normalSagaSucceedsWithTwoDurableWrites() {
        TransOutcome out = h.coordinator.submit(transferSaga("SagaNormal").build());

        assertThat(out.isSuccess()).isTrue();
        assertThat(h.global("SagaNormal").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.global("SagaNormal").rollbackReason()).isEmpty();
        assertThat(h.statuses("SagaNormal")).containsExactly(PREPARED, SUCCEED, PREPARED, SUCCEED);
        assertThat(h.busi.urls()).containsExactly(BUSI + "/TransOut", BUSI + "/TransIn");
        // intent (global + 4 branch rows), then outcome with both branch statuses folded in
        assertThat(h.store.writes()).isEqualTo(2);
    }

    @Test
    void waitResultSagaAlsoCostsTwoWrites() {
        TransOutcome out = h.coordinator.submit(transferSaga("SagaWaitWrites").options(EngineHarness.waitResult())
                .build());

        assertThat(out.kind()).isEqualTo(TransOutcome.Kind.SUCCESS);
        assertThat(out.status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.store.writes()).isEqualTo(2);
    }

    @Test
    void actionFailureCompensatesEveryStartedStepIncludingTheFailedOne() {
        h.busi.once(BUSI + "/TransIn", BranchResult.FAILURE, "reason:Insufficient balance");

        h.coordinator.submit(transferSaga("SagaRollback").build());

        assertThat(h.global("SagaRollback").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(h.statuses("SagaRollback")).containsExactly(SUCCEED, SUCCEED, SUCCEED, FAILED);
        assertThat(h.global("SagaRollback").rollbackReason()).contains("Insufficient balance")
                .contains(BUSI + "/TransIn");
        assertThat(h.busi.urls()).containsExactly(BUSI + "/TransOut", BUSI + "/TransIn", BUSI + "/TransInRevert",
                BUSI + "/TransOutRevert");
    }

    @Test
    void sequentialCompensationRunsInStrictReverseOrder() {
        TransRequest req = transferSaga("SagaReverse")
                .step(Map.of("action", BUSI + "/Third", "compensate", BUSI + "/ThirdRevert"), body(1)).build();
        h.busi.once(BUSI + "/Third", BranchResult.FAILURE);

        h.coordinator.submit(req);

        assertThat(h.busi.urls()).containsExactly(BUSI + "/TransOut", BUSI + "/TransIn", BUSI + "/Third",
                BUSI + "/ThirdRevert", BUSI + "/TransInRevert", BUSI + "/TransOutRevert");
        assertThat(h.global("SagaReverse").status()).isEqualTo(GlobalStatus.FAILED);
    }

    @Test
    void ongoingActionKeepsSagaSubmittedUntilRecoveryFinishesIt() {
        h.busi.once(BUSI + "/TransOut", BranchResult.ONGOING);

        h.coordinator.submit(transferSaga("SagaOngoingSucceed").build());

        assertThat(h.global("SagaOngoingSucceed").status()).isEqualTo(GlobalStatus.SUBMITTED);
        assertThat(h.statuses("SagaOngoingSucceed")).containsExactly(PREPARED, PREPARED, PREPARED, PREPARED);

        h.recoverAfter(Duration.ofSeconds(10));

        assertThat(h.global("SagaOngoingSucceed").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.statuses("SagaOngoingSucceed")).containsExactly(PREPARED, SUCCEED, PREPARED, SUCCEED);
    }

    @Test
    void failedCompensationIsRetriedUntilItSucceeds() {
        h.busi.once(BUSI + "/TransIn", BranchResult.FAILURE);
        h.busi.once(BUSI + "/TransOutRevert", BranchResult.ERROR);

        h.coordinator.submit(transferSaga("SagaFailed").build());
        assertThat(h.global("SagaFailed").status()).isEqualTo(GlobalStatus.ABORTING);
        assertThat(h.global("SagaFailed").nextCronInterval()).isEqualTo(Duration.ofSeconds(20));

        h.recoverAfter(Duration.ofSeconds(20));

        assertThat(h.global("SagaFailed").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(h.statuses("SagaFailed")).containsExactly(SUCCEED, SUCCEED, SUCCEED, FAILED);
        assertThat(h.busi.callsTo(BUSI + "/TransOutRevert")).isEqualTo(2);
        assertThat(h.busi.callsTo(BUSI + "/TransInRevert")).isEqualTo(1);
    }

    @Test
    void compensationFailureIsNeverFinal() {
        h.busi.once(BUSI + "/TransIn", BranchResult.FAILURE);
        h.busi.times(BUSI + "/TransInRevert", BranchResult.FAILURE, 2);

        h.coordinator.submit(transferSaga("SagaCompFailure").build());
        h.recoverAfter(Duration.ofSeconds(20));
        assertThat(h.global("SagaCompFailure").status()).isEqualTo(GlobalStatus.ABORTING);
        h.recoverAfter(Duration.ofSeconds(40));

        assertThat(h.global("SagaCompFailure").status()).isEqualTo(GlobalStatus.FAILED);
    }

    @Test
    void resubmitWhileSubmittedIsAcceptedAndAfterFinishIsRefused() {
        h.busi.once(BUSI + "/TransOut", BranchResult.ONGOING);
        h.coordinator.submit(transferSaga("SagaAbnormal").build());

        assertThat(h.coordinator.submit(transferSaga("SagaAbnormal").build()).isSuccess()).isTrue();
        assertThat(h.global("SagaAbnormal").status()).isEqualTo(GlobalStatus.SUCCEED);

        assertThatThrownBy(() -> h.coordinator.submit(transferSaga("SagaAbnormal").build()))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessageContaining("current status 'succeed', cannot submit");
    }

    @Test
    void resubmitProcessesStoredBranchesNotTheRequestOnes() {
        h.busi.once(BUSI + "/TransOut", BranchResult.ONGOING);
        h.coordinator.submit(transferSaga("SagaG7").build());

        h.coordinator.submit(TransRequest.builder("SagaG7", TransType.SAGA).build());

        assertThat(h.global("SagaG7").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.statuses("SagaG7")).containsExactly(PREPARED, SUCCEED, PREPARED, SUCCEED);
    }

    @Test
    void emptyUrlsSucceedWithoutACall() {
        TransRequest req = TransRequest.builder("SagaEmptyUrl", TransType.SAGA)
                .step(Map.of("action", BUSI + "/TransOut", "compensate", ""), body(30))
                .step(Map.of("action", "", "compensate", BUSI + "/TransInRevert"), body(30)).build();

        h.coordinator.submit(req);

        assertThat(h.global("SagaEmptyUrl").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.busi.urls()).containsExactly(BUSI + "/TransOut");
    }

    @Test
    void concurrentSagaStartsAllActions() {
        h.coordinator.submit(transferSaga("SagaConNormal").customData("{\"concurrent\":true}").build());

        assertThat(h.global("SagaConNormal").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.busi.callsTo(BUSI + "/TransOut")).isEqualTo(1);
        assertThat(h.busi.callsTo(BUSI + "/TransIn")).isEqualTo(1);
    }

    @Test
    void concurrentSagaWithOngoingActionFinishesOnRecovery() {
        h.busi.once(BUSI + "/TransOut", BranchResult.ONGOING);

        h.coordinator.submit(transferSaga("SagaConOngoing").customData("{\"concurrent\":true}").build());
        assertThat(h.statuses("SagaConOngoing")).containsExactly(PREPARED, PREPARED, PREPARED, SUCCEED);

        h.recoverAfter(Duration.ofSeconds(10));
        assertThat(h.statuses("SagaConOngoing")).containsExactly(PREPARED, SUCCEED, PREPARED, SUCCEED);
        assertThat(h.global("SagaConOngoing").status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void orderedStepNeverStartedIsNotCompensated() {
        h.busi.once(BUSI + "/TransOut", BranchResult.FAILURE);

        h.coordinator.submit(transferSaga("SagaConOrder1")
                .customData("{\"orders\":{\"1\":[0]},\"concurrent\":true}").build());

        assertThat(h.global("SagaConOrder1").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(h.statuses("SagaConOrder1")).containsExactly(SUCCEED, FAILED, PREPARED, PREPARED);
        assertThat(h.busi.callsTo(BUSI + "/TransIn")).isZero();
    }

    @Test
    void orderedSecondStepFailureCompensatesBoth() {
        h.busi.once(BUSI + "/TransIn", BranchResult.FAILURE);

        h.coordinator.submit(transferSaga("SagaConOrder2")
                .customData("{\"orders\":{\"1\":[0]},\"concurrent\":true}").build());

        assertThat(h.statuses("SagaConOrder2")).containsExactly(SUCCEED, SUCCEED, SUCCEED, FAILED);
        // reverse dependency: step 1 is rolled back before step 0
        assertThat(h.busi.urls().indexOf(BUSI + "/TransInRevert"))
                .isLessThan(h.busi.urls().indexOf(BUSI + "/TransOutRevert"));
    }

    @Test
    void retryIntervalIsKeptOnOngoingAndDoubledOnError() {
        TransOptions o = TransOptions.builder().retryInterval(Duration.ofSeconds(150)).build();
        h.busi.once(BUSI + "/TransOut", BranchResult.ONGOING);
        h.coordinator.submit(transferSaga("SagaOptionsOngoing").options(o).build());
        assertThat(h.global("SagaOptionsOngoing").nextCronInterval()).isEqualTo(Duration.ofSeconds(150));
        assertThat(h.global("SagaOptionsOngoing").nextCronTime()).isEqualTo(h.clock.instant().plusSeconds(150));

        h.busi.once(BUSI + "/TransOut", BranchResult.ERROR);
        h.coordinator.submit(transferSaga("SagaOptionsError").options(o).build());
        assertThat(h.global("SagaOptionsError").nextCronInterval()).isEqualTo(Duration.ofSeconds(300));

        h.recoverAfter(Duration.ofSeconds(180));
        assertThat(h.global("SagaOptionsOngoing").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.global("SagaOptionsError").status()).isEqualTo(GlobalStatus.SUBMITTED);
        h.recoverAfter(Duration.ofSeconds(180));
        assertThat(h.global("SagaOptionsError").status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void timeoutRollsBackAStuckSaga() {
        TransOptions o = TransOptions.builder().timeoutToFail(Duration.ofSeconds(1800)).build();
        h.busi.times(BUSI + "/TransOut", BranchResult.ONGOING, 2);
        h.coordinator.submit(transferSaga("SagaTimeout").options(o).build());

        h.recoverAfter(Duration.ofSeconds(3600));

        assertThat(h.global("SagaTimeout").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(h.global("SagaTimeout").rollbackReason()).matches("^Timeout after \\d+ seconds$");
        assertThat(h.statuses("SagaTimeout")).containsExactly(SUCCEED, PREPARED, PREPARED, PREPARED);
    }

    @Test
    void sagaWithoutOwnTimeoutNeverTimesOut() {
        h.busi.times(BUSI + "/TransOut", BranchResult.ONGOING, 2);
        h.coordinator.submit(transferSaga("SagaNoTimeout").build());

        h.recoverAfter(Duration.ofDays(2));

        assertThat(h.global("SagaNoTimeout").status()).isEqualTo(GlobalStatus.SUBMITTED);
    }

    @Test
    void waitResultReportsRollbackWithItsReason() {
        h.busi.once(BUSI + "/TransIn", BranchResult.FAILURE, "reason:Insufficient balance");

        TransOutcome out = h.coordinator.submit(transferSaga("SagaWaitRollback").options(EngineHarness.waitResult())
                .build());

        assertThat(out.kind()).isEqualTo(TransOutcome.Kind.FAILURE);
        assertThat(out.message()).contains("Insufficient balance");
        assertThat(out.status()).isEqualTo(GlobalStatus.FAILED);
    }

    @Test
    void waitResultOnAnOngoingSagaReportsFailureAndItSucceedsLater() {
        h.busi.once(BUSI + "/TransOut", BranchResult.ONGOING);

        TransOutcome out = h.coordinator.submit(transferSaga("SagaWaitOngoing").options(EngineHarness.waitResult())
                .build());

        assertThat(out.kind()).isEqualTo(TransOutcome.Kind.FAILURE);
        assertThat(out.status()).isEqualTo(GlobalStatus.SUBMITTED);
        h.recoverAfter(Duration.ofSeconds(10));
        assertThat(h.global("SagaWaitOngoing").status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void retryLimitRetriesInsideTheRound() {
        h.busi.times(BUSI + "/TransIn", BranchResult.ERROR, 3);

        h.coordinator.submit(transferSaga("SagaRetryLimit3").options(TransOptions.builder().retryLimit(3).build())
                .build());

        assertThat(h.global("SagaRetryLimit3").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.busi.callsTo(BUSI + "/TransIn")).isEqualTo(4);
    }

    @Test
    void exhaustedRetryLimitRollsBack() {
        h.busi.times(BUSI + "/TransIn", BranchResult.ERROR, 2);

        h.coordinator.submit(transferSaga("SagaRetryLimit1").options(TransOptions.builder().retryLimit(1).build())
                .build());

        assertThat(h.global("SagaRetryLimit1").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(h.global("SagaRetryLimit1").rollbackReason())
                .isEqualTo("RetryCount is greater than RetryLimit, RetryLimit: 1");
        assertThat(h.statuses("SagaRetryLimit1")).containsExactly(SUCCEED, SUCCEED, SUCCEED, PREPARED);
    }

    @Test
    void branchHeadersAndRequestTimeoutReachEveryCall() {
        TransOptions o = TransOptions.builder().branchHeaders(Map.of("test_header", "yes"))
                .requestTimeout(Duration.ofSeconds(6)).build();
        h.busi.once(BUSI + "/TransIn", BranchResult.ERROR);

        h.coordinator.submit(transferSaga("SagaHeaders").options(o).build());
        h.recoverAfter(Duration.ofSeconds(20));

        assertThat(h.busi.calls()).hasSize(3).allSatisfy(c -> {
            assertThat(c.headers()).containsEntry("test_header", "yes");
            assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(6));
        });
    }

    @Test
    void branchCallsCarryDtmParameters() {
        h.coordinator.submit(transferSaga("SagaParams").build());

        BranchCall first = h.busi.calls().get(0);
        assertThat(first.gid()).isEqualTo("SagaParams");
        assertThat(first.branchId()).isEqualTo("01");
        assertThat(first.op()).isEqualTo("action");
        assertThat(first.httpMethod()).isEqualTo("POST");
        assertThat(new String(first.body())).isEqualTo("{\"amount\":30}");
    }

    @Test
    void preparedSagaIsSubmittedLater() {
        h.coordinator.prepare(transferSaga("SagaPrepared").build());
        assertThat(h.global("SagaPrepared").status()).isEqualTo(GlobalStatus.PREPARED);
        assertThat(h.busi.calls()).isEmpty();

        h.coordinator.submit(TransRequest.builder("SagaPrepared", TransType.SAGA).build());

        assertThat(h.global("SagaPrepared").status()).isEqualTo(GlobalStatus.SUCCEED);
    }
}
