package io.dtm4j.client;

import io.dtm4j.core.BranchResult;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.TransType;
import io.dtm4j.core.spi.BranchCall;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.dtm4j.client.EmbeddedFixture.QUERY_PREPARED;
import static io.dtm4j.client.EmbeddedFixture.TRANS_IN;
import static io.dtm4j.client.EmbeddedFixture.TRANS_OUT;
import static io.dtm4j.core.BranchStatus.PREPARED;
import static io.dtm4j.core.BranchStatus.SUCCEED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The two-phase message scenarios of DTM's test suite (msg_test, msg_options_test, msg_delay_test, DoAndSubmit). */
class EmbeddedMsgTest {
    /** Just past the coordinator's default prepared timeout (35 s), when the back-check is due. */
    private static final Duration PAST_TIMEOUT = Coordinator.DEFAULT_TIMEOUT_TO_FAIL.plusSeconds(1);

    private final EmbeddedFixture f = new EmbeddedFixture();

    @AfterEach
    void close() {
        f.close();
    }

    @Test
    void msgNormal() {
        String gid = f.transferMsg("msgNormal").submit();

        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(f.statuses(gid)).containsExactly(SUCCEED, SUCCEED);
        assertThat(f.busi.urls()).containsExactly(TRANS_OUT, TRANS_IN);
    }

    @Test
    void preparedMsgIsNotBackCheckedBeforeItsTimeout() {
        Msg msg = f.transferMsg("msgEarlyPoll");
        msg.prepare(QUERY_PREPARED);

        f.recoverAfter(Coordinator.DEFAULT_RETRY_INTERVAL);

        assertThat(f.global("msgEarlyPoll").status()).isEqualTo(GlobalStatus.PREPARED);
        assertThat(f.busi.calls()).isEmpty();
    }

    @Test
    void backCheckSuccessSubmitsTheMsg() {
        f.transferMsg("msgTimeoutSuccess").prepare(QUERY_PREPARED);

        f.recoverAfter(PAST_TIMEOUT);

        assertThat(f.global("msgTimeoutSuccess").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(f.statuses("msgTimeoutSuccess")).containsExactly(SUCCEED, SUCCEED);
        BranchCall check = f.busi.calls().get(0);
        assertThat(check.url()).isEqualTo(QUERY_PREPARED);
        assertThat(check.branchId()).isEqualTo("00");
        assertThat(check.op()).isEqualTo("msg");
        assertThat(check.transType()).isEqualTo(TransType.MSG);
        assertThat(check.httpMethod()).isEqualTo("GET");
    }

    @Test
    void backCheckFailureFailsTheMsg() {
        f.busi.once(QUERY_PREPARED, BranchResult.FAILURE);
        f.transferMsg("msgTimeoutFailed").prepare(QUERY_PREPARED);

        f.recoverAfter(PAST_TIMEOUT);

        assertThat(f.global("msgTimeoutFailed").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(f.statuses("msgTimeoutFailed")).containsExactly(PREPARED, PREPARED);
        assertThat(f.busi.urls()).containsExactly(QUERY_PREPARED);
    }

    @Test
    void backCheckOngoingKeepsTheMsgPrepared() {
        f.busi.once(QUERY_PREPARED, BranchResult.ONGOING);
        f.transferMsg("msgTimeoutOngoing").prepare(QUERY_PREPARED);

        f.recoverAfter(PAST_TIMEOUT);
        assertThat(f.global("msgTimeoutOngoing").status()).isEqualTo(GlobalStatus.PREPARED);
        assertThat(f.statuses("msgTimeoutOngoing")).containsExactly(PREPARED, PREPARED);

        f.recoverAfter(Coordinator.DEFAULT_RETRY_INTERVAL);
        assertThat(f.global("msgTimeoutOngoing").status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void ownTimeoutToFailDelaysTheBackCheck() {
        f.transferMsg("msgCustomTimeout").timeoutToFail(Duration.ofSeconds(120)).prepare(QUERY_PREPARED);

        f.recoverAfter(Duration.ofSeconds(60));
        assertThat(f.global("msgCustomTimeout").status()).isEqualTo(GlobalStatus.PREPARED);
        f.recoverAfter(Duration.ofSeconds(120));
        assertThat(f.global("msgCustomTimeout").status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void delayedMsgCallsNoBranchBeforeTheDelay() {
        String gid = f.transferMsg("msgDelay").delay(Duration.ofSeconds(10)).submit();

        assertThat(f.global(gid).customData()).isEqualTo("{\"delay\":10}");
        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.SUBMITTED);
        assertThat(f.statuses(gid)).containsExactly(PREPARED, PREPARED);
        f.recoverAfter(Duration.ofSeconds(8));
        assertThat(f.busi.calls()).isEmpty();
        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.SUBMITTED);

        f.recoverAfter(Duration.ofSeconds(4));
        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(f.busi.urls()).containsExactly(TRANS_OUT, TRANS_IN);
    }

    @Test
    void abortOfAPreparedMsgFailsIt() {
        Msg msg = f.transferMsg("msgAbort");
        msg.prepare(QUERY_PREPARED);

        msg.abort();

        assertThat(f.global("msgAbort").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(f.busi.calls()).isEmpty();
        assertThatThrownBy(msg::abort).isInstanceOf(DtmFailureException.class).hasMessageContaining("gid=msgAbort");
    }

    @Test
    void abortOfAnUnknownMsgIsNotFound() {
        assertThatThrownBy(() -> f.transferMsg("msgAbortUnknown").abort())
                .isInstanceOf(DtmServerException.class)
                .satisfies(e -> assertThat(((DtmServerException) e).statusCode()).isEqualTo(404));
    }

    @Test
    void prepareTwiceIsFineAndPrepareAfterFinishIsRefused() {
        Msg msg = f.transferMsg("msgAbnormal");
        msg.prepare(QUERY_PREPARED);
        msg.prepare(QUERY_PREPARED);
        msg.submit();
        assertThat(f.global("msgAbnormal").status()).isEqualTo(GlobalStatus.SUCCEED);

        assertThatThrownBy(() -> msg.prepare(QUERY_PREPARED))
                .isInstanceOf(DtmFailureException.class)
                .hasMessageContaining("cannot prepare");
    }

    @Test
    void concurrentMsgRunsAllBranches() {
        String gid = f.transferMsg("msgConcurrent").concurrent().submit();

        assertThat(f.global(gid).options().concurrent()).isTrue();
        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(f.busi.urls()).containsExactlyInAnyOrder(TRANS_OUT, TRANS_IN);
    }

    @Test
    void waitResultWithOngoingBranchThrowsOngoingAndTheMsgFinishesLater() {
        f.busi.once(TRANS_IN, BranchResult.ONGOING);

        assertThatThrownBy(() -> f.transferMsg("msgWaitOngoing").waitResult().submit())
                .isInstanceOf(DtmOngoingException.class)
                .hasMessageContaining("gid=msgWaitOngoing");
        assertThat(f.global("msgWaitOngoing").status()).isEqualTo(GlobalStatus.SUBMITTED);
        f.recoverAfter(Coordinator.DEFAULT_RETRY_INTERVAL);
        assertThat(f.global("msgWaitOngoing").status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void doAndSubmitRunsTheLocalWorkBetweenPrepareAndSubmit() {
        AtomicBoolean ran = new AtomicBoolean();

        String gid = f.transferMsg("msgDoAndSubmit").doAndSubmit(QUERY_PREPARED, () -> {
            assertThat(f.global("msgDoAndSubmit").status()).isEqualTo(GlobalStatus.PREPARED);
            ran.set(true);
        });

        assertThat(ran).isTrue();
        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(f.busi.urls()).containsExactly(TRANS_OUT, TRANS_IN);
    }

    @Test
    void doAndSubmitAbortsWhenTheLocalWorkFails() {
        DtmFailureException failure = new DtmFailureException("insufficient balance");

        assertThatThrownBy(() -> f.transferMsg("msgDoAndSubmitFailure").doAndSubmit(QUERY_PREPARED, () -> {
            throw failure;
        })).isSameAs(failure);

        assertThat(f.global("msgDoAndSubmitFailure").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(f.busi.calls()).isEmpty();
    }

    @Test
    void doAndSubmitAsksTheBackCheckWhenTheLocalWorkEndsInDoubtAndSubmitsOnSuccess() {
        IOException commitLost = new IOException("connection reset during commit");

        assertThatThrownBy(() -> f.transferMsg("msgDoAndSubmitDoubt").doAndSubmit(QUERY_PREPARED, () -> {
            throw commitLost;
        })).isSameAs(commitLost);

        assertThat(f.global("msgDoAndSubmitDoubt").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(f.busi.urls()).containsExactly(QUERY_PREPARED, TRANS_OUT, TRANS_IN);
        BranchCall check = f.busi.calls().get(0);
        assertThat(check.gid()).isEqualTo("msgDoAndSubmitDoubt");
        assertThat(check.branchId()).isEqualTo("00");
        assertThat(check.op()).isEqualTo("msg");
        assertThat(check.httpMethod()).isEqualTo("GET");
        assertThat(commitLost.getSuppressed()).isEmpty();
    }

    @Test
    void doAndSubmitAbortsWhenTheBackCheckSaysFailure() {
        f.busi.once(QUERY_PREPARED, BranchResult.FAILURE);
        IllegalStateException doubt = new IllegalStateException("commit timed out");

        assertThatThrownBy(() -> f.transferMsg("msgDoAndSubmitCheckFails").doAndSubmit(QUERY_PREPARED, () -> {
            throw doubt;
        })).isSameAs(doubt);

        assertThat(f.global("msgDoAndSubmitCheckFails").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(f.busi.urls()).containsExactly(QUERY_PREPARED);
    }

    @Test
    void doAndSubmitAsksTheBackCheckOnDuplicatedAndSubmitsWhenAnEarlierCallCommitted() {
        // a repeated call: the work's msg barrier found the row of the first call's commit
        DtmDuplicatedException duplicated = new DtmDuplicatedException("gid=msgDoAndSubmitRepeat: row exists");

        String gid = f.transferMsg("msgDoAndSubmitRepeat").doAndSubmit(QUERY_PREPARED, () -> {
            throw duplicated;
        });

        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(f.busi.urls()).containsExactly(QUERY_PREPARED, TRANS_OUT, TRANS_IN);
    }

    @Test
    void doAndSubmitAbortsOnDuplicatedWhenTheBackCheckRolledItBack() {
        f.busi.once(QUERY_PREPARED, BranchResult.FAILURE);
        DtmDuplicatedException duplicated = new DtmDuplicatedException("gid=msgDoAndSubmitDup: row exists");

        assertThatThrownBy(() -> f.transferMsg("msgDoAndSubmitDup").doAndSubmit(QUERY_PREPARED, () -> {
            throw duplicated;
        })).isSameAs(duplicated);

        assertThat(f.global("msgDoAndSubmitDup").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(f.busi.urls()).containsExactly(QUERY_PREPARED);
    }

    @Test
    void doAndSubmitLeavesTheMsgPreparedWhenTheBackCheckCannotTell() {
        f.busi.once(QUERY_PREPARED, BranchResult.ONGOING);

        assertThatThrownBy(() -> f.transferMsg("msgDoAndSubmitUnknown").doAndSubmit(QUERY_PREPARED, () -> {
            throw new IllegalStateException("commit timed out");
        })).isInstanceOf(IllegalStateException.class);

        assertThat(f.global("msgDoAndSubmitUnknown").status()).isEqualTo(GlobalStatus.PREPARED);
        f.recoverAfter(PAST_TIMEOUT);
        assertThat(f.global("msgDoAndSubmitUnknown").status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void doAndSubmitDoesNotRunTheLocalWorkWhenPrepareIsRefused() {
        f.transferMsg("msgDoAndSubmitRefused").submit();
        AtomicBoolean ran = new AtomicBoolean();

        assertThatThrownBy(() -> f.transferMsg("msgDoAndSubmitRefused")
                .doAndSubmit(QUERY_PREPARED, () -> ran.set(true)))
                .isInstanceOf(DtmFailureException.class);
        assertThat(ran).isFalse();
    }

    @Test
    void badArgumentsAreRejectedAtOnce() {
        Msg msg = f.client.msg("msgBadArgs");

        assertThatThrownBy(() -> msg.delay(Duration.ofMillis(500))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> msg.add("", "{}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> msg.prepare("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("queryPreparedUrl");
    }
}
