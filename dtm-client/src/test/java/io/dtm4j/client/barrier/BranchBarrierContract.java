package io.dtm4j.client.barrier;

import io.dtm4j.client.DtmDuplicatedException;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.TransType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The SQL barrier against a real database: the three anomalies for the op sets of saga, TCC, XA/workflow and
 * msg, the connection modes, the back-check and concurrent forward/compensation requests. Extended once per
 * database; every gid starts with the database kind and the test name.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class BranchBarrierContract {
    private static final int USER = 1;
    private static final long AMOUNT = 10;

    private TestDatabase db;
    private String gidPrefix;

    /** The database under test. */
    abstract TestDatabase.Kind kind();

    @BeforeAll
    void openDatabase() throws SQLException {
        db = TestDatabase.open(kind(), "it_barrier_" + kind().name().toLowerCase(Locale.ROOT));
        db.createBarrierTable();
        db.createBarrierTable();
        db.createAccounts(1, 1_000_000);
    }

    @AfterAll
    void closeDatabase() {
        if (db != null) {
            db.close();
        }
    }

    @BeforeEach
    void name(TestInfo info) {
        gidPrefix = kind().name().toLowerCase(Locale.ROOT) + "-" + info.getTestMethod().orElseThrow().getName();
    }

    private BranchBarrier barrier(String gid, String type, String op) {
        return db.barrier().query(Map.of("trans_type", type, "gid", gid, "branch_id", "01", "op", op)).build();
    }

    /** Takes (forward op) or gives back (compensation) {@link #AMOUNT}. */
    private BarrierWork<SQLException> move(String op) {
        long delta = switch (op) {
            case "cancel", "compensate", "rollback" -> AMOUNT;
            default -> -AMOUNT;
        };
        return c -> TestDatabase.adjustBalance(c, db.accountTable(), USER, delta);
    }

    @ParameterizedTest(name = "{0}: {1} twice, then {2} twice")
    @CsvSource({"saga,action,compensate", "tcc,try,cancel", "xa,action,rollback", "workflow,action,rollback"})
    void repeatedRequestsRunOnce(String type, String forward, String backward) throws SQLException {
        String gid = gidPrefix + "-" + type;
        long before = db.balance(USER);

        assertThat(barrier(gid, type, forward).call(db.dataSource(), move(forward))).isEqualTo(BarrierOutcome.EXECUTED);
        assertThat(barrier(gid, type, forward).call(db.dataSource(), move(forward)))
                .isEqualTo(BarrierOutcome.DUPLICATE_OR_HANGING);
        assertThat(db.balance(USER)).isEqualTo(before - AMOUNT);
        assertThat(barrier(gid, type, backward).call(db.dataSource(), move(backward)))
                .isEqualTo(BarrierOutcome.EXECUTED);
        assertThat(barrier(gid, type, backward).call(db.dataSource(), move(backward)))
                .isEqualTo(BarrierOutcome.DUPLICATE_OR_HANGING);

        assertThat(db.balance(USER)).isEqualTo(before);
        assertThat(db.barrierRows(gid)).containsExactly("01 " + forward + " 01 " + forward,
                "01 " + backward + " 01 " + backward);
    }

    @Test
    void tccConfirmRunsOnce() throws SQLException {
        String gid = gidPrefix;
        long before = db.balance(USER);

        assertThat(barrier(gid, "tcc", "try").call(db.dataSource(), c -> { })).isEqualTo(BarrierOutcome.EXECUTED);
        assertThat(barrier(gid, "tcc", "confirm").call(db.dataSource(), move("confirm")))
                .isEqualTo(BarrierOutcome.EXECUTED);
        assertThat(barrier(gid, "tcc", "confirm").call(db.dataSource(), move("confirm")))
                .isEqualTo(BarrierOutcome.DUPLICATE_OR_HANGING);

        assertThat(db.balance(USER)).isEqualTo(before - AMOUNT);
        assertThat(db.barrierRows(gid)).containsExactly("01 try 01 try", "01 confirm 01 confirm");
    }

    @ParameterizedTest(name = "{0}: {2} before {1}")
    @CsvSource({"saga,action,compensate", "tcc,try,cancel", "xa,action,rollback", "workflow,action,rollback"})
    void compensationFirstIsNullAndTheLateForwardOpHangs(String type, String forward, String backward)
            throws SQLException {
        String gid = gidPrefix + "-" + type;
        long before = db.balance(USER);

        assertThat(barrier(gid, type, backward).call(db.dataSource(), move(backward)))
                .isEqualTo(BarrierOutcome.NULL_COMPENSATION);
        assertThat(barrier(gid, type, backward).call(db.dataSource(), move(backward)))
                .isEqualTo(BarrierOutcome.DUPLICATE_OR_HANGING);
        assertThat(barrier(gid, type, forward).call(db.dataSource(), move(forward)))
                .isEqualTo(BarrierOutcome.DUPLICATE_OR_HANGING);

        assertThat(db.balance(USER)).isEqualTo(before);
        assertThat(db.barrierRows(gid)).containsExactly("01 " + forward + " 01 " + backward,
                "01 " + backward + " 01 " + backward);
    }

    @Test
    void aRepeatedMsgIsDuplicated() throws SQLException {
        String gid = gidPrefix;
        long before = db.balance(USER);
        BranchBarrier first = db.barrier().transType(TransType.MSG).gid(gid).branchId("00").op(BranchOp.MSG).build();
        first.call(db.dataSource(), move("msg"));

        BranchBarrier again = db.barrier().transType(TransType.MSG).gid(gid).branchId("00").op(BranchOp.MSG).build();
        assertThatThrownBy(() -> again.call(db.dataSource(), move("msg"))).isInstanceOf(DtmDuplicatedException.class);

        assertThat(db.balance(USER)).isEqualTo(before - AMOUNT);
        assertThat(db.barrierRows(gid)).containsExactly("00 msg 01 msg");
    }

    @Test
    void aBusinessExceptionRollsTheBarrierRowBack() throws SQLException {
        String gid = gidPrefix;
        long before = db.balance(USER);

        assertThatThrownBy(() -> barrier(gid, "saga", "action").call(db.dataSource(), c -> {
            move("action").run(c);
            throw new IOException("lost the downstream call");
        })).isInstanceOf(IOException.class);
        assertThat(db.barrierRows(gid)).isEmpty();
        assertThat(db.balance(USER)).isEqualTo(before);

        assertThat(barrier(gid, "saga", "action").call(db.dataSource(), move("action")))
                .as("the retry runs").isEqualTo(BarrierOutcome.EXECUTED);
        assertThat(db.balance(USER)).isEqualTo(before - AMOUNT);
    }

    @Test
    void aFailedActionLeavesTheCompensationNull() throws SQLException {
        String gid = gidPrefix;
        long before = db.balance(USER);

        assertThatThrownBy(() -> barrier(gid, "saga", "action").call(db.dataSource(), c -> {
            move("action").run(c);
            throw new DtmFailureException("limit exceeded");
        })).isInstanceOf(DtmFailureException.class);

        assertThat(barrier(gid, "saga", "compensate").call(db.dataSource(), move("compensate")))
                .isEqualTo(BarrierOutcome.NULL_COMPENSATION);
        assertThat(db.balance(USER)).isEqualTo(before);
    }

    @Test
    void twoCallsInOneHandlerAreMatchedByTheCompensation() throws SQLException {
        String gid = gidPrefix;
        long before = db.balance(USER);
        BarrierWork<SQLException> half = c -> TestDatabase.adjustBalance(c, db.accountTable(), USER, -AMOUNT / 2);
        BarrierWork<SQLException> halfBack = c -> TestDatabase.adjustBalance(c, db.accountTable(), USER, AMOUNT / 2);

        BranchBarrier action = barrier(gid, "saga", "action");
        assertThat(List.of(action.call(db.dataSource(), half), action.call(db.dataSource(), half)))
                .containsExactly(BarrierOutcome.EXECUTED, BarrierOutcome.EXECUTED);
        assertThat(db.balance(USER)).isEqualTo(before - AMOUNT);
        BranchBarrier compensate = barrier(gid, "saga", "compensate");
        assertThat(List.of(compensate.call(db.dataSource(), halfBack), compensate.call(db.dataSource(), halfBack)))
                .containsExactly(BarrierOutcome.EXECUTED, BarrierOutcome.EXECUTED);

        assertThat(db.balance(USER)).isEqualTo(before);
        assertThat(db.barrierRows(gid)).containsExactly("01 action 01 action", "01 action 02 action",
                "01 compensate 01 compensate", "01 compensate 02 compensate");
    }

    @Test
    void twoCallsCompensatedFirstAreBothNullAndBothLateCallsHang() throws SQLException {
        String gid = gidPrefix;
        long before = db.balance(USER);

        BranchBarrier compensate = barrier(gid, "saga", "compensate");
        assertThat(List.of(compensate.call(db.dataSource(), move("compensate")),
                compensate.call(db.dataSource(), move("compensate"))))
                .containsOnly(BarrierOutcome.NULL_COMPENSATION);
        BranchBarrier action = barrier(gid, "saga", "action");
        assertThat(List.of(action.call(db.dataSource(), move("action")), action.call(db.dataSource(), move("action"))))
                .containsOnly(BarrierOutcome.DUPLICATE_OR_HANGING);

        assertThat(db.balance(USER)).isEqualTo(before);
    }

    @Test
    void autoCommitConnectionGetsItsOwnTransaction() throws SQLException {
        String gid = gidPrefix;
        try (Connection c = db.rawConnection()) {
            assertThat(barrier(gid, "saga", "action").call(c, move("action"))).isEqualTo(BarrierOutcome.EXECUTED);

            assertThat(c.getAutoCommit()).isTrue();
        }
        assertThat(db.barrierRows(gid)).as("committed").hasSize(1);
    }

    @Test
    void openTransactionIsJoinedAndTheCallersRollbackRemovesTheBarrierRows() throws SQLException {
        String gid = gidPrefix;
        long before = db.balance(USER);
        try (Connection c = db.rawConnection()) {
            c.setAutoCommit(false);
            assertThat(barrier(gid, "saga", "action").call(c, move("action"))).isEqualTo(BarrierOutcome.EXECUTED);
            assertThat(db.barrierRows(gid)).as("not committed yet").isEmpty();

            c.rollback();
            assertThat(db.barrierRows(gid)).isEmpty();
            assertThat(db.balance(USER)).isEqualTo(before);

            assertThat(barrier(gid, "saga", "action").call(c, move("action"))).isEqualTo(BarrierOutcome.EXECUTED);
            c.commit();
        }
        assertThat(db.barrierRows(gid)).containsExactly("01 action 01 action");
        assertThat(db.balance(USER)).isEqualTo(before - AMOUNT);
    }

    @Test
    void supplierModeJoinsTheManagedTransaction() throws SQLException {
        String gid = gidPrefix;
        long before = db.balance(USER);
        try (Connection managed = db.rawConnection()) {
            managed.setAutoCommit(false);
            assertThat(barrier(gid, "saga", "action").call(() -> managed, move("action")))
                    .isEqualTo(BarrierOutcome.EXECUTED);
            managed.rollback();
            assertThat(db.barrierRows(gid)).isEmpty();

            assertThat(barrier(gid, "saga", "compensate").call(() -> managed, move("compensate")))
                    .isEqualTo(BarrierOutcome.NULL_COMPENSATION);
            managed.commit();
            assertThat(managed.isClosed()).isFalse();

            managed.setAutoCommit(true);
            assertThatThrownBy(() -> barrier(gid, "saga", "action").call(() -> managed, move("action")))
                    .isInstanceOf(IllegalStateException.class);
        }
        assertThat(db.barrierRows(gid)).containsExactly("01 action 01 compensate", "01 compensate 01 compensate");
        assertThat(db.balance(USER)).isEqualTo(before);
    }

    @Test
    void queryPreparedWithoutTheLocalTransactionIsFailureAndRefusesItLater() throws SQLException {
        String gid = gidPrefix;
        long before = db.balance(USER);

        assertThat(barrier(gid, "msg", "msg").queryPrepared(db.dataSource())).isEqualTo(BranchResult.FAILURE);
        BranchBarrier late = db.barrier().transType(TransType.MSG).gid(gid).branchId("00").op(BranchOp.MSG).build();
        assertThatThrownBy(() -> late.call(db.dataSource(), move("msg"))).isInstanceOf(DtmDuplicatedException.class);
        assertThat(barrier(gid, "msg", "msg").queryPrepared(db.dataSource())).isEqualTo(BranchResult.FAILURE);

        assertThat(db.balance(USER)).isEqualTo(before);
        assertThat(db.barrierRows(gid)).containsExactly("00 msg 01 rollback");
    }

    @Test
    void queryPreparedAfterTheLocalCommitIsSuccess() throws SQLException {
        String gid = gidPrefix;
        db.barrier().transType(TransType.MSG).gid(gid).branchId("00").op(BranchOp.MSG).build()
                .call(db.dataSource(), move("msg"));

        try (Connection c = db.rawConnection()) {
            assertThat(barrier(gid, "msg", "msg").queryPrepared(c)).isEqualTo(BranchResult.SUCCESS);
        }
        assertThat(db.barrierRows(gid)).containsExactly("00 msg 01 msg");
    }

    @ParameterizedTest(name = "local transaction commits: {0}")
    @CsvSource({"true", "false"})
    void queryPreparedWaitsForALocalTransactionInFlight(boolean commit) throws Exception {
        String gid = gidPrefix + "-" + commit;
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Connection local = db.rawConnection()) {
            local.setAutoCommit(false);
            db.barrier().transType(TransType.MSG).gid(gid).branchId("00").op(BranchOp.MSG).build()
                    .call(local, move("msg"));

            Future<BranchResult> check = pool.submit(() -> barrier(gid, "msg", "msg").queryPrepared(db.dataSource()));
            assertThatThrownBy(() -> check.get(300, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
            if (commit) {
                local.commit();
            } else {
                local.rollback();
            }
            assertThat(check.get(10, TimeUnit.SECONDS)).isEqualTo(commit ? BranchResult.SUCCESS : BranchResult.FAILURE);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentTryAndCancelOnManyThreadsHaveExactlyOneWinner() throws Exception {
        int rounds = 10;
        int perSide = 4;
        long before = db.balance(USER);
        ExecutorService pool = Executors.newFixedThreadPool(2 * perSide);
        try {
            for (int round = 0; round < rounds; round++) {
                String gid = gidPrefix + "-" + round;
                Map<BarrierOutcome, AtomicInteger> tries = new ConcurrentHashMap<>();
                Map<BarrierOutcome, AtomicInteger> cancels = new ConcurrentHashMap<>();
                CountDownLatch start = new CountDownLatch(1);
                List<CompletableFuture<Void>> all = new ArrayList<>();
                for (int i = 0; i < perSide; i++) {
                    all.add(CompletableFuture.runAsync(() -> race(start, gid, "try", tries), pool));
                    all.add(CompletableFuture.runAsync(() -> race(start, gid, "cancel", cancels), pool));
                }
                start.countDown();
                CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

                int tryRan = count(tries, BarrierOutcome.EXECUTED);
                int cancelRan = count(cancels, BarrierOutcome.EXECUTED);
                int nullCancel = count(cancels, BarrierOutcome.NULL_COMPENSATION);
                assertThat(tryRan).as("round %d: tries that ran", round).isLessThanOrEqualTo(1);
                assertThat(cancelRan + nullCancel).as("round %d: cancels that counted", round).isEqualTo(1);
                assertThat(cancelRan).as("round %d: a cancel runs exactly when its try ran", round).isEqualTo(tryRan);
                assertThat(db.balance(USER)).isEqualTo(before);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** One racing request, retried like the coordinator would when the database picks it as deadlock victim. */
    private void race(CountDownLatch start, String gid, String op, Map<BarrierOutcome, AtomicInteger> outcomes) {
        try {
            start.await();
            for (int attempt = 1; ; attempt++) {
                try {
                    BarrierOutcome o = barrier(gid, "tcc", op).call(db.dataSource(), move(op));
                    outcomes.computeIfAbsent(o, k -> new AtomicInteger()).incrementAndGet();
                    return;
                } catch (SQLException e) {
                    if (attempt >= 20 || !isRetryable(e)) {
                        throw e;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deadlock or serialization failure: the request is answered with an error and retried. */
    static boolean isRetryable(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        return state.startsWith("40");
    }

    private static int count(Map<BarrierOutcome, AtomicInteger> m, BarrierOutcome o) {
        AtomicInteger n = m.get(o);
        return n == null ? 0 : n.get();
    }
}
