package io.dtm4j.server;

import io.dtm4j.client.DtmClient;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.client.DtmOngoingException;
import io.dtm4j.client.DtmTransportException;
import io.dtm4j.client.Msg;
import io.dtm4j.client.barrier.BranchBarrier;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.TransType;
import io.dtm4j.server.BankHistory.ClientOutcome;
import io.dtm4j.server.BankHistory.Entry;
import io.dtm4j.server.BankHistory.Transfer;
import io.dtm4j.server.BankHistory.Type;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The clients of {@link BankInvariantIT}: a plan of transfers drawn from the seed, run by worker threads through the
 * SDK, one transfer at a time per thread, each in the transaction type the plan says:
 * <ul>
 *   <li>saga: {@code TransOut} / {@code TransOutRevert}, then {@code TransIn} / {@code TransInRevert};</li>
 *   <li>TCC: {@code TccOutTry} and {@code TccInTry} called by the client (a try timeout of
 *       {@link #CLIENT_REQUEST_TIMEOUT}), confirmed or cancelled by the coordinator;</li>
 *   <li>msg: the debit in a local transaction with the msg barrier ({@code doAndSubmitDb}), then {@code TransIn};</li>
 *   <li>XA: {@code XaOut} and {@code XaIn}, local XA transactions committed or rolled back by the coordinator;</li>
 *   <li>workflow: {@link BankService#WORKFLOW}, the saga's steps recorded one by one.</li>
 * </ul>
 * A saga, msg or workflow call that got no answer is made once more with the same gid, as a client would.
 * Failures are part of the plan: some amounts exceed what any account holds (insufficient balance) and some
 * transfers credit the closed account (never msg, whose delivery must succeed), so that compensations, cancels,
 * rollbacks and the msg rollback really run.
 */
final class BankWorkload {
    /** The SDK's timeout of a try, an XA action and the msg back-check: the coordinator's RequestTimeout. */
    static final Duration CLIENT_REQUEST_TIMEOUT = Duration.ofSeconds(3);
    /** timeout_to_fail of TCC, XA and msg: after this a prepared transaction is aborted or back-checked. */
    static final Duration TIMEOUT_TO_FAIL = Duration.ofSeconds(10);
    /** How long a worker waits for a restarting coordinator before it skips a transfer. */
    private static final Duration UP_BOUND = Duration.ofSeconds(90);
    /** Share (percent) of transfers with an amount above any account's start balance. */
    private static final int OVERDRAFT_PERCENT = 12;
    /** Share (percent) of non-msg transfers to the closed account. */
    private static final int CLOSED_PERCENT = 6;

    /**
     * The types whose call a client may repeat with the same gid when it got no answer: a saga submit, a msg's
     * {@code doAndSubmitDb} and a workflow's execute are idempotent per gid (TCC and XA bodies are not re-run).
     */
    private static final Set<Type> RETRIED = EnumSet.of(Type.SAGA, Type.MSG, Type.WORKFLOW);
    /** The types whose client can die half-way and leave the rest to the coordinator (TCC and XA bodies abort). */
    private static final Set<Type> CRASHABLE = EnumSet.of(Type.MSG, Type.WORKFLOW);

    private final DtmClient dtm;
    private final BankService bank;
    private final BankCoordinator coordinator;
    private final BankHistory history;
    private final boolean retries;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger crashes = new AtomicInteger();

    /** With {@code retries}, a saga, msg or workflow call that got no answer (or an error) is made once more. */
    BankWorkload(DtmClient dtm, BankService bank, BankCoordinator coordinator, BankHistory history, boolean retries) {
        this.dtm = dtm;
        this.bank = bank;
        this.coordinator = coordinator;
        this.history = history;
        this.retries = retries;
    }

    /**
     * {@code n} transfers between accounts {@code 1..accounts} (and the closed {@code accounts + 1}), of the given
     * types in the proportions saga 30, TCC 25, msg 20, workflow 15, XA 10.
     */
    static List<Transfer> plan(Random rnd, int n, int accounts, long balance, Set<Type> types, String gidPrefix) {
        List<Type> weighted = new ArrayList<>();
        int[] weights = {30, 25, 20, 10, 15};
        for (Type t : Type.values()) {
            if (types.contains(t)) {
                for (int i = 0; i < weights[t.ordinal()]; i++) {
                    weighted.add(t);
                }
            }
        }
        List<Transfer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Type type = weighted.get(rnd.nextInt(weighted.size()));
            int from = 1 + rnd.nextInt(accounts);
            int to;
            if (type != Type.MSG && rnd.nextInt(100) < CLOSED_PERCENT) {
                to = accounts + 1;
            } else {
                to = 1 + rnd.nextInt(accounts - 1);
                to = to >= from ? to + 1 : to;
            }
            long amount = rnd.nextInt(100) < OVERDRAFT_PERCENT ? balance + 1 + rnd.nextInt((int) balance)
                    : 1 + rnd.nextInt((int) (balance / 5));
            String gid = String.format(Locale.ROOT, "%s-%s-%05d", gidPrefix, type.tag, i);
            out.add(new Transfer(i, gid, type, from, to, amount));
        }
        return out;
    }

    /** How many transfers the workers have started. */
    int started() {
        return Math.min(next.get(), history.entries().size());
    }

    /**
     * Runs the plan on {@code threads} workers and returns when all of them are done; prints the progress every
     * {@code progressEvery} (a long run shows that it moves).
     */
    void run(int threads, Duration progressEvery) throws InterruptedException {
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(this::work, "bank-client-" + (i + 1));
            t.setDaemon(true);
            workers.add(t);
            t.start();
        }
        for (Thread t : workers) {
            while (t.isAlive()) {
                t.join(progressEvery.toMillis());
                if (t.isAlive()) {
                    System.out.printf(Locale.ROOT, "BankInvariantIT %6.1fs: %d of %d transfers started, %d faults%n",
                            history.elapsedSeconds(), started(), history.entries().size(), history.faultCount());
                }
            }
        }
    }

    /** The next {@code n} msg or workflow transfers stop half-way, as clients that die (see {@link #crash}). */
    void crashNext(int n) {
        crashes.addAndGet(n);
    }

    private void work() {
        int i;
        while ((i = next.getAndIncrement()) < history.entries().size()) {
            Entry e = history.entry(i);
            try {
                if (!coordinator.awaitUp(UP_BOUND)) {
                    e.client = ClientOutcome.SKIPPED;
                    continue;
                }
                if (CRASHABLE.contains(e.transfer.type()) && crashes.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    crash(e);
                    continue;
                }
                attempt(e);
                if (retries && RETRIED.contains(e.transfer.type()) && (e.client == ClientOutcome.NO_ANSWER
                        || e.client == ClientOutcome.ERROR) && coordinator.awaitUp(UP_BOUND)) {
                    // what a client does when its call got no answer: the same call again, with the same gid
                    e.retried = true;
                    attempt(e);
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * A client that dies half-way: a msg is prepared and, for every other one, its local transaction committed, but
     * never submitted nor aborted (the coordinator's back-check decides); a workflow stops after its first step
     * (the coordinator resumes it through the bank's resume endpoint).
     */
    private void crash(Entry e) {
        Transfer t = e.transfer;
        e.client = ClientOutcome.CRASHED;
        try {
            if (t.type() == Type.MSG) {
                Msg msg = dtm.msg(t.gid()).add(bank.url("TransIn"), t.payload()).timeoutToFail(TIMEOUT_TO_FAIL);
                msg.prepare(bank.url("QueryPrepared"));
                if (t.index() % 2 == 0) {
                    BranchBarrier.builder().transType(TransType.MSG).gid(t.gid()).branchId("00").op(BranchOp.MSG)
                            .tableName(bank.barrierTable()).dialect(bank.dialect()).build()
                            .call(bank.dataSource(), c -> bank.debitLocally(c, t.from(), t.amount()));
                }
            } else {
                bank.crashWorkflowAfterFirstStep(t.gid());
                dtm.workflows().execute(BankService.WORKFLOW, t.gid(), t.payload().getBytes(StandardCharsets.UTF_8));
            }
        } catch (Exception ex) {
            e.clientDetail = ex.getClass().getSimpleName();
        }
    }

    private void attempt(Entry e) {
        try {
            transfer(e.transfer);
            e.client = ClientOutcome.ACKED;
        } catch (DtmFailureException ex) {
            e.client = ClientOutcome.REFUSED;
            e.clientDetail = ex.getClass().getSimpleName();
        } catch (DtmOngoingException ex) {
            e.client = ClientOutcome.ONGOING;
        } catch (DtmTransportException ex) {
            e.client = ClientOutcome.NO_ANSWER;
        } catch (Exception ex) {
            e.client = ClientOutcome.ERROR;
            e.clientDetail = ex.getClass().getSimpleName();
        }
    }

    private void transfer(Transfer t) throws Exception {
        String p = t.payload();
        switch (t.type()) {
            case SAGA -> dtm.saga(t.gid()).add(bank.url("TransOut"), bank.url("TransOutRevert"), p)
                    .add(bank.url("TransIn"), bank.url("TransInRevert"), p).submit();
            case TCC -> dtm.tcc(t.gid()).timeoutToFail(TIMEOUT_TO_FAIL).requestTimeout(CLIENT_REQUEST_TIMEOUT)
                    .execute(tcc -> {
                        tcc.callBranch(p, bank.url("TccOutTry"), bank.url("TccOutConfirm"), bank.url("TccOutCancel"));
                        tcc.callBranch(p, bank.url("TccInTry"), bank.url("TccInConfirm"), bank.url("TccInCancel"));
                        return null;
                    });
            case MSG -> dtm.msg(t.gid()).add(bank.url("TransIn"), p).timeoutToFail(TIMEOUT_TO_FAIL)
                    .requestTimeout(CLIENT_REQUEST_TIMEOUT)
                    .doAndSubmitDb(bank.url("QueryPrepared"), bank.dataSource(), bank.barrierTable(),
                            c -> bank.debitLocally(c, t.from(), t.amount()));
            case XA -> dtm.xa(t.gid()).timeoutToFail(TIMEOUT_TO_FAIL).requestTimeout(CLIENT_REQUEST_TIMEOUT)
                    .execute(xa -> {
                        xa.callBranch(p, bank.url("XaOut"));
                        xa.callBranch(p, bank.url("XaIn"));
                        return null;
                    });
            case WORKFLOW -> dtm.workflows().execute(BankService.WORKFLOW, t.gid(),
                    p.getBytes(StandardCharsets.UTF_8));
            default -> throw new IllegalStateException(t.type().name());
        }
    }
}
