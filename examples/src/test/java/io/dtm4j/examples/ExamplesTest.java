package io.dtm4j.examples;

import io.dtm4j.client.DtmClient;
import io.dtm4j.client.OkHttpBranchInvoker;
import io.dtm4j.client.workflow.Workflow;
import io.dtm4j.client.workflow.WorkflowBranch;
import io.dtm4j.client.workflow.WorkflowHandler;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.MutableClock;
import io.dtm4j.store.jdbc.JdbcTransactionStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Runs the embedded examples end to end: real HTTP to the bank, a real store, no DTM server. */
class ExamplesTest {

    @Test
    void embeddedSagaMovesThirtyFromUserOneToUserTwo(@TempDir Path dir) throws IOException {
        TransferResult r = EmbeddedSagaExample.run(dir);

        assertThat(r.status()).isEqualTo("succeed");
        assertThat(r.before()).containsEntry(1, 10_000L).containsEntry(2, 10_000L);
        assertThat(r.after()).containsEntry(1, 9_970L).containsEntry(2, 10_030L);
        assertThat(r.moved(30)).isTrue();
        try (JdbcTransactionStore reopened = JdbcTransactionStore.sqlite(dir)) {
            assertThat(reopened.findGlobal(r.gid())).get().extracting(g -> g.status().wireName())
                    .isEqualTo("succeed");
        }
    }

    @Test
    void embeddedMsgMovesThirtyFromUserOneToUserTwo(@TempDir Path dir) throws IOException {
        TransferResult r = EmbeddedMsgExample.run(dir);

        assertThat(r.status()).isEqualTo("succeed");
        assertThat(r.before()).containsEntry(1, 10_000L).containsEntry(2, 10_000L);
        assertThat(r.after()).containsEntry(1, 9_970L).containsEntry(2, 10_030L);
    }

    @Test
    void embeddedTccMovesThirtyFromUserOneToUserTwo(@TempDir Path dir) throws IOException {
        TransferResult r;
        try (BankService bank = BankService.start()) {
            r = EmbeddedTccExample.run(bank, dir, false);

            assertThat(bank.frozen(1)).isZero();
            assertThat(bank.incoming(2)).isZero();
        }

        assertThat(r.status()).isEqualTo("succeed");
        assertThat(r.before()).containsEntry(1, 10_000L).containsEntry(2, 10_000L);
        assertThat(r.after()).containsEntry(1, 9_970L).containsEntry(2, 10_030L);
        assertThat(progress(dir, r.gid()))
                .containsExactly("01-cancel:prepared", "01-confirm:succeed", "02-cancel:prepared",
                        "02-confirm:succeed");
    }

    @Test
    void embeddedTccWithAFailingTransInTryRollsBackAndReleasesTheReservation(@TempDir Path dir) throws IOException {
        TransferResult r;
        try (BankService bank = BankService.start()) {
            r = EmbeddedTccExample.run(bank, dir, true);

            // TransOutTry had frozen 30 of user 1; its cancel released them
            assertThat(bank.frozen(1)).isZero();
            assertThat(bank.incoming(2)).isZero();
        }

        assertThat(r.status()).isEqualTo("failed");
        assertThat(r.after()).isEqualTo(r.before()).isEqualTo(initial());
        assertThat(r.moved(30)).isFalse();
        assertThat(progress(dir, r.gid()))
                .containsExactly("01-cancel:succeed", "01-confirm:prepared", "02-cancel:succeed",
                        "02-confirm:prepared");
    }

    @Test
    void embeddedWorkflowMovesThirtyFromUserOneToUserTwo(@TempDir Path dir) throws IOException {
        TransferResult r = EmbeddedWorkflowExample.run(dir);

        assertThat(r.status()).isEqualTo("succeed");
        assertThat(r.before()).containsEntry(1, 10_000L).containsEntry(2, 10_000L);
        assertThat(r.after()).containsEntry(1, 9_970L).containsEntry(2, 10_030L);
        assertThat(progress(dir, r.gid())).containsExactly("01-action:succeed", "02-action:succeed");
    }

    @Test
    void workflowThatCrashedAfterTransOutIsResumedThroughTheBanksEndpoint(@TempDir Path dir, TestInfo test)
            throws IOException {
        String gid = test.getTestMethod().orElseThrow().getName();
        MutableClock clock = MutableClock.startingAtEpochOf2026();
        try (BankService bank = BankService.start();
             JdbcTransactionStore store = JdbcTransactionStore.sqlite(dir);
             OkHttpBranchInvoker invoker = OkHttpBranchInvoker.builder().build();
             Coordinator coordinator = Coordinator.builder().store(store).invoker(invoker).clock(clock)
                     .executor(new DirectExecutorService()).build();
             DtmClient crashed = workflowClient(coordinator, bank);
             DtmClient restarted = workflowClient(coordinator, bank)) {
            byte[] input = EmbeddedWorkflowExample.input(TransferRequest.of(30));
            crashed.workflows().register(EmbeddedWorkflowExample.WORKFLOW,
                    dyingAtSecondStep(EmbeddedWorkflowExample.transfer(bank)));
            assertThatThrownBy(() -> crashed.workflows().execute(EmbeddedWorkflowExample.WORKFLOW, gid, input))
                    .hasMessageContaining("died");
            assertThat(bank.balances()).isEqualTo(Map.of(1, 9_970L, 2, 10_000L));
            restarted.workflows().register(EmbeddedWorkflowExample.WORKFLOW, EmbeddedWorkflowExample.transfer(bank));
            bank.serveWorkflowResume(restarted.workflows());

            clock.advance(Coordinator.DEFAULT_RETRY_INTERVAL.plusSeconds(1));
            coordinator.recoverOnce();

            assertThat(store.findGlobal(gid)).get().extracting(g -> g.status().wireName()).isEqualTo("succeed");
            // TransOut was recorded before the crash, so the resumed run skipped it: 30 moved, once
            assertThat(bank.balances()).isEqualTo(Map.of(1, 9_970L, 2, 10_030L));
        }
        assertThat(progress(dir, gid)).containsExactly("01-action:succeed", "02-action:succeed");
    }

    @Test
    void reportPrintsBalancesAndExitsZeroOnlyWhenTheMoneyMoved(@TempDir Path dir) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);

        int ok = Examples.runAndReport("EmbeddedSagaExample", "test", () -> EmbeddedSagaExample.run(dir), print,
                print);
        int notMoved = Examples.runAndReport("Nothing", "test", () -> new TransferResult("g", "failed",
                initial(), initial()), print, print);
        int threw = Examples.runAndReport("Broken", "test", () -> {
            throw new IOException("no server");
        }, print, print);

        assertThat(ok).isZero();
        assertThat(notMoved).isEqualTo(1);
        assertThat(threw).isEqualTo(2);
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("before: user 1 = 10000, user 2 = 10000")
                .contains("after:  user 1 = 9970, user 2 = 10030")
                .contains("EmbeddedSagaExample: OK")
                .contains("Broken: FAILED: java.io.IOException: no server");
    }

    @Test
    void remoteExampleWithoutServerFailsWithExitCodeTwo() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(err, true, StandardCharsets.UTF_8);

        int code = Examples.runAndReport("RemoteSagaExample", "test",
                () -> RemoteSagaExample.run("127.0.0.1:1", "127.0.0.1"), print, print);

        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("is the DTM server running");
    }

    /** A client whose workflows the coordinator resumes at the bank's resume endpoint. */
    private static DtmClient workflowClient(Coordinator coordinator, BankService bank) {
        return DtmClient.builder().coordinator(coordinator).workflowResumeUrl(bank.url(BankService.WORKFLOW_RESUME))
                .build();
    }

    /** Runs {@code handler} but throws, as a process dying would stop it, when it starts its second step. */
    private static WorkflowHandler dyingAtSecondStep(WorkflowHandler handler) {
        return (wf, input) -> handler.run(new Workflow() {
            private int branches;

            @Override
            public String name() {
                return wf.name();
            }

            @Override
            public String gid() {
                return wf.gid();
            }

            @Override
            public WorkflowBranch branch() {
                if (++branches == 2) {
                    throw new IllegalStateException("the process died before the second step");
                }
                return wf.branch();
            }
        }, input);
    }

    /** The stored branches of {@code gid} as {@code <branch id>-<op>:<status>}, in row order. */
    private static List<String> progress(Path dir, String gid) {
        try (JdbcTransactionStore reopened = JdbcTransactionStore.sqlite(dir)) {
            return reopened.findBranches(gid).stream()
                    .map(b -> b.branchId() + "-" + b.op().wireName() + ":" + b.status().wireName()).toList();
        }
    }

    /** Balances as the bank starts. */
    private static Map<Integer, Long> initial() {
        return Map.of(1, BankService.INITIAL_BALANCE, 2, BankService.INITIAL_BALANCE);
    }
}
