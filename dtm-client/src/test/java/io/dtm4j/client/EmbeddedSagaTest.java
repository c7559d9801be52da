package io.dtm4j.client;

import io.dtm4j.client.EmbeddedFixture.Transfer;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.spi.BranchCall;
import io.dtm4j.core.testing.MutableClock;
import io.dtm4j.core.testing.ScriptedBranchInvoker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.dtm4j.client.EmbeddedFixture.TRANS_IN;
import static io.dtm4j.client.EmbeddedFixture.TRANS_IN_REVERT;
import static io.dtm4j.client.EmbeddedFixture.TRANS_OUT;
import static io.dtm4j.client.EmbeddedFixture.TRANS_OUT_REVERT;
import static io.dtm4j.core.BranchStatus.FAILED;
import static io.dtm4j.core.BranchStatus.PREPARED;
import static io.dtm4j.core.BranchStatus.SUCCEED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The saga scenarios of DTM's test suite (saga_test, saga_options_test, saga_concurrent_test), embedded. */
class EmbeddedSagaTest {
    private static final String TRANS_MORE = EmbeddedFixture.BUSI + "/TransMore";

    private final EmbeddedFixture f = new EmbeddedFixture();

    @AfterEach
    void close() {
        f.close();
    }

    @Test
    void sagaNormal() {
        String gid = f.transferSaga("sagaNormal").submit();

        assertThat(gid).isEqualTo("sagaNormal");
        assertThat(f.statuses(gid)).containsExactly(PREPARED, SUCCEED, PREPARED, SUCCEED);
        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(f.global(gid).rollbackReason()).isEmpty();
        assertThat(f.busi.urls()).containsExactly(TRANS_OUT, TRANS_IN);
    }

    @Test
    void sagaRollback() {
        f.busi.once(TRANS_IN, BranchResult.FAILURE, "{\"error\":\"reason:Insufficient balance\"}");

        String gid = f.transferSaga("sagaRollback").submit();

        assertThat(f.statuses(gid)).containsExactly(SUCCEED, SUCCEED, SUCCEED, FAILED);
        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(f.global(gid).rollbackReason()).contains("Insufficient balance");
        assertThat(f.busi.urls()).containsExactly(TRANS_OUT, TRANS_IN, TRANS_IN_REVERT, TRANS_OUT_REVERT);
    }

    @Test
    void sagaOngoingSucceedsAfterOneRecovery() {
        f.busi.once(TRANS_OUT, BranchResult.ONGOING);

        String gid = f.transferSaga("sagaOngoing").submit();

        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.SUBMITTED);
        assertThat(f.statuses(gid)).containsExactly(PREPARED, PREPARED, PREPARED, PREPARED);
        f.recoverAfter(Coordinator.DEFAULT_RETRY_INTERVAL);
        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(f.statuses(gid)).containsExactly(PREPARED, SUCCEED, PREPARED, SUCCEED);
    }

    @Test
    void failedCompensationIsRetriedThenFails() {
        f.busi.once(TRANS_IN, BranchResult.FAILURE).once(TRANS_OUT_REVERT, BranchResult.ERROR);

        String gid = f.transferSaga("sagaFailed").submit();

        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.ABORTING);
        f.recoverAfter(Coordinator.DEFAULT_RETRY_INTERVAL.multipliedBy(2));
        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(f.statuses(gid)).containsExactly(SUCCEED, SUCCEED, SUCCEED, FAILED);
        assertThat(f.busi.callsTo(TRANS_OUT_REVERT)).isEqualTo(2);
    }

    @Test
    void resubmitWhileRunningIsAcceptedAndAfterFinishIsRefused() {
        f.busi.once(TRANS_OUT, BranchResult.ONGOING);
        f.transferSaga("sagaAbnormal").submit();
        assertThat(f.global("sagaAbnormal").status()).isEqualTo(GlobalStatus.SUBMITTED);

        f.transferSaga("sagaAbnormal").submit();
        assertThat(f.global("sagaAbnormal").status()).isEqualTo(GlobalStatus.SUCCEED);

        assertThatThrownBy(() -> f.transferSaga("sagaAbnormal").submit())
                .isInstanceOf(DtmFailureException.class)
                .hasMessageContaining("gid=sagaAbnormal")
                .hasMessageContaining("cannot submit");
    }

    @Test
    void emptyUrlsCountAsSuccess() {
        String gid = f.client.saga("sagaEmptyUrl")
                .add(TRANS_OUT, "", new Transfer(30))
                .add("", TRANS_IN_REVERT, new Transfer(30))
                .submit();

        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(f.statuses(gid)).containsExactly(PREPARED, SUCCEED, PREPARED, SUCCEED);
        assertThat(f.busi.urls()).containsExactly(TRANS_OUT);
    }

    @Test
    void concurrentSagaSucceeds() {
        String gid = f.transferSaga("sagaConNormal").concurrent().submit();

        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(f.statuses(gid)).containsExactly(PREPARED, SUCCEED, PREPARED, SUCCEED);
        assertThat(f.global(gid).customData()).isEqualTo("{\"concurrent\":true,\"orders\":{}}");
    }

    @Test
    void concurrentWithOrderAndFirstActionFailureNeverStartsTheSecond() {
        f.busi.once(TRANS_OUT, BranchResult.FAILURE);

        String gid = f.transferSaga("sagaConOrderRollback").concurrent().addBranchOrder(1, 0).submit();

        assertThat(f.global(gid).customData()).isEqualTo("{\"concurrent\":true,\"orders\":{\"1\":[0]}}");
        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(f.statuses(gid)).containsExactly(SUCCEED, FAILED, PREPARED, PREPARED);
        assertThat(f.busi.callsTo(TRANS_IN)).isZero();
        assertThat(f.busi.callsTo(TRANS_IN_REVERT)).isZero();
    }

    @Test
    void branchOrderAcceptsOnlyEarlierExistingSteps() {
        Saga saga = f.transferSaga("sagaOrderCheck");

        assertThatThrownBy(() -> saga.addBranchOrder(1, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("only wait for earlier steps");
        assertThatThrownBy(() -> saga.addBranchOrder(1, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> saga.addBranchOrder(2, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("add the steps first");
        assertThat(saga.addBranchOrder(1)).isSameAs(saga);
    }

    @Test
    void nonConcurrentSagaSendsNoCustomData() {
        String gid = f.transferSaga("sagaNoCustom").addBranchOrder(1, 0).submit();

        assertThat(f.global(gid).customData()).isEmpty();
    }

    @Test
    void waitResultReturnsOnlyWhenTheSagaFinished() {
        QueuedExecutorService held = new QueuedExecutorService();
        try (Coordinator c = Coordinator.builder().store(new InMemoryTransactionStore())
                .invoker(new ScriptedBranchInvoker()).clock(MutableClock.startingAtEpochOf2026()).executor(held)
                .build();
             DtmClient client = DtmClient.embedded(c)) {
            client.saga("sagaNoWait").add(TRANS_OUT, TRANS_OUT_REVERT, "{}").submit();
            client.saga("sagaWait").add(TRANS_OUT, TRANS_OUT_REVERT, "{}").waitResult().submit();

            assertThat(c.query("sagaNoWait").orElseThrow().global().status()).isEqualTo(GlobalStatus.SUBMITTED);
            assertThat(c.query("sagaWait").orElseThrow().global().status()).isEqualTo(GlobalStatus.SUCCEED);
            held.runAll();
            assertThat(c.query("sagaNoWait").orElseThrow().global().status()).isEqualTo(GlobalStatus.SUCCEED);
        }
    }

    @Test
    void waitResultRollbackThrowsFailureWithTheReason() {
        f.busi.once(TRANS_IN, BranchResult.FAILURE, "reason:Insufficient balance");

        assertThatThrownBy(() -> f.transferSaga("sagaWaitRollback").waitResult().submit())
                .isInstanceOf(DtmFailureException.class)
                .hasMessageContaining("gid=sagaWaitRollback")
                .hasMessageContaining("Insufficient balance");
        assertThat(f.global("sagaWaitRollback").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(f.statuses("sagaWaitRollback")).containsExactly(SUCCEED, SUCCEED, SUCCEED, FAILED);
    }

    @Test
    void waitResultWithOngoingBranchThrowsButTheSagaFinishesLater() {
        f.busi.once(TRANS_OUT, BranchResult.ONGOING);

        // DTM answers 409 here (server-protocol.md 1.4 / G6): the saga is accepted and still running.
        assertThatThrownBy(() -> f.transferSaga("sagaWaitOngoing").waitResult().submit())
                .isInstanceOf(DtmFailureException.class);
        assertThat(f.global("sagaWaitOngoing").status()).isEqualTo(GlobalStatus.SUBMITTED);
        f.recoverAfter(Coordinator.DEFAULT_RETRY_INTERVAL);
        assertThat(f.global("sagaWaitOngoing").status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void retryLimitRetriesInTheSameRound() {
        f.busi.times(TRANS_IN, BranchResult.ERROR, 3);

        String gid = f.transferSaga("sagaRetryLimit3").retryLimit(3).submit();

        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(f.busi.callsTo(TRANS_IN)).isEqualTo(4);
    }

    @Test
    void retryLimitExhaustedRollsBack() {
        f.busi.times(TRANS_IN, BranchResult.ERROR, 2);

        String gid = f.transferSaga("sagaRetryLimit1").retryLimit(1).submit();

        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(f.global(gid).rollbackReason()).isEqualTo("RetryCount is greater than RetryLimit, RetryLimit: 1");
        assertThat(f.statuses(gid)).containsExactly(SUCCEED, SUCCEED, SUCCEED, PREPARED);
    }

    @Test
    void branchHeadersReachEveryBranchCallAlsoAfterRecovery() {
        f.busi.once(TRANS_IN, BranchResult.ONGOING);

        f.transferSaga("sagaHeaders").branchHeaders(Map.of("test_header", "yes")).branchHeader("x-trace", "t1")
                .submit();
        f.recoverAfter(Coordinator.DEFAULT_RETRY_INTERVAL);

        assertThat(f.global("sagaHeaders").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(f.busi.calls()).hasSize(3).allSatisfy(call ->
                assertThat(call.headers()).containsEntry("test_header", "yes").containsEntry("x-trace", "t1"));
    }

    @Test
    void timeoutToFailRollsBackASagaStillRunning() {
        f.busi.once(TRANS_OUT, BranchResult.ONGOING);

        String gid = f.transferSaga("sagaTimeout").timeoutToFail(Duration.ofSeconds(1800)).submit();
        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.SUBMITTED);
        f.recoverAfter(Duration.ofSeconds(3600));

        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(f.global(gid).rollbackReason()).isEqualTo("Timeout after 1800 seconds");
        assertThat(f.statuses(gid)).containsExactly(SUCCEED, PREPARED, PREPARED, PREPARED);
    }

    @Test
    void retryIntervalDecidesWhenRecoveryPicksTheSagaUp() {
        f.busi.once(TRANS_OUT, BranchResult.ONGOING);

        String gid = f.transferSaga("sagaRetryInterval").retryInterval(Duration.ofSeconds(150)).submit();
        f.recoverAfter(Duration.ofSeconds(100));
        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.SUBMITTED);
        f.recoverAfter(Duration.ofSeconds(50));
        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void requestTimeoutIsTheTimeoutOfEachBranchCall() {
        f.transferSaga("sagaRequestTimeout").requestTimeout(Duration.ofSeconds(6)).submit();

        assertThat(f.busi.calls()).extracting(BranchCall::timeout).containsOnly(Duration.ofSeconds(6));
    }

    @Test
    void payloadsAreSentAsJsonTextBytesOrJackson() {
        byte[] raw = {'{', '}'};
        f.client.saga("sagaPayloads")
                .add(TRANS_OUT, TRANS_OUT_REVERT, "{\"amount\":30,\"trans_out_Result\":\"\"}")
                .add(TRANS_IN, TRANS_IN_REVERT, raw)
                .add(TRANS_MORE, "", Map.of("amount", 5))
                .submit();

        List<String> bodies = f.busi.calls().stream()
                .map(c -> new String(c.body(), StandardCharsets.UTF_8)).toList();
        assertThat(bodies).containsExactly("{\"amount\":30,\"trans_out_Result\":\"\"}", "{}", "{\"amount\":5}");
        assertThat(f.busi.calls()).extracting(BranchCall::httpMethod).containsOnly("POST");
    }

    @Test
    void emptyPayloadMeansGet() {
        f.client.saga("sagaEmptyPayload").add(TRANS_OUT, TRANS_OUT_REVERT, "").submit();

        assertThat(f.busi.calls()).extracting(BranchCall::httpMethod).containsExactly("GET");
    }

    @Test
    void sagaWithoutGidGetsANewRandomOne() {
        Saga saga = f.client.saga().add(TRANS_OUT, TRANS_OUT_REVERT, "{}");

        assertThat(saga.gid()).hasSize(22);
        assertThat(saga.submit()).isEqualTo(saga.gid());
        assertThat(f.global(saga.gid()).status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void badArgumentsAreRejectedAtOnce() {
        Saga saga = f.client.saga("sagaBadArgs");

        assertThatThrownBy(() -> saga.add("busi/TransOut", "", "{}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("http://");
        assertThatThrownBy(() -> saga.add(TRANS_OUT, TRANS_OUT_REVERT, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> saga.timeoutToFail(Duration.ofMillis(1500)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whole number of seconds");
        assertThatThrownBy(() -> saga.retryInterval(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> saga.retryLimit(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.client.saga("bad gid")).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void coordinatorValidationErrorsAreServerErrors() {
        Saga saga = f.client.saga("sagaTooManySteps");
        for (int i = 0; i < 100; i++) {
            saga.add(TRANS_OUT, TRANS_OUT_REVERT, "{}");
        }

        assertThatThrownBy(saga::submit).isInstanceOf(DtmServerException.class)
                .satisfies(e -> assertThat(((DtmServerException) e).statusCode()).isEqualTo(400));
    }
}
