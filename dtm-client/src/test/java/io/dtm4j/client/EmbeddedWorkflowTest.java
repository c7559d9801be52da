package io.dtm4j.client;

import io.dtm4j.client.workflow.WorkflowException;
import io.dtm4j.client.workflow.WorkflowHandler;
import io.dtm4j.client.workflow.WorkflowOptions;
import io.dtm4j.client.workflow.Workflows;
import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.TransType;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.spi.BranchCall;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The workflow rows of DTM's acceptance catalogue (workflow_http_test, workflow_http_ret_test, workflow_base_test)
 * on an embedded coordinator: in-memory store, mutable clock, rounds inline. Steps call a {@link WorkflowBank} over
 * loopback HTTP; the coordinator's resume calls go straight to {@link Workflows#resume}, as a service's resume
 * endpoint would hand them. Gid = test name.
 */
class EmbeddedWorkflowTest {
    private static final String RESUME_URL = "http://me.test/api/workflow/resume";
    private static final String BUSI_URL = "http://busi.test/api/busi";
    private static final String TRANSFER = "{\"amount\":30}";
    private static final int START = WorkflowBank.START_BALANCE;

    private final MutableClock clock = MutableClock.startingAtEpochOf2026();
    private final List<BranchCall> resumeCalls = new ArrayList<>();
    private final WorkflowBank bank = new WorkflowBank();
    private final Coordinator coordinator = Coordinator.builder().store(new InMemoryTransactionStore())
            .invoker(this::resumeEndpoint).clock(clock).executor(new DirectExecutorService()).build();
    private final DtmClient client = DtmClient.builder().coordinator(coordinator).workflowResumeUrl(RESUME_URL)
            .build();
    private final Workflows workflows = client.workflows();
    /** DTM's Go SDK default: a branch whose action failed for good is not compensated. */
    private static final WorkflowOptions DTM_DEFAULT = WorkflowOptions.DEFAULT.withCompensateErrorBranch(false);
    private String gid;

    @BeforeEach
    void gid(TestInfo info) {
        gid = info.getTestMethod().orElseThrow().getName();
    }

    @AfterEach
    void close() {
        client.close();
        coordinator.close();
        bank.close();
    }

    /** The service's resume endpoint, as the coordinator reaches it: 200, 409, 425 or 500 by what resume does. */
    private BranchOutcome resumeEndpoint(BranchCall call) {
        resumeCalls.add(call);
        if (!call.url().equals(RESUME_URL)) {
            return BranchOutcome.of(BranchResult.ERROR, "no such endpoint " + call.url());
        }
        Map<String, String> query = Map.of("gid", call.gid(), "trans_type", call.transType().wireName(),
                "branch_id", call.branchId(), "op", call.op());
        try {
            workflows.resume(query, call.body());
            return BranchOutcome.success();
        } catch (DtmFailureException e) {
            return BranchOutcome.of(BranchResult.FAILURE, e.getMessage());
        } catch (DtmOngoingException e) {
            return BranchOutcome.of(BranchResult.ONGOING, e.getMessage());
        } catch (RuntimeException e) {
            return BranchOutcome.of(BranchResult.ERROR, e.getMessage());
        }
    }

    /** DTM's wfSaga: TransOut then TransIn, each compensated by its Revert; returns both answers. */
    private final WorkflowHandler saga = (wf, input) -> {
        byte[] out = wf.branch().onRollback(ctx -> ctx.call(bank.url("TransOutRevert"), input))
                .call(bank.url("TransOut"), input);
        byte[] in = wf.branch().onRollback(ctx -> ctx.call(bank.url("TransInRevert"), input))
                .call(bank.url("TransIn"), input);
        return (text(out) + "|" + text(in)).getBytes(StandardCharsets.UTF_8);
    };

    /** TCC style: each branch tries, then confirms on commit or cancels on rollback. */
    private final WorkflowHandler tcc = (wf, input) -> {
        wf.branch().onCommit(ctx -> ctx.call(bank.url("TransOutConfirm"), input))
                .onRollback(ctx -> ctx.call(bank.url("TransOutCancel"), input))
                .call(bank.url("TransOutTry"), input);
        wf.branch().onCommit(ctx -> ctx.call(bank.url("TransInConfirm"), input))
                .onRollback(ctx -> ctx.call(bank.url("TransInCancel"), input))
                .call(bank.url("TransInTry"), input);
        return null;
    };

    private byte[] execute(String name) {
        return workflows.execute(name, gid, TRANSFER.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private GlobalTransaction global() {
        return coordinator.query(gid).orElseThrow().global();
    }

    /** The recorded progress as {@code <branch>-<op>:<status>}, in row order. */
    private List<String> progress() {
        return coordinator.query(gid).orElseThrow().branches().stream()
                .map(b -> b.branchId() + "-" + b.op().wireName() + ":" + b.status().wireName()).toList();
    }

    /** Moves past the retry time and runs one recovery step, which calls the resume endpoint. */
    private void recover() {
        clock.advance(Coordinator.DEFAULT_RETRY_INTERVAL.plusSeconds(1));
        coordinator.recoverOnce();
    }

    // ---- workflow_http_test.go ----

    @Test
    void workflowNormal() {
        workflows.register("wf_saga", saga);

        byte[] result = execute("wf_saga");

        assertThat(text(result)).isEqualTo("{\"balance\":" + (START - 30) + "}|{\"balance\":" + (START + 30) + "}");
        assertThat(global().status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(global().result()).isEqualTo(Base64.getEncoder().encodeToString(result));
        assertThat(global().queryPrepared()).isEqualTo(RESUME_URL);
        assertThat(progress()).containsExactly("01-action:succeed", "02-action:succeed");
        assertThat(bank.endpoints()).containsExactly("TransOut", "TransIn");
        assertThat(bank.balance(1)).isEqualTo(START - 30);
        assertThat(bank.balance(2)).isEqualTo(START + 30);
        WorkflowBank.Call in = bank.calls().get(1);
        assertThat(in.query()).containsExactlyInAnyOrderEntriesOf(Map.of("gid", gid, "trans_type", "workflow",
                "branch_id", "02", "op", "action"));
        assertThat(in.body()).isEqualTo(TRANSFER);
        Branch row = coordinator.query(gid).orElseThrow().branches().get(1);
        assertThat(text(row.binData())).isEqualTo("{\"balance\":" + (START + 30) + "}");
    }

    @Test
    void workflowRollbackRunsCompensationsNewestFirstAndRestoresBalances() {
        workflows.register("wf_saga3", (wf, input) -> {
            wf.branch().onRollback(ctx -> ctx.call(bank.url("TransOutRevert"), input))
                    .call(bank.url("TransOut"), input);
            wf.branch().onRollback(ctx -> ctx.call(bank.url("TransInRevert"), input)).call(bank.url("TransIn"), input);
            wf.branch().onRollback(ctx -> ctx.call(bank.url("FeeRevert"), input)).call(bank.url("Fee"), input);
            return null;
        }, DTM_DEFAULT);
        bank.once("Fee", "FAILURE");

        assertThatThrownBy(() -> execute("wf_saga3"))
                .isInstanceOf(DtmFailureException.class)
                .hasMessageContaining("gid=" + gid + " branch=03 op=action")
                .hasMessageContaining("insufficient balance");

        assertThat(global().status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(global().rollbackReason()).contains("insufficient balance");
        // DTM's default (CompensateErrorBranch = false): the failed action is not compensated; the others newest first
        assertThat(bank.endpoints()).containsExactly("TransOut", "TransIn", "Fee", "TransInRevert", "TransOutRevert");
        assertThat(bank.calls().get(3).op()).isEqualTo("rollback");
        assertThat(bank.calls().get(3).branchId()).isEqualTo("02");
        assertThat(bank.balance(1)).isEqualTo(START);
        assertThat(bank.balance(2)).isEqualTo(START);
        assertThat(progress()).containsExactly("01-action:succeed", "02-action:succeed", "03-action:failed",
                "02-rollback:succeed", "01-rollback:succeed");
    }

    @Test
    void byDefaultTheFailedBranchIsCompensatedToo() {
        workflows.register("wf_saga", saga);
        bank.once("TransIn", "FAILURE");

        assertThatThrownBy(() -> execute("wf_saga")).isInstanceOf(DtmFailureException.class);

        assertThat(bank.endpoints()).containsExactly("TransOut", "TransIn", "TransInRevert", "TransOutRevert");
        assertThat(global().status()).isEqualTo(GlobalStatus.FAILED);
    }

    @Test
    void workflowTcc() {
        workflows.register("wf_tcc", tcc);

        execute("wf_tcc");

        assertThat(global().status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(bank.endpoints()).containsExactly("TransOutTry", "TransInTry", "TransInConfirm", "TransOutConfirm");
        assertThat(bank.calls().get(2).op()).isEqualTo("commit");
        assertThat(progress()).containsExactly("01-action:succeed", "02-action:succeed", "02-commit:succeed",
                "01-commit:succeed");
    }

    @Test
    void workflowTccRollback() {
        workflows.register("wf_tcc", tcc, DTM_DEFAULT);
        bank.once("TransInTry", "FAILURE");

        assertThatThrownBy(() -> execute("wf_tcc")).isInstanceOf(DtmFailureException.class);

        assertThat(global().status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(bank.endpoints()).containsExactly("TransOutTry", "TransInTry", "TransOutCancel");
        assertThat(progress()).containsExactly("01-action:succeed", "02-action:failed", "01-rollback:succeed");
    }

    @Test
    void workflowErrorIsResumedByTheCoordinator() {
        workflows.register("wf_saga", saga);
        bank.once("TransIn", "ERROR");

        assertThatThrownBy(() -> execute("wf_saga"))
                .isInstanceOf(WorkflowException.class)
                .hasMessageContaining("branch=02 op=action")
                .hasMessageContaining("HTTP 500");
        assertThat(global().status()).isEqualTo(GlobalStatus.PREPARED);
        assertThat(progress()).containsExactly("01-action:succeed");

        recover();

        BranchCall resume = resumeCalls.get(0);
        assertThat(resume.branchId()).isEqualTo("00");
        assertThat(resume.op()).isEqualTo("wf_saga");
        assertThat(resume.transType()).isEqualTo(TransType.WORKFLOW);
        assertThat(text(resume.body())).isEqualTo(TRANSFER);
        assertThat(global().status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(bank.endpoints()).containsExactly("TransOut", "TransIn", "TransIn");
        assertThat(bank.balance(1)).isEqualTo(START - 30);
        assertThat(bank.balance(2)).isEqualTo(START + 30);
        assertThat(text(Base64.getDecoder().decode(global().result())))
                .isEqualTo("{\"balance\":" + (START - 30) + "}|{\"balance\":" + (START + 30) + "}");
    }

    @Test
    void workflowOngoingIsResumedByTheCoordinator() {
        workflows.register("wf_saga", saga);
        bank.once("TransOut", "ONGOING");

        assertThatThrownBy(() -> execute("wf_saga"))
                .isInstanceOf(DtmOngoingException.class)
                .hasMessageContaining("branch=01 op=action");
        assertThat(global().status()).isEqualTo(GlobalStatus.PREPARED);
        assertThat(progress()).isEmpty();

        recover();

        assertThat(global().status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(bank.endpoints()).containsExactly("TransOut", "TransOut", "TransIn");
    }

    @Test
    void resumeSkipsRecordedSteps() {
        AtomicInteger localRuns = new AtomicInteger();
        workflows.register("wf_local", (wf, input) -> {
            byte[] local = wf.branch().doLocal(ctx -> {
                localRuns.incrementAndGet();
                return ("local-" + ctx.branchId()).getBytes(StandardCharsets.UTF_8);
            });
            wf.branch().call(bank.url("TransIn"), input);
            return local;
        });
        bank.once("TransIn", "ERROR");

        assertThatThrownBy(() -> execute("wf_local")).isInstanceOf(WorkflowException.class);
        recover();

        assertThat(localRuns).hasValue(1);
        assertThat(global().status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(text(Base64.getDecoder().decode(global().result()))).isEqualTo("local-01");
        assertThat(progress()).containsExactly("01-action:succeed", "02-action:succeed");
    }

    @Test
    void resumeRunsOnlyTheCallbacksThatDidNotFinish() {
        workflows.register("wf_tcc", tcc);
        bank.once("TransOutConfirm", "ERROR");

        assertThatThrownBy(() -> execute("wf_tcc"))
                .isInstanceOf(WorkflowException.class)
                .hasMessageContaining("branch=01 op=commit");
        assertThat(global().status()).isEqualTo(GlobalStatus.PREPARED);
        assertThat(progress()).containsExactly("01-action:succeed", "02-action:succeed", "02-commit:succeed");

        recover();

        assertThat(global().status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(bank.endpoints()).containsExactly("TransOutTry", "TransInTry", "TransInConfirm", "TransOutConfirm",
                "TransOutConfirm");
    }

    @Test
    void resumeOfARecordedFailureRollsBackWithoutCallingTheStepAgain() {
        workflows.register("wf_saga", saga, DTM_DEFAULT);
        bank.once("TransIn", "FAILURE").once("TransOutRevert", "ERROR");

        assertThatThrownBy(() -> execute("wf_saga")).isInstanceOf(WorkflowException.class);
        assertThat(global().status()).isEqualTo(GlobalStatus.PREPARED);

        recover();

        assertThat(global().status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(global().rollbackReason()).contains("branch=02 op=action: FAILURE").contains("insufficient balance");
        assertThat(bank.endpoints()).containsExactly("TransOut", "TransIn", "TransOutRevert", "TransOutRevert");
        assertThat(bank.balance(1)).isEqualTo(START);
    }

    // ---- workflow_http_ret_test.go ----

    @Test
    void secondExecuteReturnsTheStoredResultWithoutRunning() {
        AtomicInteger runs = new AtomicInteger();
        workflows.register("wf_ret", (wf, input) -> {
            runs.incrementAndGet();
            return wf.branch().call(bank.url("TransIn"), input);
        });

        byte[] first = execute("wf_ret");
        byte[] second = execute("wf_ret");

        assertThat(second).isEqualTo(first);
        assertThat(text(second)).isEqualTo("{\"balance\":" + (START + 30) + "}");
        assertThat(runs).hasValue(1);
        assertThat(bank.count("TransIn")).isEqualTo(1);
    }

    @Test
    void executeOfAFailedWorkflowThrowsItsReasonWithoutRunning() {
        AtomicInteger runs = new AtomicInteger();
        workflows.register("wf_fail", (wf, input) -> {
            runs.incrementAndGet();
            throw new DtmFailureException("Insufficient balance");
        });

        assertThatThrownBy(() -> execute("wf_fail")).isInstanceOf(DtmFailureException.class)
                .hasMessage("Insufficient balance");
        assertThat(global().rollbackReason()).isEqualTo("Insufficient balance");
        assertThatThrownBy(() -> execute("wf_fail")).isInstanceOf(DtmFailureException.class)
                .hasMessageContaining("gid=" + gid)
                .hasMessageContaining("Insufficient balance");
        assertThat(runs).hasValue(1);
    }

    @Test
    void workflowWithEmptyInputAndNoResult() {
        workflows.register("wf_empty", (wf, input) -> {
            assertThat(input).isEmpty();
            return null;
        });

        assertThat(workflows.execute("wf_empty", gid, null)).isEmpty();
        assertThat(global().status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(global().customData()).isEqualTo("{\"data\":\"\",\"name\":\"wf_empty\"}");
    }

    // ---- workflow_base_test.go and misuse ----

    @Test
    void recordingAStepAnotherRunRecordedIsAConflictAndTheRunStops() {
        AtomicInteger localRuns = new AtomicInteger();
        workflows.register("wf_race", (wf, input) -> {
            byte[] local = wf.branch().doLocal(ctx -> {
                localRuns.incrementAndGet();
                // another run of the same gid records this step first
                coordinator.registerBranch(new BranchRegistration(gid, TransType.WORKFLOW, ctx.branchId(),
                        "other".getBytes(StandardCharsets.UTF_8), Map.of("op", "action", "status", "succeed")));
                return "mine".getBytes(StandardCharsets.UTF_8);
            });
            return local;
        });

        assertThatThrownBy(() -> execute("wf_race"))
                .isInstanceOf(WorkflowException.class)
                .hasMessageContaining("branch=01 op=action")
                .hasMessageContaining("refused to record")
                .hasCauseInstanceOf(DtmFailureException.class);
        assertThat(global().status()).isEqualTo(GlobalStatus.PREPARED);

        recover();

        assertThat(localRuns).hasValue(1);
        assertThat(global().status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(text(Base64.getDecoder().decode(global().result()))).isEqualTo("other");
    }

    @Test
    void registeringTheSameBranchOpTwiceThroughTheClientIsAFailure() {
        workflows.register("wf_prepared", (wf, input) -> {
            throw new DtmOngoingException("stay prepared");
        });
        assertThatThrownBy(() -> execute("wf_prepared")).isInstanceOf(DtmOngoingException.class);
        BranchRegistration r = new BranchRegistration(gid, TransType.WORKFLOW, "01", new byte[0],
                Map.of("op", BranchOp.ACTION.wireName(), "status", "succeed"));
        coordinator.registerBranch(r);

        assertThatThrownBy(() -> new EmbeddedTransport(coordinator).registerBranch(r))
                .isInstanceOf(DtmFailureException.class);
    }

    @Test
    void registrationRules() {
        workflows.register("wf_saga", saga);

        assertThatThrownBy(() -> workflows.register("wf_saga", saga)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("wf_saga");
        assertThatThrownBy(() -> workflows.register(" ", saga)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> execute("unknown")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not registered");
        try (DtmClient noResume = DtmClient.embedded(coordinator)) {
            noResume.workflows().register("wf_saga", saga);
            assertThatThrownBy(() -> noResume.workflows().execute("wf_saga", gid, new byte[0]))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("workflowResumeUrl");
        }
        assertThat(coordinator.query(gid)).isEmpty();
    }

    @Test
    void aBranchHasOneActionAndTheRunStaysPrepared() {
        workflows.register("wf_two_actions", (wf, input) -> {
            var b = wf.branch();
            b.call(bank.url("TransIn"), input);
            b.call(bank.url("TransIn"), input);
            return null;
        });

        assertThatThrownBy(() -> execute("wf_two_actions")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("at most one action");
        assertThat(global().status()).isEqualTo(GlobalStatus.PREPARED);
    }

    @Test
    void callbacksCannotStartBranches() {
        workflows.register("wf_nested", (wf, input) -> {
            wf.branch().onCommit(ctx -> wf.branch()).call(bank.url("TransIn"), input);
            return null;
        });

        assertThatThrownBy(() -> execute("wf_nested")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("commit or rollback callback");
        assertThat(global().status()).isEqualTo(GlobalStatus.PREPARED);
    }

    @Test
    void resumeNeedsGidAndName() {
        workflows.register("wf_saga", saga);

        assertThatThrownBy(() -> workflows.resume(Map.of("gid", gid), new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> workflows.resume(Map.of("gid", gid, "op", "wf_saga", "trans_type", "saga"),
                new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aCustomResultMapperDecidesWhatFails() {
        workflows.register("wf_saga", saga, DTM_DEFAULT.withHttpResultMapper((status, body) ->
                new String(body, StandardCharsets.UTF_8).contains(String.valueOf(START + 30))
                        ? BranchResult.FAILURE : BranchResult.SUCCESS));

        assertThatThrownBy(() -> execute("wf_saga")).isInstanceOf(DtmFailureException.class);

        assertThat(global().status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(bank.endpoints()).containsExactly("TransOut", "TransIn", "TransOutRevert");
    }

    @Test
    void recoveryLeavesAFinishedWorkflowAlone() {
        workflows.register("wf_saga", saga);
        execute("wf_saga");

        recover();

        assertThat(resumeCalls).isEmpty();
        assertThat(bank.endpoints()).containsExactly("TransOut", "TransIn");
    }

    @Test
    void onFinishRunsOneCallbackForCommitAndRollback() {
        List<String> finished = new ArrayList<>();
        workflows.register("wf_finish", (wf, input) -> {
            wf.branch().onFinish(ctx -> finished.add(ctx.branchId() + "-" + ctx.op().wireName()))
                    .call(bank.url("TransOut"), input);
            wf.branch().onFinish(ctx -> finished.add(ctx.branchId() + "-" + ctx.op().wireName()))
                    .call(bank.url("TransIn"), input);
            return null;
        });

        execute("wf_finish");

        assertThat(finished).containsExactly("02-commit", "01-commit");
    }

    // ---- in-process resume: LocalWorkflowInvoker ----

    /**
     * An embedded coordinator whose invoker serves workflow resume calls in-process and passes any other call to a
     * recording fake that answers ERROR: no HTTP anywhere.
     */
    private final class InProcess implements AutoCloseable {
        final List<BranchCall> passedOn = new ArrayList<>();
        final LocalWorkflowInvoker invoker = LocalWorkflowInvoker.wrapping(call -> {
            passedOn.add(call);
            return BranchOutcome.of(BranchResult.ERROR, "no HTTP in this test");
        });
        final Coordinator coordinator = Coordinator.builder().store(new InMemoryTransactionStore()).invoker(invoker)
                .clock(clock).executor(new DirectExecutorService()).build();
        final DtmClient client;

        InProcess(String resumeUrl) {
            client = DtmClient.builder().coordinator(coordinator).workflowResumeUrl(resumeUrl).build();
        }

        GlobalTransaction global() {
            return coordinator.query(gid).orElseThrow().global();
        }

        void recover() {
            clock.advance(Coordinator.DEFAULT_RETRY_INTERVAL.plusSeconds(1));
            coordinator.recoverOnce();
        }

        @Override
        public void close() {
            client.close();
            coordinator.close();
        }
    }

    /** Two local steps; the second ends in an error on its first run. Counts the runs of each step. */
    private static WorkflowHandler erroringOnce(AtomicInteger firstRuns, AtomicInteger secondRuns) {
        return (wf, input) -> {
            byte[] first = wf.branch().doLocal(ctx -> {
                firstRuns.incrementAndGet();
                return "first".getBytes(StandardCharsets.UTF_8);
            });
            wf.branch().doLocal(ctx -> {
                if (secondRuns.incrementAndGet() == 1) {
                    throw new IllegalStateException("database down");
                }
                return null;
            });
            return first;
        };
    }

    @Test
    void inProcessResumeFinishesAnErroredWorkflowWithoutHttp() {
        AtomicInteger firstRuns = new AtomicInteger();
        AtomicInteger secondRuns = new AtomicInteger();
        try (InProcess p = new InProcess(LocalWorkflowInvoker.LOCAL_RESUME_URL)) {
            p.client.workflows().register("wf_local", erroringOnce(firstRuns, secondRuns));
            p.invoker.serve(p.client.workflows());

            assertThatThrownBy(() -> p.client.workflows().execute("wf_local", gid, TRANSFER.getBytes()))
                    .isInstanceOf(IllegalStateException.class).hasMessage("database down");
            assertThat(p.global().status()).isEqualTo(GlobalStatus.PREPARED);
            assertThat(p.global().queryPrepared()).isEqualTo("local://workflows");

            p.recover();

            assertThat(p.global().status()).isEqualTo(GlobalStatus.SUCCEED);
            assertThat(text(Base64.getDecoder().decode(p.global().result()))).isEqualTo("first");
            assertThat(firstRuns).as("a recorded step is not run again").hasValue(1);
            assertThat(secondRuns).hasValue(2);
            assertThat(p.passedOn).isEmpty();
        }
    }

    @Test
    void inProcessResumeServesTheClientsOwnResumeUrlAndPassesOtherCallsOn() {
        AtomicInteger firstRuns = new AtomicInteger();
        AtomicInteger secondRuns = new AtomicInteger();
        try (InProcess p = new InProcess(RESUME_URL)) {
            p.client.workflows().register("wf_local", erroringOnce(firstRuns, secondRuns));
            p.invoker.serve(p.client.workflows());
            assertThatThrownBy(() -> p.client.workflows().execute("wf_local", gid, new byte[0]))
                    .isInstanceOf(IllegalStateException.class);
            p.client.saga(gid + "_saga").add(BUSI_URL + "/TransOut", BUSI_URL + "/TransOutRevert", TRANSFER).submit();

            p.recover();

            assertThat(p.global().status()).isEqualTo(GlobalStatus.SUCCEED);
            assertThat(firstRuns).hasValue(1);
            assertThat(p.passedOn).isNotEmpty().allSatisfy(call -> {
                assertThat(call.gid()).isEqualTo(gid + "_saga");
                assertThat(call.url()).startsWith(BUSI_URL);
            });
        }
    }

    @Test
    void aLocalResumeBeforeServeIsAnErrorAndTheNextRecoveryResumes() {
        AtomicInteger firstRuns = new AtomicInteger();
        AtomicInteger secondRuns = new AtomicInteger();
        try (InProcess p = new InProcess(LocalWorkflowInvoker.LOCAL_RESUME_URL)) {
            p.client.workflows().register("wf_local", erroringOnce(firstRuns, secondRuns));
            assertThatThrownBy(() -> p.client.workflows().execute("wf_local", gid, new byte[0]))
                    .isInstanceOf(IllegalStateException.class);

            p.recover();
            assertThat(p.global().status()).isEqualTo(GlobalStatus.PREPARED);
            assertThat(secondRuns).hasValue(1);

            p.invoker.serve(p.client.workflows()).serve(p.client.workflows());
            assertThatThrownBy(() -> p.invoker.serve(workflows)).isInstanceOf(IllegalStateException.class);
            p.recover();

            assertThat(p.global().status()).isEqualTo(GlobalStatus.SUCCEED);
            assertThat(firstRuns).hasValue(1);
            assertThat(p.passedOn).isEmpty();
        }
    }

    @Test
    void aLocalResumeUrlNeedsAnEmbeddedCoordinator() {
        assertThatThrownBy(() -> DtmClient.builder().serverUrl("http://dtm.test:36789")
                .workflowResumeUrl(LocalWorkflowInvoker.LOCAL_RESUME_URL).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("local:");
        assertThatThrownBy(() -> DtmClient.builder().workflowResumeUrl("ftp://me.test/resume"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DtmClient.builder().workflowResumeUrl("local:"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
