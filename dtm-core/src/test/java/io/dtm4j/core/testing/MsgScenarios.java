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

import static io.dtm4j.core.BranchStatus.PREPARED;
import static io.dtm4j.core.BranchStatus.SUCCEED;
import static io.dtm4j.core.testing.EngineHarness.BUSI;
import static io.dtm4j.core.testing.EngineHarness.transferMsg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The msg rows of DTM's acceptance catalogue (spec 3.2, 9, 12.5), driven through the engine on any store: extend
 * it and implement {@link #newStore()} (see {@link ScenarioSuite}).
 */
public abstract class MsgScenarios extends ScenarioSuite {

    @Test
    void submittedMsgCallsEveryBranchWithTwoWrites() {
        h.coordinator.submit(transferMsg("MsgNormal").build());

        assertThat(h.global("MsgNormal").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.statuses("MsgNormal")).containsExactly(SUCCEED, SUCCEED);
        assertThat(h.store.writes()).isEqualTo(2);
    }

    @Test
    void preparedThenSubmittedMsgCostsThreeWrites() {
        h.coordinator.prepare(transferMsg("MsgPrepareSubmit").build());
        h.coordinator.submit(transferMsg("MsgPrepareSubmit").build());

        assertThat(h.global("MsgPrepareSubmit").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.store.writes()).isEqualTo(3);
        assertThat(h.store.writeCalls()).as("no write that changes nothing (a submit finds the prepared one)")
                .isEqualTo(3);
        assertThat(h.busi.callsTo(BUSI + "/QueryPrepared")).isZero();
    }

    @Test
    void preparedMsgIsBackCheckedOnlyAfterItsTimeout() {
        h.coordinator.prepare(transferMsg("MsgTimeoutSuccess").build());

        h.recoverAfter(Duration.ofSeconds(20));
        assertThat(h.busi.callsTo(BUSI + "/QueryPrepared")).isZero();
        assertThat(h.global("MsgTimeoutSuccess").status()).isEqualTo(GlobalStatus.PREPARED);

        h.recoverAfter(Duration.ofSeconds(40));
        assertThat(h.global("MsgTimeoutSuccess").status()).isEqualTo(GlobalStatus.SUCCEED);
        BranchCall check = h.busi.calls().get(0);
        assertThat(check.url()).isEqualTo(BUSI + "/QueryPrepared");
        assertThat(check.branchId()).isEqualTo("00");
        assertThat(check.op()).isEqualTo("msg");
        assertThat(check.httpMethod()).isEqualTo("GET");
    }

    @Test
    void ongoingBackCheckKeepsItPreparedUntilItAnswers() {
        h.busi.once(BUSI + "/QueryPrepared", BranchResult.ONGOING);
        h.busi.once(BUSI + "/TransOut", BranchResult.ONGOING);
        h.coordinator.prepare(transferMsg("MsgOngoing").build());

        h.recoverAfter(Duration.ofSeconds(40));
        assertThat(h.global("MsgOngoing").status()).isEqualTo(GlobalStatus.PREPARED);

        h.recoverAfter(Duration.ofSeconds(10));
        assertThat(h.global("MsgOngoing").status()).isEqualTo(GlobalStatus.SUBMITTED);

        h.recoverAfter(Duration.ofSeconds(10));
        assertThat(h.global("MsgOngoing").status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void failedBackCheckFailsTheMsgWithoutCallingBranches() {
        h.busi.once(BUSI + "/QueryPrepared", BranchResult.FAILURE);
        h.coordinator.prepare(transferMsg("MsgTimeoutFailed").build());

        h.recoverAfter(Duration.ofSeconds(40));

        assertThat(h.global("MsgTimeoutFailed").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(h.statuses("MsgTimeoutFailed")).containsExactly(PREPARED, PREPARED);
        assertThat(h.busi.urls()).containsExactly(BUSI + "/QueryPrepared");
    }

    @Test
    void customTimeoutDelaysTheBackCheck() {
        h.coordinator.prepare(transferMsg("MsgCustomTimeout")
                .options(TransOptions.builder().timeoutToFail(Duration.ofSeconds(120)).build()).build());

        h.recoverAfter(Duration.ofSeconds(60));
        assertThat(h.global("MsgCustomTimeout").status()).isEqualTo(GlobalStatus.PREPARED);
        h.recoverAfter(Duration.ofSeconds(120));
        assertThat(h.global("MsgCustomTimeout").status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void abnormalSequenceOfPrepareAndSubmit() {
        assertThat(h.coordinator.prepare(transferMsg("MsgAbnormal").build()).isSuccess()).isTrue();
        assertThat(h.coordinator.prepare(transferMsg("MsgAbnormal").build()).isSuccess()).isTrue();
        assertThat(h.coordinator.submit(transferMsg("MsgAbnormal").build()).isSuccess()).isTrue();

        assertThatThrownBy(() -> h.coordinator.prepare(transferMsg("MsgAbnormal").build()))
                .isInstanceOf(IllegalTransitionException.class).hasMessageContaining("cannot prepare");
    }

    @Test
    void delayedMsgCallsNoBranchBeforeItsDelay() {
        h.coordinator.submit(transferMsg("MsgDelay").customData("{\"delay\":10}").build());
        assertThat(h.global("MsgDelay").status()).isEqualTo(GlobalStatus.SUBMITTED);
        assertThat(h.busi.calls()).isEmpty();

        h.recoverAfter(Duration.ofSeconds(8));
        assertThat(h.busi.calls()).isEmpty();

        h.recoverAfter(Duration.ofSeconds(4));
        assertThat(h.global("MsgDelay").status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void concurrentMsgCallsBranchesInParallel() {
        h.busi.once(BUSI + "/TransOut", BranchResult.ERROR);
        h.coordinator.submit(transferMsg("MsgConcurrent")
                .options(TransOptions.builder().concurrent(true).build()).build());

        // both were called in the first round although the first failed
        assertThat(h.busi.urls()).containsExactly(BUSI + "/TransOut", BUSI + "/TransIn");
        assertThat(h.statuses("MsgConcurrent")).containsExactly(PREPARED, SUCCEED);
    }

    @Test
    void sequentialMsgStopsAtTheFirstTroubleAndRetriesFailure() {
        h.busi.once(BUSI + "/TransOut", BranchResult.FAILURE);
        h.coordinator.submit(transferMsg("MsgFailureRetried").build());

        assertThat(h.busi.urls()).containsExactly(BUSI + "/TransOut");
        assertThat(h.global("MsgFailureRetried").status()).isEqualTo(GlobalStatus.SUBMITTED);

        h.recoverAfter(Duration.ofSeconds(20));
        assertThat(h.global("MsgFailureRetried").status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void abortOfAPreparedMsgFailsIt() {
        h.coordinator.prepare(transferMsg("MsgAbort").build());

        TransOutcome out = h.coordinator.abort(TransRequest.builder("MsgAbort", TransType.MSG).build());

        assertThat(out.isSuccess()).isTrue();
        assertThat(h.global("MsgAbort").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(h.busi.calls()).isEmpty();
    }

    @Test
    void waitResultMsgReportsOngoingAndError() {
        h.busi.once(BUSI + "/TransOut", BranchResult.ONGOING);
        TransOutcome ongoing = h.coordinator.submit(transferMsg("MsgWaitOngoing")
                .options(EngineHarness.waitResult()).build());
        assertThat(ongoing.kind()).isEqualTo(TransOutcome.Kind.ONGOING);

        h.busi.once(BUSI + "/TransOut", BranchResult.ERROR);
        TransOutcome error = h.coordinator.submit(transferMsg("MsgWaitError")
                .options(EngineHarness.waitResult()).build());
        assertThat(error.kind()).isEqualTo(TransOutcome.Kind.ERROR);

        TransOutcome ok = h.coordinator.submit(transferMsg("MsgWaitOk").options(EngineHarness.waitResult()).build());
        assertThat(ok.kind()).isEqualTo(TransOutcome.Kind.SUCCESS);
    }

    @Test
    void preparedMsgWithoutBackCheckUrlIsSubmittedAfterItsTimeout() {
        h.coordinator.prepare(transferMsg("MsgNoCheck").queryPrepared("").build());

        h.recoverAfter(Duration.ofSeconds(40));

        assertThat(h.global("MsgNoCheck").status()).isEqualTo(GlobalStatus.SUCCEED);
    }
}
