package io.dtm4j.core.testing;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.BranchUpdate;
import io.dtm4j.core.DuplicateBranchException;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.ListQuery;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionPage;
import io.dtm4j.core.TransactionUpdate;
import io.dtm4j.core.spi.CronReset;
import io.dtm4j.core.spi.StatusCounts;
import io.dtm4j.core.spi.TransactionStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The contract of {@link TransactionStore}: every store extends this class and implements {@link #newStore()}.
 * Each test gets a fresh, empty store and closes it afterwards; the gid of every transaction a test writes is
 * the test's method name (plus a suffix when it writes several), as in DTM's own suite, so a row left in a
 * shared database points at its test.
 *
 * <p>Precision rules the suite grants to stores:
 * <ul>
 *   <li>Instants are compared at <b>millisecond</b> precision: a store may truncate (toward the past) every
 *       stored time to whole milliseconds, as the SQLite store does with epoch-millisecond columns. Inputs
 *       that decide an ordering or a boundary are whole milliseconds, so truncation never changes a result.</li>
 *   <li>Durations ({@code next_cron_interval} and the {@link TransOptions} durations) are written in whole
 *       seconds, DTM's unit; a store must keep at least that.</li>
 *   <li>The store id is not compared: it is store-specific (0 where the store has none).</li>
 * </ul>
 *
 * <p>Beyond the interface Javadoc this suite pins down: an update naming an unknown branch row throws
 * {@link InvalidRequestException} and changes nothing; an append whose batch repeats a (branchId, op) of
 * itself throws {@link DuplicateBranchException}; {@code list} pages end with an empty position and visit each
 * transaction once; {@code purgeFinished} uses {@code finish_time} or {@code rollback_time}, strictly before
 * the cutoff. Not thread-safe: JUnit runs one test per instance.
 */
public abstract class TransactionStoreContract {

    /** Start of every test's timeline: a whole second, so boundaries survive millisecond truncation. */
    protected static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");
    /** The retry interval written on test transactions. */
    protected static final Duration INTERVAL = Duration.ofSeconds(10);
    /** The recovery lease used by claims. */
    protected static final Duration LEASE = Duration.ofSeconds(10);

    private static final int RACE_THREADS = 16;
    private static final int RACE_ROUNDS = 5;
    private static final long RACE_TIMEOUT_SECONDS = 30;

    /** The store under test: fresh and empty for each test. */
    protected TransactionStore store;
    private String testName;

    /** Returns a new, empty store; the suite closes it after the test. */
    protected abstract TransactionStore newStore();

    /**
     * Whether the store counts transactions by status ({@link TransactionStore#countByStatus()} is present);
     * default true. A store that answers empty overrides this with false.
     */
    protected boolean countsByStatus() {
        return true;
    }

    @BeforeEach
    void openStore(TestInfo info) {
        testName = info.getTestMethod().orElseThrow().getName();
        store = newStore();
    }

    @AfterEach
    void closeStore() {
        if (store != null) { // null when the store's service is absent and the test was skipped
            store.close();
        }
    }

    // ---------------------------------------------------------------- insert and find

    @Test
    void insertThenFindReturnsEveryColumn() {
        GlobalTransaction g = new GlobalTransaction(0, gid(), TransType.MSG, GlobalStatus.PREPARED,
                "http://busi/query", "grpc", T0, T0.plusSeconds(1), Optional.empty(), Optional.empty(),
                fullOptions(), "{\"delay\":10}", Duration.ofSeconds(30), T0.plusSeconds(30), "node-a", "ext",
                "cmVzdWx0", "because");
        List<Branch> branches = List.of(branch(gid(), "01", BranchOp.ACTION, "http://busi/a", new byte[] {1, 2}),
                branch(gid(), "02", BranchOp.ACTION, "", new byte[0]));

        assertThat(store.insert(g, branches)).isTrue();

        assertSameGlobal(store.findGlobal(gid()).orElseThrow(), g);
        assertSameBranches(store.findBranches(gid()), branches);
        assertThat(store.statusOf(gid())).contains(GlobalStatus.PREPARED);
        assertThat(store.isFinal(gid())).isFalse();
    }

    @Test
    void insertOfAnExistingGidReturnsFalseAndWritesNothing() {
        GlobalTransaction first = saga(gid(), GlobalStatus.SUBMITTED);
        List<Branch> rows = sagaRows(gid(), 1);
        assertThat(store.insert(first, rows)).isTrue();

        GlobalTransaction second = new GlobalTransaction(0, gid(), TransType.TCC, GlobalStatus.PREPARED, "",
                "http", T0.plusSeconds(5), T0.plusSeconds(5), Optional.empty(), Optional.empty(), null, "", INTERVAL,
                T0.plusSeconds(99), "", "", "", "");
        assertThat(store.insert(second, List.of(branch(gid(), "09", BranchOp.CONFIRM, "http://x", new byte[0]))))
                .isFalse();

        assertSameGlobal(store.findGlobal(gid()).orElseThrow(), first);
        assertSameBranches(store.findBranches(gid()), rows);
    }

    @Test
    void findOfAnUnknownGidIsEmpty() {
        assertThat(store.findGlobal(gid())).isEmpty();
        assertThat(store.findBranches(gid())).isEmpty();
        assertThat(store.statusOf(gid())).isEmpty();
        assertThat(store.isFinal(gid())).isFalse();
    }

    @Test
    void insertWithoutBranchesStoresNoBranchRows() {
        assertThat(store.insert(tcc(gid(), GlobalStatus.PREPARED), List.of())).isTrue();

        assertThat(store.findGlobal(gid())).isPresent();
        assertThat(store.findBranches(gid())).isEmpty();
    }

    @Test
    void branchesComeBackInInsertionOrderNotInKeyOrder() {
        // DTM's saga layout is [c01, a01, c02, a02]: compensate before action, so not sorted by op or id text.
        List<Branch> rows = sagaRows(gid(), 3);
        store.insert(saga(gid(), GlobalStatus.SUBMITTED), rows);

        assertThat(keys(store.findBranches(gid())))
                .containsExactly("01/compensate", "01/action", "02/compensate", "02/action", "03/compensate",
                        "03/action");
    }

    @Test
    void branchesOfOneTransactionAreNotMixedWithAnother() {
        store.insert(saga(gid("a"), GlobalStatus.SUBMITTED), sagaRows(gid("a"), 1));
        store.insert(saga(gid("ab"), GlobalStatus.SUBMITTED), sagaRows(gid("ab"), 2));

        assertThat(store.findBranches(gid("a"))).hasSize(2).allMatch(b -> b.gid().equals(gid("a")));
        assertThat(store.findBranches(gid("ab"))).hasSize(4).allMatch(b -> b.gid().equals(gid("ab")));
    }

    // ---------------------------------------------------------------- update (compare-and-set)

    @Test
    void updateWithAWrongExpectedStatusReturnsFalseAndChangesNothing() {
        GlobalTransaction g = saga(gid(), GlobalStatus.SUBMITTED);
        List<Branch> rows = sagaRows(gid(), 1);
        store.insert(g, rows);

        TransactionUpdate u = TransactionUpdate.of(gid(), GlobalStatus.PREPARED, T0.plusSeconds(1))
                .status(GlobalStatus.FAILED).rollbackReason("no").result("r").cron(INTERVAL, T0.plusSeconds(50))
                .branches(List.of(new BranchUpdate("01", BranchOp.ACTION, BranchStatus.SUCCEED))).build();

        assertThat(store.update(u)).isFalse();
        assertSameGlobal(store.findGlobal(gid()).orElseThrow(), g);
        assertSameBranches(store.findBranches(gid()), rows);
    }

    @Test
    void updateOfAnUnknownGidReturnsFalse() {
        TransactionUpdate u = TransactionUpdate.of(gid(), GlobalStatus.SUBMITTED, T0)
                .status(GlobalStatus.SUCCEED).build();

        assertThat(store.update(u)).isFalse();
        assertThat(store.findGlobal(gid())).isEmpty();
    }

    @Test
    void updateToSucceedSetsStatusUpdateTimeAndFinishTime() {
        GlobalTransaction g = saga(gid(), GlobalStatus.SUBMITTED);
        store.insert(g, List.of());
        Instant now = T0.plusSeconds(3);
        TransactionUpdate u = TransactionUpdate.of(gid(), GlobalStatus.SUBMITTED, now)
                .status(GlobalStatus.SUCCEED).build();

        assertThat(store.update(u)).isTrue();

        GlobalTransaction stored = store.findGlobal(gid()).orElseThrow();
        assertSameGlobal(stored, g.apply(u));
        assertThat(stored.status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(ms(stored.updateTime())).isEqualTo(now);
        assertThat(stored.finishTime().map(TransactionStoreContract::ms)).contains(now);
        assertThat(stored.rollbackTime()).isEmpty();
        assertThat(store.isFinal(gid())).isTrue();
    }

    @Test
    void updateToFailedSetsRollbackTimeAndReason() {
        GlobalTransaction g = saga(gid(), GlobalStatus.ABORTING);
        store.insert(g, List.of());
        Instant now = T0.plusSeconds(4);
        TransactionUpdate u = TransactionUpdate.of(gid(), GlobalStatus.ABORTING, now)
                .status(GlobalStatus.FAILED).rollbackReason("Insufficient balance").build();

        assertThat(store.update(u)).isTrue();

        GlobalTransaction stored = store.findGlobal(gid()).orElseThrow();
        assertSameGlobal(stored, g.apply(u));
        assertThat(stored.rollbackTime().map(TransactionStoreContract::ms)).contains(now);
        assertThat(stored.finishTime()).isEmpty();
        assertThat(stored.rollbackReason()).isEqualTo("Insufficient balance");
    }

    @Test
    void updateToANonFinalStatusSetsNeitherFinishNorRollbackTime() {
        GlobalTransaction g = saga(gid(), GlobalStatus.SUBMITTED);
        store.insert(g, List.of());
        TransactionUpdate u = TransactionUpdate.of(gid(), GlobalStatus.SUBMITTED, T0.plusSeconds(1))
                .status(GlobalStatus.ABORTING).build();

        assertThat(store.update(u)).isTrue();

        GlobalTransaction stored = store.findGlobal(gid()).orElseThrow();
        assertSameGlobal(stored, g.apply(u));
        assertThat(stored.finishTime()).isEmpty();
        assertThat(stored.rollbackTime()).isEmpty();
    }

    @Test
    void updateAppliesReasonResultAndCronOnlyWhenPresent() {
        GlobalTransaction g = new GlobalTransaction(0, gid(), TransType.WORKFLOW, GlobalStatus.PREPARED, "", "http",
                T0, T0, Optional.empty(), Optional.empty(), null, "", INTERVAL, T0.plusSeconds(10), "", "",
                "old-result", "old-reason");
        store.insert(g, List.of());

        TransactionUpdate cronOnly = TransactionUpdate.of(gid(), GlobalStatus.PREPARED, T0.plusSeconds(1))
                .cron(Duration.ofSeconds(20), T0.plusSeconds(21)).build();
        assertThat(store.update(cronOnly)).isTrue();
        GlobalTransaction afterCron = store.findGlobal(gid()).orElseThrow();
        assertSameGlobal(afterCron, g.apply(cronOnly));
        assertThat(afterCron.status()).isEqualTo(GlobalStatus.PREPARED);
        assertThat(afterCron.result()).isEqualTo("old-result");
        assertThat(afterCron.rollbackReason()).isEqualTo("old-reason");
        assertThat(afterCron.nextCronInterval()).isEqualTo(Duration.ofSeconds(20));
        assertThat(ms(afterCron.nextCronTime())).isEqualTo(T0.plusSeconds(21));

        TransactionUpdate texts = TransactionUpdate.of(gid(), GlobalStatus.PREPARED, T0.plusSeconds(2))
                .result("new-result").rollbackReason("new-reason").build();
        assertThat(store.update(texts)).isTrue();
        GlobalTransaction afterTexts = store.findGlobal(gid()).orElseThrow();
        assertSameGlobal(afterTexts, g.apply(cronOnly).apply(texts));
        assertThat(afterTexts.nextCronInterval()).isEqualTo(Duration.ofSeconds(20));
        assertThat(ms(afterTexts.nextCronTime())).isEqualTo(T0.plusSeconds(21));
        assertThat(ms(afterTexts.updateTime())).isEqualTo(T0.plusSeconds(2));
    }

    @Test
    void updateCanSetAnEmptyReasonOrResult() {
        GlobalTransaction g = new GlobalTransaction(0, gid(), TransType.WORKFLOW, GlobalStatus.PREPARED, "", "http",
                T0, T0, Optional.empty(), Optional.empty(), null, "", INTERVAL, T0, "", "", "res", "why");
        store.insert(g, List.of());
        TransactionUpdate u = TransactionUpdate.of(gid(), GlobalStatus.PREPARED, T0.plusSeconds(1))
                .result("").rollbackReason("").build();

        assertThat(store.update(u)).isTrue();

        GlobalTransaction stored = store.findGlobal(gid()).orElseThrow();
        assertThat(stored.result()).isEmpty();
        assertThat(stored.rollbackReason()).isEmpty();
    }

    @Test
    void updateAppliesBranchStatusesAtomicallyWithTheGlobalChange() {
        GlobalTransaction g = saga(gid(), GlobalStatus.SUBMITTED);
        List<Branch> rows = sagaRows(gid(), 2);
        store.insert(g, rows);
        Instant now = T0.plusSeconds(7);
        TransactionUpdate u = TransactionUpdate.of(gid(), GlobalStatus.SUBMITTED, now).status(GlobalStatus.SUCCEED)
                .branches(List.of(new BranchUpdate("01", BranchOp.ACTION, BranchStatus.SUCCEED),
                        new BranchUpdate("02", BranchOp.ACTION, BranchStatus.SUCCEED)))
                .build();

        assertThat(store.update(u)).isTrue();

        assertSameGlobal(store.findGlobal(gid()).orElseThrow(), g.apply(u));
        List<Branch> expected = List.of(rows.get(0), rows.get(1).withStatus(BranchStatus.SUCCEED, now),
                rows.get(2), rows.get(3).withStatus(BranchStatus.SUCCEED, now));
        List<Branch> stored = store.findBranches(gid());
        assertSameBranches(stored, expected);
        assertThat(stored.get(1).finishTime().map(TransactionStoreContract::ms)).contains(now);
        assertThat(ms(stored.get(1).updateTime())).isEqualTo(now);
        assertThat(stored.get(0).finishTime()).isEmpty();
    }

    @Test
    void updateWithBranchStatusesButNoNewStatusKeepsTheGlobalStatus() {
        GlobalTransaction g = saga(gid(), GlobalStatus.SUBMITTED);
        List<Branch> rows = sagaRows(gid(), 1);
        store.insert(g, rows);
        Instant now = T0.plusSeconds(2);
        TransactionUpdate u = TransactionUpdate.of(gid(), GlobalStatus.SUBMITTED, now)
                .branches(List.of(new BranchUpdate("01", BranchOp.ACTION, BranchStatus.FAILED))).build();

        assertThat(store.update(u)).isTrue();

        assertSameGlobal(store.findGlobal(gid()).orElseThrow(), g.apply(u));
        assertSameBranches(store.findBranches(gid()),
                List.of(rows.get(0), rows.get(1).withStatus(BranchStatus.FAILED, now)));
    }

    @Test
    void updateNamingAnUnknownBranchRowChangesNothing() {
        GlobalTransaction g = saga(gid(), GlobalStatus.SUBMITTED);
        List<Branch> rows = sagaRows(gid(), 1);
        store.insert(g, rows);
        // The first branch update is valid: it must be undone together with the global change.
        TransactionUpdate u = TransactionUpdate.of(gid(), GlobalStatus.SUBMITTED, T0.plusSeconds(1))
                .status(GlobalStatus.SUCCEED)
                .branches(List.of(new BranchUpdate("01", BranchOp.ACTION, BranchStatus.SUCCEED),
                        new BranchUpdate("07", BranchOp.ACTION, BranchStatus.SUCCEED)))
                .build();

        assertThatThrownBy(() -> store.update(u)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining(gid()).hasMessageContaining("07");

        assertSameGlobal(store.findGlobal(gid()).orElseThrow(), g);
        assertSameBranches(store.findBranches(gid()), rows);
    }

    @Test
    void updateWithAnExpectedOwnerAppliesOnlyWhileThatOwnerHoldsTheLease() {
        store.insert(saga(gid(), GlobalStatus.SUBMITTED).withCron(INTERVAL, T0), List.of());
        TransactionUpdate beforeClaim = TransactionUpdate.of(gid(), GlobalStatus.SUBMITTED, T0)
                .cron(INTERVAL, T0).expectOwner("").build();
        assertThat(store.update(beforeClaim)).as("no claim yet: the inserted owner is empty").isTrue();

        assertThat(store.claimDue(T0, LEASE, "node-2", 10)).hasSize(1);
        TransactionUpdate stale = TransactionUpdate.of(gid(), GlobalStatus.SUBMITTED, T0.plusSeconds(1))
                .status(GlobalStatus.SUCCEED).expectOwner("").build();
        assertThat(store.update(stale)).as("node-2 claimed it: a round started before must stop").isFalse();
        assertThat(store.findGlobal(gid()).orElseThrow().status()).isEqualTo(GlobalStatus.SUBMITTED);

        TransactionUpdate current = TransactionUpdate.of(gid(), GlobalStatus.SUBMITTED, T0.plusSeconds(1))
                .status(GlobalStatus.SUCCEED).expectOwner("node-2").build();
        assertThat(store.update(current)).isTrue();
        assertThat(store.findGlobal(gid()).orElseThrow().status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void updateKeepsTheOwnerOfTheLastClaim() {
        store.insert(saga(gid(), GlobalStatus.SUBMITTED).withCron(INTERVAL, T0), List.of());
        assertThat(store.claimDue(T0, LEASE, "node-1", 10)).hasSize(1);
        TransactionUpdate u = TransactionUpdate.of(gid(), GlobalStatus.SUBMITTED, T0.plusSeconds(1))
                .status(GlobalStatus.SUCCEED).build();

        assertThat(store.update(u)).isTrue();

        assertThat(store.findGlobal(gid()).orElseThrow().owner()).isEqualTo("node-1");
    }

    @Test
    void concurrentUpdatesFromTheSameStatusHaveExactlyOneWinner() throws Exception {
        for (int round = 0; round < RACE_ROUNDS; round++) {
            String gid = gid("r" + round);
            store.insert(saga(gid, GlobalStatus.SUBMITTED), sagaRows(gid, 1));

            List<Boolean> wins = race(i -> () -> store.update(
                    TransactionUpdate.of(gid, GlobalStatus.SUBMITTED, T0.plusSeconds(1))
                            .status(i % 2 == 0 ? GlobalStatus.SUCCEED : GlobalStatus.ABORTING)
                            .rollbackReason("thread " + i).build()));

            assertThat(wins).as("round %d", round).containsOnlyOnce(true);
            int winner = wins.indexOf(true);
            GlobalTransaction stored = store.findGlobal(gid).orElseThrow();
            assertThat(stored.rollbackReason()).isEqualTo("thread " + winner);
            assertThat(stored.status()).isEqualTo(winner % 2 == 0 ? GlobalStatus.SUCCEED : GlobalStatus.ABORTING);
        }
    }

    @Test
    void concurrentInsertsOfOneGidHaveExactlyOneWinner() throws Exception {
        for (int round = 0; round < RACE_ROUNDS; round++) {
            String gid = gid("r" + round);

            List<Boolean> wins = race(i -> () -> store.insert(saga(gid, GlobalStatus.SUBMITTED)
                    .withCron(INTERVAL, T0.plusSeconds(i)), sagaRows(gid, 1)));

            assertThat(wins).as("round %d", round).containsOnlyOnce(true);
            int winner = wins.indexOf(true);
            assertThat(ms(store.findGlobal(gid).orElseThrow().nextCronTime())).isEqualTo(T0.plusSeconds(winner));
            assertThat(store.findBranches(gid)).hasSize(2);
        }
    }

    // ---------------------------------------------------------------- appendBranches

    @Test
    void appendBranchesAddsRowsAfterTheExistingOnes() {
        store.insert(tcc(gid(), GlobalStatus.PREPARED), List.of());
        List<Branch> first = tccRows(gid(), "01");
        List<Branch> second = tccRows(gid(), "02");

        assertThat(store.appendBranches(gid(), GlobalStatus.PREPARED, TransType.TCC, first)).isTrue();
        assertThat(store.appendBranches(gid(), GlobalStatus.PREPARED, TransType.TCC, second)).isTrue();

        List<Branch> all = new ArrayList<>(first);
        all.addAll(second);
        assertSameBranches(store.findBranches(gid()), all);
    }

    @Test
    void appendBranchesToATransactionInAnotherStatusReturnsFalseAndWritesNothing() {
        store.insert(tcc(gid(), GlobalStatus.SUBMITTED), List.of());

        assertThat(store.appendBranches(gid(), GlobalStatus.PREPARED, TransType.TCC, tccRows(gid(), "01")))
                .isFalse();
        assertThat(store.appendBranches(gid("unknown"), GlobalStatus.PREPARED, TransType.TCC,
                tccRows(gid("unknown"), "01"))).isFalse();

        assertThat(store.findBranches(gid())).isEmpty();
        assertThat(store.findBranches(gid("unknown"))).isEmpty();
    }

    @Test
    void appendBranchesToATransactionOfAnotherTypeReturnsFalseAndWritesNothing() {
        store.insert(tcc(gid(), GlobalStatus.PREPARED), List.of());

        assertThat(store.appendBranches(gid(), GlobalStatus.PREPARED, TransType.XA, tccRows(gid(), "01")))
                .as("an xa branch appended to a prepared tcc transaction").isFalse();

        assertThat(store.findBranches(gid())).isEmpty();
    }

    @Test
    void appendingAnExistingBranchThrowsAndWritesNothing() {
        store.insert(tcc(gid(), GlobalStatus.PREPARED), List.of());
        List<Branch> existing = tccRows(gid(), "01");
        store.appendBranches(gid(), GlobalStatus.PREPARED, TransType.TCC, existing);

        assertThatThrownBy(() -> store.appendBranches(gid(), GlobalStatus.PREPARED, TransType.TCC,
                tccRows(gid(), "01")))
                .isInstanceOf(DuplicateBranchException.class).hasMessageContaining(gid())
                .hasMessageContaining("01");

        assertSameBranches(store.findBranches(gid()), existing);
    }

    @Test
    void aDuplicateInTheSecondRowOfABatchWritesNoRowOfTheBatch() {
        store.insert(tcc(gid(), GlobalStatus.PREPARED), List.of());
        List<Branch> existing = tccRows(gid(), "01");
        store.appendBranches(gid(), GlobalStatus.PREPARED, TransType.TCC, existing);
        List<Branch> batch = List.of(branch(gid(), "02", BranchOp.CANCEL, "http://busi/c", new byte[0]),
                branch(gid(), "01", BranchOp.CONFIRM, "http://busi/c", new byte[0]));

        assertThatThrownBy(() -> store.appendBranches(gid(), GlobalStatus.PREPARED, TransType.TCC, batch))
                .isInstanceOf(DuplicateBranchException.class);

        assertSameBranches(store.findBranches(gid()), existing);
    }

    @Test
    void aBatchThatRepeatsItsOwnRowThrowsAndWritesNothing() {
        store.insert(tcc(gid(), GlobalStatus.PREPARED), List.of());
        List<Branch> batch = List.of(branch(gid(), "01", BranchOp.CANCEL, "http://busi/c", new byte[0]),
                branch(gid(), "01", BranchOp.CONFIRM, "http://busi/c", new byte[0]),
                branch(gid(), "01", BranchOp.CANCEL, "http://busi/c2", new byte[0]));

        assertThatThrownBy(() -> store.appendBranches(gid(), GlobalStatus.PREPARED, TransType.TCC, batch))
                .isInstanceOf(DuplicateBranchException.class);

        assertThat(store.findBranches(gid())).isEmpty();
    }

    @Test
    void theSameBranchIdWithAnotherOpIsNotADuplicate() {
        store.insert(tcc(gid(), GlobalStatus.PREPARED), List.of());
        store.appendBranches(gid(), GlobalStatus.PREPARED, TransType.TCC,
                List.of(branch(gid(), "01", BranchOp.CANCEL, "", new byte[0])));

        assertThat(store.appendBranches(gid(), GlobalStatus.PREPARED, TransType.TCC,
                List.of(branch(gid(), "01", BranchOp.CONFIRM, "", new byte[0])))).isTrue();

        assertThat(keys(store.findBranches(gid()))).containsExactly("01/cancel", "01/confirm");
    }

    // ---------------------------------------------------------------- claimDue

    @Test
    void claimDueTakesOnlyUnfinishedDueTransactions() {
        store.insert(saga(gid("prepared"), GlobalStatus.PREPARED).withCron(INTERVAL, T0.minusSeconds(1)), List.of());
        store.insert(saga(gid("submitted"), GlobalStatus.SUBMITTED).withCron(INTERVAL, T0), List.of());
        store.insert(saga(gid("aborting"), GlobalStatus.ABORTING).withCron(INTERVAL, T0.minusSeconds(2)), List.of());
        store.insert(saga(gid("future"), GlobalStatus.SUBMITTED).withCron(INTERVAL, T0.plusMillis(1)), List.of());
        GlobalTransaction succeed = finished(gid("succeed"), GlobalStatus.SUCCEED, T0.minusSeconds(60));
        GlobalTransaction failed = finished(gid("failed"), GlobalStatus.FAILED, T0.minusSeconds(60));
        store.insert(succeed, List.of());
        store.insert(failed, List.of());

        List<GlobalTransaction> claimed = store.claimDue(T0, LEASE, "node-1", 100);

        assertThat(claimed).extracting(GlobalTransaction::gid)
                .containsExactlyInAnyOrder(gid("prepared"), gid("submitted"), gid("aborting"));
        for (GlobalTransaction c : claimed) {
            assertThat(c.owner()).isEqualTo("node-1");
            assertThat(ms(c.nextCronTime())).isEqualTo(T0.plus(LEASE));
            assertThat(ms(c.updateTime())).isEqualTo(T0);
            assertSameGlobal(store.findGlobal(c.gid()).orElseThrow(), c);
        }
        assertThat(store.findGlobal(gid("future")).orElseThrow().owner()).isEmpty();
        assertSameGlobal(store.findGlobal(gid("succeed")).orElseThrow(), succeed);
        assertSameGlobal(store.findGlobal(gid("failed")).orElseThrow(), failed);
    }

    @Test
    void claimDueChangesOnlyOwnerNextCronTimeAndUpdateTime() {
        GlobalTransaction g = new GlobalTransaction(0, gid(), TransType.MSG, GlobalStatus.PREPARED, "http://q",
                "http", T0.minusSeconds(30), T0.minusSeconds(20), Optional.empty(), Optional.empty(), fullOptions(),
                "{}", Duration.ofSeconds(40), T0.minusSeconds(5), "old-owner", "ext", "res", "why");
        List<Branch> rows = List.of(branch(gid(), "01", BranchOp.ACTION, "http://a", new byte[] {9}));
        store.insert(g, rows);

        List<GlobalTransaction> claimed = store.claimDue(T0, LEASE, "node-2", 1);

        GlobalTransaction expected = new GlobalTransaction(0, g.gid(), g.transType(), g.status(), g.queryPrepared(),
                g.protocol(), g.createTime(), T0, g.finishTime(), g.rollbackTime(), g.options(), g.customData(),
                g.nextCronInterval(), T0.plus(LEASE), "node-2", g.extData(), g.result(), g.rollbackReason());
        assertThat(claimed).hasSize(1);
        assertSameGlobal(claimed.get(0), expected);
        assertSameGlobal(store.findGlobal(gid()).orElseThrow(), expected);
        assertSameBranches(store.findBranches(gid()), rows);
    }

    @Test
    void claimDueHonoursTheLimitOldestDueFirst() {
        store.insert(saga(gid("t-1"), GlobalStatus.SUBMITTED).withCron(INTERVAL, T0.minusSeconds(1)), List.of());
        store.insert(saga(gid("t-3"), GlobalStatus.SUBMITTED).withCron(INTERVAL, T0.minusSeconds(3)), List.of());
        store.insert(saga(gid("t-2"), GlobalStatus.SUBMITTED).withCron(INTERVAL, T0.minusSeconds(2)), List.of());
        store.insert(saga(gid("t-4"), GlobalStatus.SUBMITTED).withCron(INTERVAL, T0.minusSeconds(4)), List.of());

        assertThat(store.claimDue(T0, LEASE, "n", 2)).extracting(GlobalTransaction::gid)
                .containsExactly(gid("t-4"), gid("t-3"));
        assertThat(store.claimDue(T0, LEASE, "n", 1)).extracting(GlobalTransaction::gid)
                .containsExactly(gid("t-2"));
        assertThat(store.claimDue(T0, LEASE, "n", 5)).extracting(GlobalTransaction::gid)
                .containsExactly(gid("t-1"));
        assertThat(store.claimDue(T0, LEASE, "n", 5)).isEmpty();
    }

    @Test
    void aClaimedTransactionIsNotClaimedAgainBeforeItsLeaseEnds() {
        store.insert(saga(gid(), GlobalStatus.SUBMITTED).withCron(INTERVAL, T0), List.of());
        assertThat(store.claimDue(T0, LEASE, "node-1", 10)).hasSize(1);

        assertThat(store.claimDue(T0, LEASE, "node-2", 10)).isEmpty();
        assertThat(store.claimDue(T0.plus(LEASE).minusMillis(1), LEASE, "node-2", 10)).isEmpty();
        assertThat(store.findGlobal(gid()).orElseThrow().owner()).isEqualTo("node-1");

        List<GlobalTransaction> again = store.claimDue(T0.plus(LEASE), LEASE, "node-2", 10);
        assertThat(again).extracting(GlobalTransaction::owner).containsExactly("node-2");
        assertThat(ms(again.get(0).nextCronTime())).isEqualTo(T0.plus(LEASE).plus(LEASE));
    }

    @Test
    void claimDueOnAnEmptyStoreClaimsNothing() {
        assertThat(store.claimDue(T0, LEASE, "node-1", 10)).isEmpty();
    }

    @Test
    void concurrentClaimsNeverReturnTheSameGid() throws Exception {
        int perRound = 40;
        Instant now = T0;
        for (int round = 0; round < RACE_ROUNDS; round++) {
            // Earlier rounds' transactions are leased until now + LEASE, so only this round's are due.
            for (int i = 0; i < perRound; i++) {
                store.insert(saga(gid("r" + round + "-" + i), GlobalStatus.SUBMITTED)
                        .withCron(INTERVAL, now.minusMillis(i)), List.of());
            }

            List<List<GlobalTransaction>> results = race(i -> () -> store.claimDue(now, LEASE, "node-" + i, 3));

            List<String> all = new ArrayList<>();
            for (int i = 0; i < results.size(); i++) {
                for (GlobalTransaction g : results.get(i)) {
                    assertThat(g.owner()).isEqualTo("node-" + i);
                    all.add(g.gid());
                }
            }
            assertThat(all).as("round %d", round).doesNotHaveDuplicates().hasSize(perRound);
        }
    }

    // ---------------------------------------------------------------- retryNow and resetCronTime

    @Test
    void retryNowMakesOneTransactionDueWhateverItsStatus() {
        GlobalTransaction other = saga(gid("other"), GlobalStatus.SUBMITTED).withCron(INTERVAL, T0.plusSeconds(600));
        store.insert(saga(gid("submitted"), GlobalStatus.SUBMITTED).withCron(INTERVAL, T0.plusSeconds(600)),
                List.of());
        store.insert(finished(gid("succeed"), GlobalStatus.SUCCEED, T0.minusSeconds(5)), List.of());
        store.insert(other, List.of());
        Instant now = T0.plusSeconds(1);

        assertThat(store.retryNow(gid("submitted"), now)).isTrue();
        assertThat(store.retryNow(gid("succeed"), now)).isTrue();
        assertThat(store.retryNow(gid("unknown"), now)).isFalse();

        for (String gid : List.of(gid("submitted"), gid("succeed"))) {
            GlobalTransaction g = store.findGlobal(gid).orElseThrow();
            assertThat(ms(g.nextCronTime())).as(gid).isEqualTo(now);
            assertThat(ms(g.updateTime())).as(gid).isEqualTo(now);
        }
        assertThat(store.findGlobal(gid("succeed")).orElseThrow().status()).isEqualTo(GlobalStatus.SUCCEED);
        assertSameGlobal(store.findGlobal(gid("other")).orElseThrow(), other);
        assertThat(store.findGlobal(gid("unknown"))).isEmpty();
    }

    @Test
    void resetCronTimeHonoursTheLimitAndReportsRemaining() {
        // DTM store_test.go: 11 transactions, limit 10 -> (10, true), then (1, false).
        for (int i = 0; i < 11; i++) {
            store.insert(saga(gid("t" + i), GlobalStatus.SUBMITTED).withCron(INTERVAL, T0.plusSeconds(3600 + i)),
                    List.of());
        }
        GlobalTransaction soon = saga(gid("soon"), GlobalStatus.SUBMITTED).withCron(INTERVAL, T0.plusSeconds(60));
        GlobalTransaction done = finished(gid("done"), GlobalStatus.SUCCEED, T0).withCron(INTERVAL,
                T0.plusSeconds(7200));
        store.insert(soon, List.of());
        store.insert(done, List.of());
        Duration after = Duration.ofSeconds(60);

        assertThat(store.resetCronTime(T0, after, 10)).isEqualTo(new CronReset(10, true));
        assertThat(store.resetCronTime(T0, after, 10)).isEqualTo(new CronReset(1, false));
        assertThat(store.resetCronTime(T0, after, 10)).isEqualTo(new CronReset(0, false));

        for (int i = 0; i < 11; i++) {
            GlobalTransaction g = store.findGlobal(gid("t" + i)).orElseThrow();
            assertThat(ms(g.nextCronTime())).as(g.gid()).isEqualTo(T0);
            assertThat(ms(g.updateTime())).as(g.gid()).isEqualTo(T0);
        }
        assertSameGlobal(store.findGlobal(gid("soon")).orElseThrow(), soon);
        assertSameGlobal(store.findGlobal(gid("done")).orElseThrow(), done);
        assertThat(store.claimDue(T0, LEASE, "n", 100)).hasSize(11);
    }

    @Test
    void resetCronTimeWithExactlyLimitMatchesHasNothingRemaining() {
        for (int i = 0; i < 3; i++) {
            store.insert(saga(gid("t" + i), GlobalStatus.PREPARED).withCron(INTERVAL, T0.plusSeconds(100)),
                    List.of());
        }

        assertThat(store.resetCronTime(T0, Duration.ZERO, 3)).isEqualTo(new CronReset(3, false));
    }

    // ---------------------------------------------------------------- list

    @Test
    void listIsNewestFirstByInsertionNotByGid() {
        for (String suffix : List.of("c", "a", "d", "b")) {
            store.insert(saga(gid(suffix), GlobalStatus.SUBMITTED), List.of());
        }

        TransactionPage page = store.list(ListQuery.firstPage());

        assertThat(page.transactions()).extracting(GlobalTransaction::gid)
                .containsExactly(gid("b"), gid("d"), gid("a"), gid("c"));
        assertThat(page.nextPosition()).isEmpty();
    }

    @Test
    void listOfAnEmptyStoreIsOneEmptyPage() {
        TransactionPage page = store.list(ListQuery.firstPage());

        assertThat(page.transactions()).isEmpty();
        assertThat(page.nextPosition()).isEmpty();
    }

    @Test
    void listFiltersByStatusTypeAndCreateTimeWindow() {
        store.insert(saga(gid("saga-ok")).created(T0).status(GlobalStatus.SUCCEED).build(), List.of());
        store.insert(saga(gid("saga-run")).created(T0.plusSeconds(10)).status(GlobalStatus.SUBMITTED).build(),
                List.of());
        store.insert(saga(gid("msg-ok")).type(TransType.MSG).created(T0.plusSeconds(20))
                .status(GlobalStatus.SUCCEED).build(), List.of());
        store.insert(saga(gid("msg-old")).type(TransType.MSG).created(T0.minusSeconds(3600))
                .status(GlobalStatus.SUBMITTED).build(), List.of());

        assertThat(gids(query().status(GlobalStatus.SUCCEED))).containsExactly(gid("msg-ok"), gid("saga-ok"));
        assertThat(gids(query().type(TransType.MSG))).containsExactly(gid("msg-old"), gid("msg-ok"));
        assertThat(gids(query().type(TransType.SAGA).status(GlobalStatus.SUBMITTED)))
                .containsExactly(gid("saga-run"));
        // Both ends of the window are inclusive.
        assertThat(gids(query().from(T0).to(T0.plusSeconds(10)))).containsExactly(gid("saga-run"), gid("saga-ok"));
        assertThat(gids(query().from(T0.plusMillis(1)))).containsExactly(gid("msg-ok"), gid("saga-run"));
        assertThat(gids(query().to(T0.minusMillis(1)))).containsExactly(gid("msg-old"));
        assertThat(gids(query().from(T0.minusSeconds(7200)).to(T0.minusSeconds(7000)))).isEmpty();
    }

    @Test
    void listPagesUntilAnEmptyPositionVisitingEachTransactionOnce() {
        List<String> inserted = new ArrayList<>();
        for (String suffix : List.of("e", "b", "d", "a", "c")) {
            store.insert(saga(gid(suffix), GlobalStatus.SUBMITTED), List.of());
            inserted.add(0, gid(suffix));
        }

        for (int limit = 1; limit <= 6; limit++) {
            assertThat(allPages(query().limit(limit), limit)).as("limit %d", limit).isEqualTo(inserted);
        }
    }

    @Test
    void listPagesWithAFilterSkipOtherTransactions() {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            GlobalStatus status = i % 2 == 0 ? GlobalStatus.SUCCEED : GlobalStatus.SUBMITTED;
            store.insert(saga(gid("t" + i)).status(status).build(), List.of());
            if (status == GlobalStatus.SUCCEED) {
                expected.add(0, gid("t" + i));
            }
        }

        assertThat(allPages(query().status(GlobalStatus.SUCCEED).limit(2), 2)).isEqualTo(expected);
    }

    @Test
    void listFiltersByGidPrefixCaseSensitively() {
        for (String suffix : List.of("ab1", "AB2", "ab3", "b4", "abc5")) {
            store.insert(saga(gid(suffix), GlobalStatus.SUBMITTED), List.of());
        }
        store.insert(saga("x" + gid("ab6"), GlobalStatus.SUBMITTED), List.of());

        assertThat(gids(query().gidPrefix(gid("ab")))).containsExactly(gid("abc5"), gid("ab3"), gid("ab1"));
        assertThat(gids(query().gidPrefix(gid("AB")))).containsExactly(gid("AB2"));
        assertThat(gids(query().gidPrefix(gid("abc5")))).as("a whole gid").containsExactly(gid("abc5"));
        assertThat(gids(query().gidPrefix(gid("abc5") + "0"))).isEmpty();
        assertThat(gids(query().gidPrefix(testName))).hasSize(5);
        assertThat(gids(query().gidPrefix("x" + testName))).containsExactly("x" + gid("ab6"));
    }

    @Test
    void aGidPrefixMatchesEveryCharacterLiterally() {
        // '_' is a one-character wildcard of SQL LIKE and '.' of a regex; ':', 'A' and '.' are the next characters
        // after '9', '@' and '-', where a range [prefix, prefix with its last character incremented) ends.
        for (String suffix : List.of("a_1", "ab1", "a.1", "ax1", "a-1", "a.b", "p9", "p9z", "p:", "p@", "p@A", "pA",
                "p-", "p-x", "p.")) {
            store.insert(saga(gid(suffix), GlobalStatus.SUBMITTED), List.of());
        }

        assertThat(gids(query().gidPrefix(gid("a_")))).containsExactly(gid("a_1"));
        assertThat(gids(query().gidPrefix(gid("a.")))).containsExactly(gid("a.b"), gid("a.1"));
        assertThat(gids(query().gidPrefix(gid("a-")))).containsExactly(gid("a-1"));
        assertThat(gids(query().gidPrefix(gid("p9")))).containsExactly(gid("p9z"), gid("p9"));
        assertThat(gids(query().gidPrefix(gid("p:")))).containsExactly(gid("p:"));
        assertThat(gids(query().gidPrefix(gid("p@")))).containsExactly(gid("p@A"), gid("p@"));
        assertThat(gids(query().gidPrefix(gid("p-")))).containsExactly(gid("p-x"), gid("p-"));
    }

    @Test
    void aGidPrefixCombinesWithTheOtherFiltersAndPaging() {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            // Every third gid is "jobX<i>", which "job_" would match if '_' were a wildcard.
            String gid = gid((i % 3 == 0 ? "jobX" : "job_") + i);
            GlobalStatus status = i % 2 == 0 ? GlobalStatus.SUCCEED : GlobalStatus.SUBMITTED;
            store.insert(saga(gid).status(status).build(), List.of());
            if (i % 3 != 0 && status == GlobalStatus.SUCCEED) {
                expected.add(0, gid);
            }
        }

        for (int limit = 1; limit <= 5; limit++) {
            assertThat(allPages(query().gidPrefix(gid("job_")).status(GlobalStatus.SUCCEED).limit(limit), limit))
                    .as("limit %d", limit).isEqualTo(expected);
        }
        assertThat(gids(query().gidPrefix(gid("job_")).type(TransType.TCC))).isEmpty();
        assertThat(gids(query().gidPrefix(gid("jobX")).status(GlobalStatus.SUBMITTED))).containsExactly(gid("jobX9"),
                gid("jobX3"));
    }

    // ---------------------------------------------------------------- countByStatus

    @Test
    void countByStatusIsExactAfterInsertsUpdatesAndPurges() {
        assumeTrue(countsByStatus(), "this store does not count by status");
        assertThat(store.countByStatus()).contains(StatusCounts.NONE);

        store.insert(tcc(gid("prepared"), GlobalStatus.PREPARED), List.of());
        store.insert(saga(gid("submitted-1"), GlobalStatus.SUBMITTED), List.of());
        store.insert(saga(gid("submitted-2"), GlobalStatus.SUBMITTED), List.of());
        store.insert(finished(gid("succeed"), GlobalStatus.SUCCEED, T0), List.of());
        store.insert(finished(gid("failed"), GlobalStatus.FAILED, T0), List.of());
        assertThat(store.countByStatus()).contains(counts(1, 2, 0, 1, 1));

        Instant now = T0.plusSeconds(1);
        store.update(TransactionUpdate.of(gid("submitted-1"), GlobalStatus.SUBMITTED, now)
                .status(GlobalStatus.ABORTING).build());
        store.update(TransactionUpdate.of(gid("prepared"), GlobalStatus.PREPARED, now)
                .status(GlobalStatus.SUBMITTED).build());
        store.update(TransactionUpdate.of(gid("submitted-2"), GlobalStatus.SUBMITTED, now)
                .status(GlobalStatus.SUCCEED).build());
        assertThat(store.countByStatus()).contains(counts(0, 1, 1, 2, 1));

        assertThat(store.purgeFinished(T0.plusMillis(1), 10)).isEqualTo(2);
        assertThat(store.countByStatus()).contains(counts(0, 1, 1, 1, 0));
        assertThat(store.countByStatus().orElseThrow().total()).isEqualTo(3);
    }

    @Test
    void countByStatusIsEmptyOnAStoreThatCannotCount() {
        assumeFalse(countsByStatus(), "this store counts by status");
        store.insert(saga(gid(), GlobalStatus.SUBMITTED), List.of());

        assertThat(store.countByStatus()).isEmpty();
    }

    // ---------------------------------------------------------------- purgeFinished

    @Test
    void purgeFinishedRemovesOnlyFinishedTransactionsOlderThanTheCutoff() {
        Instant cutoff = T0;
        insertWithBranches(finished(gid("succeed-old"), GlobalStatus.SUCCEED, cutoff.minusSeconds(7200)));
        insertWithBranches(finished(gid("failed-old"), GlobalStatus.FAILED, cutoff.minusMillis(1)));
        insertWithBranches(finished(gid("at-cutoff"), GlobalStatus.SUCCEED, cutoff));
        insertWithBranches(finished(gid("recent"), GlobalStatus.FAILED, cutoff.plusSeconds(1)));
        insertWithBranches(saga(gid("running-old")).created(cutoff.minusSeconds(86_400))
                .status(GlobalStatus.SUBMITTED).build());
        insertWithBranches(saga(gid("aborting-old")).created(cutoff.minusSeconds(86_400))
                .status(GlobalStatus.ABORTING).build());

        assertThat(store.purgeFinished(cutoff, 100)).isEqualTo(2);

        for (String gone : List.of(gid("succeed-old"), gid("failed-old"))) {
            assertThat(store.findGlobal(gone)).as(gone).isEmpty();
            assertThat(store.findBranches(gone)).as(gone).isEmpty();
        }
        for (String kept : List.of(gid("at-cutoff"), gid("recent"), gid("running-old"), gid("aborting-old"))) {
            assertThat(store.findGlobal(kept)).as(kept).isPresent();
            assertThat(store.findBranches(kept)).as(kept).hasSize(2);
        }
        assertThat(gids(query())).hasSize(4);
        assertThat(store.purgeFinished(cutoff, 100)).isZero();
    }

    @Test
    void purgeFinishedHonoursTheLimit() {
        for (int i = 0; i < 5; i++) {
            insertWithBranches(finished(gid("t" + i), GlobalStatus.SUCCEED, T0.minusSeconds(3600 + i)));
        }

        assertThat(store.purgeFinished(T0, 2)).isEqualTo(2);
        assertThat(gids(query())).hasSize(3);
        assertThat(store.purgeFinished(T0, 2)).isEqualTo(2);
        assertThat(store.purgeFinished(T0, 2)).isEqualTo(1);
        assertThat(store.purgeFinished(T0, 2)).isZero();
        assertThat(gids(query())).isEmpty();
    }

    // ---------------------------------------------------------------- deleteAll

    @Test
    void deleteAllRemovesEveryTransactionWhateverItsStatusAndTheStoreStaysUsable() {
        insertWithBranches(finished(gid("done"), GlobalStatus.SUCCEED, T0.minusSeconds(60)));
        insertWithBranches(saga(gid("running")).status(GlobalStatus.SUBMITTED).build());
        insertWithBranches(saga(gid("prepared")).status(GlobalStatus.PREPARED).build());

        assertThat(store.deleteAll()).isEqualTo(3);

        for (String gone : List.of(gid("done"), gid("running"), gid("prepared"))) {
            assertThat(store.findGlobal(gone)).as(gone).isEmpty();
            assertThat(store.findBranches(gone)).as(gone).isEmpty();
        }
        assertThat(gids(query())).isEmpty();
        assertThat(store.claimDue(T0.plusSeconds(86_400), LEASE, "node-a", 10)).isEmpty();
        assertThat(store.deleteAll()).isZero();
        // the same gid can be used again, with fresh branch rows
        insertWithBranches(saga(gid("running")).status(GlobalStatus.SUBMITTED).build());
        assertThat(store.findBranches(gid("running"))).hasSize(2);
        assertThat(gids(query())).containsExactly(gid("running"));
    }

    // ---------------------------------------------------------------- round trips

    @Test
    void payloadBytesRoundTripExactly() {
        byte[] everyByte = new byte[256];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = (byte) i;
        }
        byte[] large = new byte[64 * 1024];
        new Random(42).nextBytes(large);
        List<Branch> rows = List.of(branch(gid(), "01", BranchOp.ACTION, "http://a", everyByte),
                branch(gid(), "02", BranchOp.ACTION, "http://a", new byte[0]),
                branch(gid(), "03", BranchOp.ACTION, "http://a", large),
                branch(gid(), "04", BranchOp.ACTION, "http://a", "{\"amount\":30,\"name\":\"Zoë\"}".getBytes(UTF_8)));
        store.insert(saga(gid(), GlobalStatus.SUBMITTED), rows);
        store.appendBranches(gid(), GlobalStatus.SUBMITTED, TransType.SAGA,
                List.of(branch(gid(), "05", BranchOp.ACTION, "", large)));

        List<Branch> stored = store.findBranches(gid());

        assertThat(stored.get(0).binData()).isEqualTo(everyByte);
        assertThat(stored.get(1).binData()).isEmpty();
        assertThat(stored.get(2).binData()).isEqualTo(large);
        assertThat(stored.get(3).binData()).isEqualTo(rows.get(3).binData());
        assertThat(stored.get(4).binData()).isEqualTo(large);
    }

    @Test
    void aGidOf128CharactersWorksEverywhere() {
        String gid = (gid() + "-" + "x".repeat(128)).substring(0, 128);
        assertThat(gid).hasSize(128);
        store.insert(saga(gid, GlobalStatus.SUBMITTED).withCron(INTERVAL, T0), sagaRows(gid, 1));

        assertThat(store.findGlobal(gid).orElseThrow().gid()).isEqualTo(gid);
        assertThat(store.findBranches(gid)).hasSize(2).allMatch(b -> b.gid().equals(gid));
        assertThat(store.claimDue(T0, LEASE, "n", 10)).extracting(GlobalTransaction::gid).containsExactly(gid);
        assertThat(store.update(TransactionUpdate.of(gid, GlobalStatus.SUBMITTED, T0.plusSeconds(1))
                .status(GlobalStatus.SUCCEED)
                .branches(List.of(new BranchUpdate("01", BranchOp.ACTION, BranchStatus.SUCCEED))).build())).isTrue();
        assertThat(gids(query())).containsExactly(gid);
    }

    @Test
    void instantsRoundTripAtMillisecondPrecision() {
        Instant created = Instant.parse("2024-05-01T10:00:00.123456789Z");
        Instant next = Instant.parse("2031-12-31T23:59:59.999999999Z");
        GlobalTransaction g = new GlobalTransaction(0, gid(), TransType.SAGA, GlobalStatus.SUBMITTED, "", "http",
                created, created.plusNanos(1), Optional.empty(), Optional.empty(), null, "", INTERVAL, next, "", "",
                "", "");
        Branch b = Branch.prepared(gid(), "01", BranchOp.ACTION, "http://a", new byte[0], created.plusMillis(5));
        store.insert(g, List.of(b));
        Instant done = Instant.parse("2024-05-01T10:00:01.000999999Z");
        store.update(TransactionUpdate.of(gid(), GlobalStatus.SUBMITTED, done).status(GlobalStatus.SUCCEED)
                .branches(List.of(new BranchUpdate("01", BranchOp.ACTION, BranchStatus.SUCCEED))).build());

        GlobalTransaction stored = store.findGlobal(gid()).orElseThrow();
        assertThat(ms(stored.createTime())).isEqualTo(Instant.parse("2024-05-01T10:00:00.123Z"));
        assertThat(ms(stored.nextCronTime())).isEqualTo(Instant.parse("2031-12-31T23:59:59.999Z"));
        assertThat(ms(stored.updateTime())).isEqualTo(Instant.parse("2024-05-01T10:00:01.000Z"));
        assertThat(stored.finishTime().map(TransactionStoreContract::ms))
                .contains(Instant.parse("2024-05-01T10:00:01.000Z"));
        Branch storedBranch = store.findBranches(gid()).get(0);
        assertThat(ms(storedBranch.createTime())).isEqualTo(Instant.parse("2024-05-01T10:00:00.128Z"));
        assertThat(storedBranch.finishTime().map(TransactionStoreContract::ms))
                .contains(Instant.parse("2024-05-01T10:00:01.000Z"));
    }

    @Test
    void instantsBeforeTheEpochRoundTrip() {
        Instant old = Instant.parse("1969-07-20T20:17:40.500Z");
        GlobalTransaction g = new GlobalTransaction(0, gid(), TransType.SAGA, GlobalStatus.SUBMITTED, "", "http",
                old, old, Optional.empty(), Optional.empty(), null, "", INTERVAL, old, "", "", "", "");
        store.insert(g, List.of());

        assertSameGlobal(store.findGlobal(gid()).orElseThrow(), g);
    }

    @Test
    void optionsRoundTripWithEveryField() {
        store.insert(saga(gid("full"), GlobalStatus.SUBMITTED).withOptions(fullOptions()), List.of());
        store.insert(saga(gid("default"), GlobalStatus.SUBMITTED).withOptions(TransOptions.DEFAULT), List.of());
        TransOptions headersOnly = TransOptions.builder().branchHeaders(Map.of("X-Only", "1")).build();
        store.insert(saga(gid("headers"), GlobalStatus.SUBMITTED).withOptions(headersOnly), List.of());

        assertThat(store.findGlobal(gid("full")).orElseThrow().options()).isEqualTo(fullOptions());
        assertThat(store.findGlobal(gid("default")).orElseThrow().options()).isEqualTo(TransOptions.DEFAULT);
        assertThat(store.findGlobal(gid("headers")).orElseThrow().options()).isEqualTo(headersOnly);
    }

    @Test
    void branchHeadersWithAnyCharactersRoundTrip() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer abc.def-ghi");
        headers.put("x-quote", "say \"hi\" \\ back\\slash");
        headers.put("x-json", "{\"a\":[1,2],\"b\":null}");
        headers.put("x-control", "tab\tnew\nline\rcr\u0000nul\u001f\u007f");
        headers.put("x-unicode", "Zoë 中文 😀 \u2028\u2029");
        headers.put("x-empty", "");
        headers.put("", "empty name");
        headers.put("ключ", "значение");
        TransOptions options = fullOptions().toBuilder().branchHeaders(headers).build();
        store.insert(saga(gid(), GlobalStatus.SUBMITTED).withOptions(options), List.of());

        assertThat(store.findGlobal(gid()).orElseThrow().options().branchHeaders()).isEqualTo(headers);
    }

    @Test
    void closeIsIdempotent() {
        store.insert(saga(gid(), GlobalStatus.SUBMITTED), List.of());
        store.close();
        store.close();
    }

    @Test
    void pingAnswersAndDescribeNamesTheStore() {
        store.ping();

        assertThat(store.describe()).isNotBlank();
    }

    // ---------------------------------------------------------------- helpers for subclasses

    /** The gid of this test's single transaction: the test method's name. */
    protected final String gid() {
        return testName;
    }

    /** The gid of one of this test's transactions: the test method's name plus {@code -suffix}. */
    protected final String gid(String suffix) {
        return testName + "-" + suffix;
    }

    /** A saga in {@code status}, created at {@link #T0}, due at {@code T0 + INTERVAL}. */
    protected static GlobalTransaction saga(String gid, GlobalStatus status) {
        return saga(gid).status(status).build();
    }

    /** A builder of a test transaction: a submitted saga created at {@link #T0}. */
    protected static TestTransaction saga(String gid) {
        return new TestTransaction(gid);
    }

    /** A tcc transaction in {@code status}, created at {@link #T0}. */
    protected static GlobalTransaction tcc(String gid, GlobalStatus status) {
        return saga(gid).type(TransType.TCC).status(status).build();
    }

    /** A finished transaction: {@code succeed} with that finish time or {@code failed} with that rollback time. */
    protected static GlobalTransaction finished(String gid, GlobalStatus status, Instant at) {
        return saga(gid).created(at.minusSeconds(10)).status(status).endedAt(at).build();
    }

    /** DTM's saga rows for {@code steps} steps: [c01, a01, c02, a02, ...], all prepared, at {@link #T0}. */
    protected static List<Branch> sagaRows(String gid, int steps) {
        List<Branch> rows = new ArrayList<>();
        for (int i = 1; i <= steps; i++) {
            String id = String.format("%02d", i);
            rows.add(branch(gid, id, BranchOp.COMPENSATE, "http://busi/c" + id, ("c" + id).getBytes(UTF_8)));
            rows.add(branch(gid, id, BranchOp.ACTION, "http://busi/a" + id, ("a" + id).getBytes(UTF_8)));
        }
        return rows;
    }

    /** TCC rows of one registered branch: [cancel, confirm]. */
    protected static List<Branch> tccRows(String gid, String branchId) {
        return List.of(branch(gid, branchId, BranchOp.CANCEL, "http://busi/cancel", new byte[] {'c'}),
                branch(gid, branchId, BranchOp.CONFIRM, "http://busi/confirm", new byte[] {'f'}));
    }

    /** A prepared branch row written at {@link #T0}. */
    protected static Branch branch(String gid, String branchId, BranchOp op, String url, byte[] body) {
        return Branch.prepared(gid, branchId, op, url, body, T0);
    }

    /** Options with every field set to a non-default value (whole-second durations). */
    protected static TransOptions fullOptions() {
        return TransOptions.builder().waitResult(true).timeoutToFail(Duration.ofSeconds(1800))
                .requestTimeout(Duration.ofSeconds(6)).retryInterval(Duration.ofSeconds(150))
                .branchHeaders(Map.of("Authorization", "Bearer t", "X-Trace", "abc")).concurrent(true).retryLimit(3)
                .build();
    }

    /** Asserts two transactions are equal, ignoring the store id, comparing instants at millisecond precision. */
    protected static void assertSameGlobal(GlobalTransaction actual, GlobalTransaction expected) {
        assertThat(normalized(actual)).as("transaction %s", expected.gid()).isEqualTo(normalized(expected));
        assertThat(actual.options()).isEqualTo(expected.options());
    }

    /** Asserts two branch lists are equal in order, ignoring store ids, comparing instants at milliseconds. */
    protected static void assertSameBranches(List<Branch> actual, List<Branch> expected) {
        assertThat(actual.stream().map(TransactionStoreContract::normalized).toList())
                .isEqualTo(expected.stream().map(TransactionStoreContract::normalized).toList());
    }

    /** The instant truncated to whole milliseconds (toward the past). */
    protected static Instant ms(Instant t) {
        return t.truncatedTo(ChronoUnit.MILLIS);
    }

    private static GlobalTransaction normalized(GlobalTransaction g) {
        return new GlobalTransaction(0, g.gid(), g.transType(), g.status(), g.queryPrepared(), g.protocol(),
                ms(g.createTime()), ms(g.updateTime()), g.finishTime().map(TransactionStoreContract::ms),
                g.rollbackTime().map(TransactionStoreContract::ms), g.options(), g.customData(), g.nextCronInterval(),
                ms(g.nextCronTime()), g.owner(), g.extData(), g.result(), g.rollbackReason());
    }

    private static Branch normalized(Branch b) {
        return new Branch(0, b.gid(), b.url(), b.binData(), b.branchId(), b.op(), b.status(), ms(b.createTime()),
                ms(b.updateTime()), b.finishTime().map(TransactionStoreContract::ms));
    }

    private static List<String> keys(List<Branch> branches) {
        return branches.stream().map(b -> b.branchId() + "/" + b.op().wireName()).toList();
    }

    private void insertWithBranches(GlobalTransaction g) {
        assertThat(store.insert(g, sagaRows(g.gid(), 1))).isTrue();
    }

    private static StatusCounts counts(long prepared, long submitted, long aborting, long succeed, long failed) {
        return new StatusCounts(Map.of(GlobalStatus.PREPARED, prepared, GlobalStatus.SUBMITTED, submitted,
                GlobalStatus.ABORTING, aborting, GlobalStatus.SUCCEED, succeed, GlobalStatus.FAILED, failed));
    }

    private List<String> gids(Query q) {
        return store.list(q.build()).transactions().stream().map(GlobalTransaction::gid).toList();
    }

    /** Follows {@code nextPosition} to the end, checking page sizes; returns the gids in order. */
    private List<String> allPages(Query q, int limit) {
        List<String> out = new ArrayList<>();
        Set<String> positions = new HashSet<>();
        String position = "";
        for (int pages = 0; ; pages++) {
            assertThat(pages).as("pages followed; the position never became empty").isLessThan(100);
            TransactionPage page = store.list(q.position(position).build());
            assertThat(page.transactions().size()).isLessThanOrEqualTo(limit);
            page.transactions().forEach(g -> out.add(g.gid()));
            if (page.nextPosition().isEmpty()) {
                return out;
            }
            assertThat(positions.add(page.nextPosition())).as("position %s repeated", page.nextPosition()).isTrue();
            position = page.nextPosition();
        }
    }

    private static Query query() {
        return new Query();
    }

    /** Runs {@link #RACE_THREADS} tasks released together by one latch; returns their results in thread order. */
    private static <T> List<T> race(IntFunction<Callable<T>> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(RACE_THREADS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < RACE_THREADS; i++) {
                Callable<T> c = task.apply(i);
                futures.add(pool.submit(() -> {
                    start.await();
                    return c.call();
                }));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(RACE_TIMEOUT_SECONDS, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Builds test transactions; every field has a plain default. Not thread-safe. */
    protected static final class TestTransaction {
        private final String gid;
        private TransType type = TransType.SAGA;
        private GlobalStatus status = GlobalStatus.SUBMITTED;
        private Instant created = T0;
        private Instant ended;

        private TestTransaction(String gid) {
            this.gid = gid;
        }

        /** Sets the type; default saga. */
        public TestTransaction type(TransType value) {
            this.type = value;
            return this;
        }

        /** Sets the status; default submitted. */
        public TestTransaction status(GlobalStatus value) {
            this.status = value;
            return this;
        }

        /** Sets create and update time; the transaction is due {@code INTERVAL} later. Default {@code T0}. */
        public TestTransaction created(Instant value) {
            this.created = value;
            return this;
        }

        /** Sets the finish time (succeed) or rollback time (failed). */
        public TestTransaction endedAt(Instant value) {
            this.ended = value;
            return this;
        }

        /** Builds the transaction. */
        public GlobalTransaction build() {
            Optional<Instant> end = Optional.ofNullable(ended);
            return new GlobalTransaction(0, gid, type, status, "", "http", created, ended == null ? created : ended,
                    status == GlobalStatus.SUCCEED ? end : Optional.empty(),
                    status == GlobalStatus.FAILED ? end : Optional.empty(), TransOptions.DEFAULT, "", INTERVAL,
                    created.plus(INTERVAL), "", "", "", "");
        }
    }

    /** Builds list queries. Not thread-safe. */
    private static final class Query {
        private String position = "";
        private int limit = ListQuery.DEFAULT_LIMIT;
        private GlobalStatus status;
        private TransType type;
        private Instant from;
        private Instant to;
        private String gidPrefix;

        Query position(String value) {
            this.position = value;
            return this;
        }

        Query limit(int value) {
            this.limit = value;
            return this;
        }

        Query status(GlobalStatus value) {
            this.status = value;
            return this;
        }

        Query type(TransType value) {
            this.type = value;
            return this;
        }

        Query from(Instant value) {
            this.from = value;
            return this;
        }

        Query to(Instant value) {
            this.to = value;
            return this;
        }

        Query gidPrefix(String value) {
            this.gidPrefix = value;
            return this;
        }

        ListQuery build() {
            return new ListQuery(position, limit, Optional.ofNullable(status), Optional.ofNullable(type),
                    Optional.ofNullable(from), Optional.ofNullable(to), Optional.ofNullable(gidPrefix));
        }
    }
}
