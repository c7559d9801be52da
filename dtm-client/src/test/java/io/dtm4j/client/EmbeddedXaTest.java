package io.dtm4j.client;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransType;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.spi.BranchCall;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.MutableClock;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static io.dtm4j.core.BranchStatus.PREPARED;
import static io.dtm4j.core.BranchStatus.SUCCEED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The XA scenarios of DTM's xa_test.go and xa_cover_test.go, embedded, with a fake branch service. */
class EmbeddedXaTest {
    private static final String BUSI = "http://busi.test/api/busi";
    private static final String OUT = BUSI + "/TransOutXa";
    private static final String IN = BUSI + "/TransInXa";

    /** The request body of the canonical transfer. */
    record Transfer(int amount) {
    }

    private final MutableClock clock = MutableClock.startingAtEpochOf2026();
    private final XaServiceFake busi = new XaServiceFake();
    private final Coordinator coordinator = Coordinator.builder().store(new InMemoryTransactionStore()).invoker(busi)
            .clock(clock).executor(new DirectExecutorService()).build();
    private final DtmClient client = DtmClient.builder().coordinator(coordinator).branchInvoker(busi).build();

    EmbeddedXaTest() {
        busi.coordinator(coordinator);
    }

    @AfterEach
    void close() {
        client.close();
        coordinator.close();
    }

    private GlobalTransaction global(String gid) {
        return coordinator.query(gid).orElseThrow().global();
    }

    /** Stored row order: rollback01, commit01, rollback02, commit02. */
    private List<BranchStatus> statuses(String gid) {
        return coordinator.query(gid).orElseThrow().branches().stream().map(Branch::status).toList();
    }

    private List<BranchOp> ops(String gid) {
        return coordinator.query(gid).orElseThrow().branches().stream().map(Branch::op).toList();
    }

    private void recoverAfter(Duration d) {
        clock.advance(d);
        coordinator.recoverOnce();
    }

    private String transfer(Xa xa) {
        xa.callBranch(new Transfer(30), OUT);
        return xa.callBranch(new Transfer(30), IN);
    }

    @Test
    void xaNormalCommitsFirstToLast() {
        String answer = client.xa("xaNormal", this::transfer);

        assertThat(answer).isEqualTo("{\"dtm_result\":\"SUCCESS\"}");
        assertThat(global("xaNormal").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(global("xaNormal").rollbackReason()).isEmpty();
        assertThat(ops("xaNormal")).containsExactly(BranchOp.ROLLBACK, BranchOp.COMMIT, BranchOp.ROLLBACK,
                BranchOp.COMMIT);
        assertThat(statuses("xaNormal")).containsExactly(PREPARED, SUCCEED, PREPARED, SUCCEED);
        assertThat(busi.phaseTwo.urls()).containsExactly(OUT, IN);
        assertThat(busi.phaseTwo.calls()).allSatisfy(c -> {
            assertThat(c.op()).isEqualTo("commit");
            assertThat(c.httpMethod()).isEqualTo("POST");
        });
    }

    @Test
    void actionCallsCarryDtmsQueryParameters() {
        client.xa("xaQuery").branchHeader("test_header", "yes").execute(this::transfer);

        List<BranchCall> actions = busi.actions();
        assertThat(actions).extracting(BranchCall::branchId).containsExactly("01", "02");
        assertThat(actions).allSatisfy(c -> {
            assertThat(c.gid()).isEqualTo("xaQuery");
            assertThat(c.transType()).isEqualTo(TransType.XA);
            assertThat(c.op()).isEqualTo("action");
            assertThat(c.httpMethod()).isEqualTo("POST");
            assertThat(c.headers()).containsEntry("test_header", "yes");
            assertThat(new String(c.body(), StandardCharsets.UTF_8)).isEqualTo("{\"amount\":30}");
        });
        HttpUrl first = HttpUrl.parse(actions.get(0).url());
        assertThat(first.queryParameter("phase2_url")).isEqualTo(OUT);
        assertThat(first.queryParameter("dtm")).as("no server URL in embedded mode").isNull();
        assertThat(busi.phaseTwo.calls()).allSatisfy(c -> assertThat(c.headers()).containsEntry("test_header", "yes"));
    }

    @Test
    void xaRollbackWhenTheSecondActionFails() {
        busi.actionOnce(IN, BranchResult.FAILURE, "{\"error\":\"reason:Insufficient balance\"}");

        assertThatThrownBy(() -> client.xa("xaRollback", this::transfer))
                .isInstanceOf(DtmFailureException.class)
                .hasMessageContaining("gid=xaRollback branch=02 op=action: " + IN + " answered FAILURE");

        assertThat(global("xaRollback").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(global("xaRollback").rollbackReason()).contains("Insufficient balance");
        assertThat(statuses("xaRollback")).containsExactly(SUCCEED, PREPARED);
        assertThat(busi.phaseTwo.calls()).singleElement().satisfies(c -> {
            assertThat(c.url()).isEqualTo(OUT);
            assertThat(c.op()).isEqualTo("rollback");
            assertThat(c.httpMethod()).isEqualTo("POST");
        });
    }

    @Test
    void xaLocalErrorBeforeAnyBranchAborts() {
        assertThatThrownBy(() -> client.xa("xaLocalError", xa -> {
            throw new IllegalStateException("a local error");
        })).isInstanceOf(IllegalStateException.class).hasMessage("a local error");

        assertThat(global("xaLocalError").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(global("xaLocalError").rollbackReason()).isEqualTo("a local error");
        assertThat(statuses("xaLocalError")).isEmpty();
        assertThat(busi.actions()).isEmpty();
    }

    @Test
    void checkedExceptionOfTheBodyAbortsAndIsRethrown() {
        class Refused extends Exception {
            Refused() {
                super("refused by the service");
            }
        }

        assertThatThrownBy(() -> client.xa("xaChecked", xa -> {
            xa.callBranch(new Transfer(30), OUT);
            throw new Refused();
        })).isInstanceOf(Refused.class);

        assertThat(global("xaChecked").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(statuses("xaChecked")).containsExactly(SUCCEED, PREPARED);
    }

    @Test
    void xaTimeoutBeforeAnyBranchFailsTheSubmit() {
        assertThatThrownBy(() -> client.xa("xaTimeout", xa -> {
            recoverAfter(Duration.ofSeconds(300));
            return null;
        })).isInstanceOf(DtmFailureException.class).hasMessageContaining("submit");

        assertThat(global("xaTimeout").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(global("xaTimeout").rollbackReason()).matches("^Timeout after \\d+ seconds$");
        assertThat(statuses("xaTimeout")).isEmpty();
    }

    @Test
    void xaNotTimedOutWithAnOngoingCommitSucceedsOnRecovery() {
        client.xa("xaNotTimeout", xa -> {
            recoverAfter(Duration.ofSeconds(10)); // not timed out yet
            busi.phaseTwo.once(OUT, BranchResult.ONGOING);
            return xa.callBranch(new Transfer(30), OUT);
        });
        assertThat(global("xaNotTimeout").status()).isEqualTo(GlobalStatus.SUBMITTED);

        recoverAfter(Coordinator.DEFAULT_RETRY_INTERVAL);

        assertThat(global("xaNotTimeout").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(statuses("xaNotTimeout")).containsExactly(PREPARED, SUCCEED);
    }

    @Test
    void repeatedPhaseTwoIsTolerated() {
        busi.phaseTwo.once(IN, BranchResult.ERROR, "HTTP 500: connection reset");

        client.xa("xaDuplicate", this::transfer);
        assertThat(global("xaDuplicate").status()).isEqualTo(GlobalStatus.SUBMITTED);

        recoverAfter(Coordinator.DEFAULT_RETRY_INTERVAL.multipliedBy(3));

        assertThat(global("xaDuplicate").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(statuses("xaDuplicate")).containsExactly(PREPARED, SUCCEED, PREPARED, SUCCEED);
        assertThat(busi.phaseTwo.callsTo(IN)).isEqualTo(2);
        assertThat(busi.phaseTwo.callsTo(OUT)).as("commit of 01, perhaps repeated").isBetween(1L, 2L);
    }

    @Test
    void actionAnsweringLateAfterTheTimeoutIsRefusedAndNothingIsLeftPrepared() {
        assertThatThrownBy(() -> client.xa("xaLateAction", xa -> {
            xa.callBranch(new Transfer(30), OUT);
            recoverAfter(Duration.ofSeconds(300)); // the coordinator times out and rolls 01 back
            return xa.callBranch(new Transfer(30), IN); // its registration is refused
        })).isInstanceOf(DtmFailureException.class).hasMessageContaining("branch=02")
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement()
                        .isInstanceOf(DtmFailureException.class));

        assertThat(global("xaLateAction").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(global("xaLateAction").rollbackReason()).matches("^Timeout after \\d+ seconds$");
        assertThat(statuses("xaLateAction")).containsExactly(SUCCEED, PREPARED);
    }

    @Test
    void ongoingAndErrorActionsAbortWithTheirOwnExceptions() {
        busi.actionOnce(OUT, BranchResult.ONGOING, "{\"dtm_result\":\"ONGOING\"}");
        assertThatThrownBy(() -> client.xa("xaActionOngoing", this::transfer))
                .isInstanceOf(DtmOngoingException.class);
        assertThat(global("xaActionOngoing").status()).isEqualTo(GlobalStatus.FAILED);

        busi.actionOnce(OUT, BranchResult.ERROR, "HTTP 500: boom");
        assertThatThrownBy(() -> client.xa("xaActionError", this::transfer))
                .isInstanceOfSatisfying(DtmServerException.class, e -> assertThat(e.statusCode()).isEqualTo(500));

        busi.actionOnce(OUT, BranchResult.ERROR, "POST http://busi.test:80/api/busi/TransOutXa: connection refused");
        assertThatThrownBy(() -> client.xa("xaActionDown", this::transfer))
                .isInstanceOfSatisfying(DtmTransportException.class, e -> assertThat(e.url()).isEqualTo(OUT));
        assertThat(global("xaActionDown").status()).isEqualTo(GlobalStatus.FAILED);
    }

    @Test
    void optionsAreStoredWithTheTransaction() {
        client.xa("xaOptions").timeoutToFail(Duration.ofSeconds(60)).retryInterval(Duration.ofSeconds(15))
                .requestTimeout(Duration.ofSeconds(4)).waitResult().execute(this::transfer);

        GlobalTransaction g = global("xaOptions");
        assertThat(g.status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(g.transType()).isEqualTo(TransType.XA);
        assertThat(g.options().timeoutToFail()).isEqualTo(Duration.ofSeconds(60));
        assertThat(g.options().retryInterval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(g.options().requestTimeout()).isEqualTo(Duration.ofSeconds(4));
        assertThat(g.options().waitResult()).isTrue();
        assertThat(busi.actions()).allSatisfy(c -> assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(4)));
    }

    @Test
    void refusesBadArgumentsBeforeCallingAnything() {
        assertThatThrownBy(() -> client.xa("bad'gid")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> client.xa("xaBadUrl", xa -> xa.callBranch("", "ftp://x")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(busi.actions()).isEmpty();
        assertThat(global("xaBadUrl").status()).isEqualTo(GlobalStatus.FAILED);
    }

    @Test
    void atMost99Branches() {
        assertThatThrownBy(() -> client.xa("xaMany", xa -> {
            for (int i = 0; i < 100; i++) {
                xa.callBranch("", OUT);
            }
            return null;
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("more than 99");
        assertThat(busi.actions()).hasSize(99);
        assertThat(busi.actions().get(98).branchId()).isEqualTo("99");
        assertThat(global("xaMany").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(busi.phaseTwo.calls()).hasSize(99).allSatisfy(c -> assertThat(c.op()).isEqualTo("rollback"));
    }

    @Test
    void newGidForm() {
        String gid = client.xa(Xa::gid);
        assertThat(gid).hasSize(22);
        assertThat(global(gid).status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(client.xa().gid()).hasSize(22).isNotEqualTo(gid);
    }

    @Test
    void toStringNamesTheGidOnly() {
        assertThat(client.xa("xaStr")).hasToString("XaTransaction[gid=xaStr]");
    }
}
