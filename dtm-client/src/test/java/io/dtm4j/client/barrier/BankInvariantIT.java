package io.dtm4j.client.barrier;

import io.dtm4j.client.Msg;
import io.dtm4j.client.Saga;
import io.dtm4j.client.barrier.BusiService.Transfer;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.TransType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.dtm4j.client.barrier.BankFixture.MARIADB;
import static io.dtm4j.client.barrier.BankFixture.POSTGRES;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The randomised bank: many transfers between accounts on MariaDB and PostgreSQL through saga, two-phase
 * message and TCC, from several threads, with injected duplicates (a branch delivered twice), reordering (a
 * compensation delivered before its forward op), business failures (FAILURE from TransIn), lost commit
 * answers, crashes before submit and early back-checks. Recovery is then driven by a mutable clock until
 * every transaction is final, and the invariants are checked: every transaction is succeed or failed, each
 * account holds its start balance plus exactly the transfers that succeeded (so the total is unchanged), no
 * balance went negative, nothing stays frozen, and no barrier key is duplicated.
 *
 * <p>{@code -Ddtm.bank.seed=N} replays a run (the seed is printed), {@code -Ddtm.bank.transfers=N} sets how
 * many transfers (default 200), {@code -Ddtm.bank.seconds=N} bounds the transfer phase (default 120).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BankInvariantIT {
    private static final int USERS = 4;
    private static final long START = 200;
    private static final int THREADS = 6;
    private static final Duration SAGA_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration RECOVERY_STEP = Duration.ofMinutes(2);
    private static final int MAX_RECOVERY_ROUNDS = 100;

    private enum Mode { SAGA, MSG, TCC }

    private enum MsgFault { NONE, COMMIT_LOST, CRASH_BEFORE_SUBMIT, BACK_CHECK_FIRST }

    private record Account(String store, int user) {
        @Override
        public String toString() {
            return store + "#" + user;
        }
    }

    /** One planned transfer and the faults injected into it. */
    private record Plan(String gid, Mode mode, Account from, Account to, long amount, boolean duplicate,
                        String reorderBranch, boolean transInFailure, MsgFault msgFault) {
    }

    private final long seed = Long.getLong("dtm.bank.seed", new SecureRandom().nextLong());
    private final int transfers = Integer.getInteger("dtm.bank.transfers", 200);
    private final Duration budget = Duration.ofSeconds(Integer.getInteger("dtm.bank.seconds", 120));
    private final Map<String, AtomicInteger> thrown = new ConcurrentHashMap<>();
    private FaultInjectingInvoker faults;
    private BankFixture f;

    @BeforeAll
    void start() throws SQLException, IOException {
        System.out.println("BankInvariantIT seed=" + seed + " (replay with -Ddtm.bank.seed=" + seed + ")");
        f = new BankFixture("it_bank", USERS, START, http -> faults = new FaultInjectingInvoker(http));
    }

    @AfterAll
    void stop() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void moneyIsNeitherCreatedNorLost() throws Exception {
        long started = System.nanoTime();
        long totalBefore = f.total();
        List<Plan> plans = plan(new Random(seed));
        List<Plan> done = runAll(plans, System.nanoTime() + budget.toNanos());
        long transferNanos = System.nanoTime() - started;
        int rounds = f.recoverUntilFinal(done.stream().map(Plan::gid).toList(), RECOVERY_STEP, MAX_RECOVERY_ROUNDS);

        Map<GlobalStatus, Integer> statuses = new TreeMap<>();
        Map<Account, Long> expected = new LinkedHashMap<>();
        for (Plan p : done) {
            GlobalStatus s = f.status(p.gid());
            statuses.merge(s, 1, Integer::sum);
            assertThat(s).as("gid=%s (%s) is final", p.gid(), p.mode()).isIn(GlobalStatus.SUCCEED, GlobalStatus.FAILED);
            if (s == GlobalStatus.SUCCEED) {
                expected.merge(p.from(), -p.amount(), Long::sum);
                expected.merge(p.to(), p.amount(), Long::sum);
            }
        }
        report(plans.size(), done, statuses, rounds, transferNanos, System.nanoTime() - started);

        assertThat(f.total()).as("total balance").isEqualTo(totalBefore);
        for (String store : List.of(MARIADB, POSTGRES)) {
            TestDatabase db = f.db(store);
            for (int u = 1; u <= USERS; u++) {
                Account a = new Account(store, u);
                assertThat(db.balance(u)).as("balance of %s", a).isEqualTo(START + expected.getOrDefault(a, 0L));
            }
            assertThat(db.queryLong("select min(balance) from " + db.accountTable())).isNotNegative();
            assertThat(db.queryLong("select count(*) from " + db.accountTable() + " where trading_balance <> 0"))
                    .as("accounts with money still frozen").isZero();
            assertThat(db.duplicatedBarrierKeys()).as("duplicated barrier keys in %s", store).isZero();
        }
        assertThat(f.busi.constraintViolations).as("balance check constraint violations").hasValue(0);
        assertThat(faults.stillHeld()).as("forward ops held back whose compensation never came").isZero();
        // A late forward op is skipped by the barrier (200); an injected lost commit or a deadlock may turn that
        // into an error, but never into a business answer. That it changed nothing is proven by the balances.
        assertThat(faults.lateAnswers).extracting(BranchOutcome::result).doesNotContain(BranchResult.FAILURE);
    }

    private List<Plan> plan(Random r) {
        List<Plan> plans = new ArrayList<>();
        Mode[] modes = Mode.values();
        for (int i = 0; i < transfers; i++) {
            Mode mode = modes[r.nextInt(modes.length)];
            Account from = randomAccount(r);
            Account to = randomAccount(r);
            while (to.equals(from)) {
                to = randomAccount(r);
            }
            long amount = 1 + r.nextInt(80);
            boolean duplicate = r.nextInt(100) < 20;
            String reorder = mode != Mode.MSG && r.nextInt(100) < 10 ? (r.nextBoolean() ? "01" : "02") : "";
            boolean failure = mode != Mode.MSG && r.nextInt(100) < 10;
            MsgFault msgFault = MsgFault.NONE;
            if (mode == Mode.MSG) {
                int x = r.nextInt(100);
                msgFault = x < 10 ? MsgFault.COMMIT_LOST : x < 20 ? MsgFault.CRASH_BEFORE_SUBMIT
                        : x < 25 ? MsgFault.BACK_CHECK_FIRST : MsgFault.NONE;
            }
            String gid = "bank-" + Long.toHexString(seed) + "-" + i + "-" + mode.name().toLowerCase(Locale.ROOT);
            plans.add(new Plan(gid, mode, from, to, amount, duplicate, reorder, failure, msgFault));
        }
        return plans;
    }

    private static Account randomAccount(Random r) {
        return new Account(r.nextBoolean() ? MARIADB : POSTGRES, 1 + r.nextInt(USERS));
    }

    /** Runs the plans on {@link #THREADS} threads until the deadline; returns those that started. */
    private List<Plan> runAll(List<Plan> plans, long deadline) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<Future<Plan>> futures = new ArrayList<>();
        try {
            for (Plan p : plans) {
                futures.add(pool.submit(() -> System.nanoTime() < deadline ? run(p) : null));
            }
            List<Plan> done = new ArrayList<>();
            for (Future<Plan> fu : futures) {
                Plan p = fu.get(budget.toSeconds() + 60, TimeUnit.SECONDS);
                if (p != null) {
                    done.add(p);
                }
            }
            return done;
        } finally {
            pool.shutdownNow();
        }
    }

    private Plan run(Plan p) {
        if (p.duplicate()) {
            faults.duplicate(p.gid());
        }
        if (!p.reorderBranch().isEmpty()) {
            faults.reorder(p.gid(), p.reorderBranch());
        }
        try {
            switch (p.mode()) {
                case SAGA -> saga(p);
                case TCC -> tcc(p);
                case MSG -> msg(p);
                default -> throw new IllegalStateException(p.mode().name());
            }
        } catch (Exception e) {
            // Expected on refusals and injected faults; the invariants decide whether anything went wrong.
            thrown.computeIfAbsent(p.mode() + ":" + e.getClass().getSimpleName(), k -> new AtomicInteger())
                    .incrementAndGet();
        }
        return p;
    }

    private Transfer out(Plan p) {
        return new Transfer(p.from().store(), p.from().user(), p.amount());
    }

    private Transfer in(Plan p) {
        return new Transfer(p.to().store(), p.to().user(), p.amount(), p.transInFailure() ? "FAILURE" : "");
    }

    private void saga(Plan p) {
        Saga saga = f.client.saga(p.gid())
                .add(f.busi.url("SagaBTransOut"), f.busi.url("SagaBTransOutCom"), out(p))
                .add(f.busi.url("SagaBTransIn"), f.busi.url("SagaBTransInCom"), in(p));
        if (!p.reorderBranch().isEmpty()) {
            // The held action is never answered: the saga's timeout starts the rollback that delivers it late.
            saga.timeoutToFail(SAGA_TIMEOUT);
        }
        saga.submit();
    }

    private void tcc(Plan p) {
        f.client.tcc(p.gid(), tcc -> {
            tcc.callBranch(out(p), f.busi.url("TccBTransOutTry"), f.busi.url("TccBTransOutConfirm"),
                    f.busi.url("TccBTransOutCancel"));
            tcc.callBranch(in(p), f.busi.url("TccBTransInTry"), f.busi.url("TccBTransInConfirm"),
                    f.busi.url("TccBTransInCancel"));
            return null;
        });
    }

    private void msg(Plan p) throws SQLException {
        TestDatabase source = f.db(p.from().store());
        String checkUrl = f.busi.queryPreparedUrl(p.from().store());
        Msg msg = f.client.msg(p.gid()).add(f.busi.url("SagaBTransIn"),
                new Transfer(p.to().store(), p.to().user(), p.amount()));
        BarrierWork<SQLException> debit = c -> TestDatabase.adjustBalance(c, source.accountTable(), p.from().user(),
                -p.amount());
        switch (p.msgFault()) {
            case COMMIT_LOST -> source.failNextCommits(1);
            case CRASH_BEFORE_SUBMIT -> {
                msg.prepare(checkUrl);
                source.barrier().transType(TransType.MSG).gid(p.gid()).branchId("00").op(BranchOp.MSG).build()
                        .call(source.dataSource(), debit);
                return;
            }
            case BACK_CHECK_FIRST -> {
                msg.prepare(checkUrl);
                source.barrier().transType(TransType.MSG).gid(p.gid()).branchId("00").op(BranchOp.MSG).build()
                        .queryPrepared(source.dataSource());
            }
            default -> {
            }
        }
        msg.doAndSubmitDb(checkUrl, source.dataSource(), source.barrierTable(), debit);
    }

    private void report(int planned, List<Plan> done, Map<GlobalStatus, Integer> statuses, int rounds,
                        long transferNanos, long totalNanos) throws SQLException {
        Map<String, Long> byMode = new TreeMap<>();
        Map<String, Long> injected = new TreeMap<>();
        for (Plan p : done) {
            byMode.merge(p.mode().name(), 1L, Long::sum);
            if (p.duplicate()) {
                injected.merge("duplicate gids", 1L, Long::sum);
            }
            if (!p.reorderBranch().isEmpty()) {
                injected.merge("reordered branches", 1L, Long::sum);
            }
            if (p.transInFailure()) {
                injected.merge("TransIn FAILURE", 1L, Long::sum);
            }
            if (p.msgFault() != MsgFault.NONE) {
                injected.merge("msg " + p.msgFault(), 1L, Long::sum);
            }
        }
        System.out.printf("BankInvariantIT seed=%d: %d/%d transfers %s in %d ms, recovery rounds %d, total %d ms%n",
                seed, done.size(), planned, byMode, transferNanos / 1_000_000, rounds, totalNanos / 1_000_000);
        System.out.printf("  statuses %s; injected %s; duplicate deliveries %d, held back %d, delivered late %d%n",
                statuses, injected, faults.duplicatesDelivered.get(), faults.heldBack.get(), faults.lateAnswers.size());
        System.out.printf("  client saw %s%n", new TreeMap<>(thrown));
        System.out.printf("  busi outcomes %s, errors %s, constraint violations %d%n", new TreeMap<>(f.busi.outcomes),
                new TreeMap<>(f.busi.errors), f.busi.constraintViolations.get());
        System.out.printf("  total balance %d (mariadb %d, postgres %d)%n", f.total(), f.mariadb.totalBalance(),
                f.postgres.totalBalance());
    }
}
