package io.dtm4j.core.engine;

import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.TransType;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.spi.CoordinatorEvents;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.EngineHarness;
import io.dtm4j.core.testing.ScriptedBranchInvoker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static io.dtm4j.core.testing.EngineHarness.BUSI;
import static io.dtm4j.core.testing.EngineHarness.transferMsg;
import static io.dtm4j.core.testing.EngineHarness.transferSaga;
import static org.assertj.core.api.Assertions.assertThat;

/** The exact events the engine reports for rounds, branch calls, status writes and retries. */
class CoordinatorEventsTest {
    private final EngineHarness h = new EngineHarness();

    @AfterEach
    void close() {
        h.close();
    }

    @Test
    void happySagaReportsItsStatusesBothActionsAndOneCleanRound() {
        h.coordinator.submit(transferSaga("EventsSagaHappy").build());

        assertThat(h.events.lines()).containsExactly(
                "status submitted",
                "branch 01 action SUCCESS",
                "branch 02 action SUCCESS",
                "status succeed",
                "round ok 0s");
        assertThat(h.events.models()).containsOnly(TransType.SAGA);
    }

    @Test
    void branchErrorSchedulesARetryAndTheRecoveryRoundFinishesIt() {
        h.busi.once(BUSI + "/TransIn", BranchResult.ERROR);

        h.coordinator.submit(transferSaga("EventsSagaRetry").build());
        h.recoverAfter(Duration.ofSeconds(20));

        assertThat(h.global("EventsSagaRetry").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.events.lines()).containsExactly(
                "status submitted",
                "branch 01 action SUCCESS",
                "branch 02 action ERROR",
                "retry",
                "round fail 0s",
                // the recovery round: 20 s after create_time, the back-off interval
                "branch 02 action SUCCESS",
                "status succeed",
                "round ok 20s");
    }

    @Test
    void rolledBackSagaReportsAbortingCompensationsInReverseAndAFailedRound() {
        h.busi.once(BUSI + "/TransIn", BranchResult.FAILURE);

        h.coordinator.submit(transferSaga("EventsSagaRollback").build());

        assertThat(h.events.lines()).containsExactly(
                "status submitted",
                "branch 01 action SUCCESS",
                "branch 02 action FAILURE",
                "status aborting",
                "branch 02 compensate SUCCESS",
                "branch 01 compensate SUCCESS",
                "status failed",
                "round fail 0s");
    }

    @Test
    void ongoingMsgBackCheckIsARetryButNotABranchCall() {
        h.busi.once(BUSI + "/QueryPrepared", BranchResult.ONGOING);
        h.coordinator.prepare(transferMsg("EventsMsgBackCheck").build());

        h.recoverAfter(Duration.ofSeconds(40));
        h.recoverAfter(Duration.ofSeconds(10));

        assertThat(h.global("EventsMsgBackCheck").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.events.lines()).containsExactly(
                "status prepared",
                "retry",
                "round fail 40s",
                "status submitted",
                "branch 01 action SUCCESS",
                "branch 02 action SUCCESS",
                "status succeed",
                "round ok 50s");
        assertThat(h.events.models()).containsOnly(TransType.MSG);
    }

    @Test
    void preparedMsgBeforeItsTimeoutIsACleanRoundWithoutRetry() {
        h.coordinator.prepare(transferMsg("EventsMsgWaiting").build());

        h.recoverAfter(Duration.ofSeconds(20));

        assertThat(h.busi.calls()).isEmpty();
        assertThat(h.events.lines()).containsExactly("status prepared", "round ok 20s");
    }

    @Test
    void forceStopReportsTheFailedStatusWithoutARound() {
        h.busi.once(BUSI + "/TransOut", BranchResult.ONGOING);
        h.coordinator.submit(transferSaga("EventsForceStop").build());

        h.coordinator.forceStop("EventsForceStop", "operator");

        assertThat(h.events.lines()).containsExactly(
                "status submitted",
                "branch 01 action ONGOING",
                "retry",
                "round fail 0s",
                "status failed");
    }

    @Test
    void aThrowingListenerNeverChangesWhatTheEngineDoes() {
        AtomicInteger calls = new AtomicInteger();
        CoordinatorEvents broken = new CoordinatorEvents() {
            @Override
            public void statusChanged(String gid, TransType model, GlobalStatus status) {
                calls.incrementAndGet();
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void branchCalled(String gid, TransType model, String branchId, BranchOp op,
                                     BranchResult result) {
                calls.incrementAndGet();
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void roundEnded(String gid, TransType model, boolean ok, Duration age) {
                calls.incrementAndGet();
                throw new IllegalStateException("listener bug");
            }
        };
        InMemoryTransactionStore store = new InMemoryTransactionStore();
        try (Coordinator c = Coordinator.builder().store(store).invoker(new ScriptedBranchInvoker())
                .executor(new DirectExecutorService()).events(broken).build()) {
            c.submit(transferSaga("EventsBrokenListener").options(EngineHarness.waitResult()).build());

            assertThat(store.findGlobal("EventsBrokenListener").orElseThrow().status())
                    .isEqualTo(GlobalStatus.SUCCEED);
        }
        // submitted, 2 actions, succeed, the round: each listener call threw and the next one still came
        assertThat(calls).hasValue(5);
    }
}
