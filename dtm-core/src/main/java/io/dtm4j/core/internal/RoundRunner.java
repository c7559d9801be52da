package io.dtm4j.core.internal;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.BranchUpdate;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.StoreUnavailableException;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionUpdate;
import io.dtm4j.core.spi.BranchCall;
import io.dtm4j.core.spi.BranchInvoker;
import io.dtm4j.core.spi.CoordinatorEvents;
import io.dtm4j.core.spi.CrashPoints;
import io.dtm4j.core.spi.TransactionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one round of one transaction: asks the type's {@link Processor} what to do, calls branches through
 * the {@link BranchInvoker}, and writes to the store only when it must: a status change (carrying every
 * branch status learnt so far), the end of a round that leaves work pending, or a lease renewal in a long
 * round. A happy saga thus costs one write here, after the intent insert. Tells the {@link CoordinatorEvents}
 * about each round, branch call, status written and retry, from in-memory state only.
 */
final class RoundRunner {
    private static final Logger LOG = LoggerFactory.getLogger(RoundRunner.class);
    /** DTM re-extends the lease after 1.5 s of work in one round. */
    private static final Duration RENEW_AFTER = Duration.ofMillis(1500);
    /** Bound on the steps of one round, against a processor bug looping for ever. */
    private static final int MAX_STEPS = 10_000;
    /** Extra wait for a parallel call beyond its own request timeout. */
    private static final Duration CALL_GRACE = Duration.ofSeconds(5);

    private final TransactionStore store;
    private final BranchInvoker invoker;
    private final Clock clock;
    private final Executor executor;
    private final Intervals intervals;
    private final Map<TransType, Processor> processors;
    private final CoordinatorEvents events;
    private final StaleLeases staleLeases;

    RoundRunner(TransactionStore store, BranchInvoker invoker, Clock clock, Executor executor, Intervals intervals,
                CoordinatorEvents events, StaleLeases staleLeases) {
        this.staleLeases = staleLeases;
        this.store = store;
        this.invoker = invoker;
        this.clock = clock;
        this.executor = executor;
        this.intervals = intervals;
        this.events = events;
        this.processors = Map.of(
                TransType.SAGA, new SagaProcessor(intervals),
                TransType.MSG, new MsgProcessor(intervals),
                TransType.TCC, PhaseTwoProcessor.tcc(intervals),
                TransType.XA, PhaseTwoProcessor.xa(intervals),
                TransType.WORKFLOW, new WorkflowProcessor());
    }

    /** Runs one round and reports how it ended, to the caller and to the events listener (also when it throws). */
    RoundResult run(GlobalTransaction global, List<Branch> branches) {
        boolean ok = false;
        try {
            RoundResult result = runRound(global, branches);
            ok = result.clean();
            return result;
        } finally {
            events.roundEnded(global.gid(), global.transType(), ok,
                    Duration.between(global.createTime(), clock.instant()));
        }
    }

    private RoundResult runRound(GlobalTransaction global, List<Branch> branches) {
        Round r = new Round(global, branches, clock.instant());
        try {
            return runSteps(r);
        } catch (StoreUnavailableException e) {
            // The lease this round holds (maybe stretched over a long call) would keep the transaction waiting.
            staleLeases.add(r.global());
            throw e;
        }
    }

    private RoundResult runSteps(Round r) {
        GlobalTransaction global = r.global();
        Processor p = processors.get(global.transType());
        for (int step = 0; step < MAX_STEPS; step++) {
            Decision d = p.decide(r, clock.instant());
            if (d instanceof Decision.Call c) {
                if (!renewLeaseIfDue(r)) {
                    return RoundResult.lostRace(r.global());
                }
                call(r, c.branches());
            } else if (d instanceof Decision.BackCheck) {
                r.backCheck(invoke(backCheckCall(r)));
            } else if (d instanceof Decision.Move m) {
                if (!move(r, m)) {
                    return RoundResult.lostRace(r.global());
                }
                if (m.status().isFinal()) {
                    return RoundResult.of(r.global(), Trouble.NONE);
                }
            } else if (d instanceof Decision.Stop s) {
                if (!stop(r, s)) {
                    return RoundResult.lostRace(r.global());
                }
                Trouble t = trouble(r, s);
                if (t != Trouble.NONE) {
                    events.retryScheduled(global.gid(), global.transType());
                }
                return RoundResult.of(r.global(), t);
            }
        }
        throw new IllegalStateException("gid=" + global.gid() + ": round did not end after " + MAX_STEPS + " steps");
    }

    /**
     * The trouble a stopping round leaves behind: the branch trouble its processor scheduled a retry for, else
     * what the back-check (msg query_prepared, workflow resume) answered, if one was made.
     */
    private static Trouble trouble(Round r, Decision.Stop s) {
        return switch (s.cron()) {
            case KEEP -> Trouble.ONGOING;
            case BACKOFF -> Trouble.ERROR;
            default -> r.backCheckTrouble();
        };
    }

    private void call(Round r, List<Integer> rows) {
        if (r.type() == TransType.XA && r.op(rows.get(0)) == BranchOp.COMMIT) {
            CrashPoints.reached(CrashPoints.BETWEEN_XA_PREPARE_AND_COMMIT);
        }
        if (rows.size() == 1) {
            int i = rows.get(0);
            record(r, i, invoke(branchCall(r.global(), r.branch(i))));
            return;
        }
        List<CompletableFuture<BranchOutcome>> futures = new ArrayList<>(rows.size());
        for (int i : rows) {
            BranchCall call = branchCall(r.global(), r.branch(i));
            futures.add(CompletableFuture.supplyAsync(() -> invoke(call), executor));
        }
        long waitMs = intervals.requestTimeout(r.global()).plus(CALL_GRACE).toMillis();
        for (int k = 0; k < rows.size(); k++) {
            record(r, rows.get(k), await(futures.get(k), waitMs, r.global().gid()));
        }
    }

    private void record(Round r, int row, BranchOutcome o) {
        Branch b = r.branch(row);
        crashPointAfterCall(b.op());
        events.branchCalled(r.global().gid(), r.type(), b.branchId(), b.op(), o.result());
        r.record(row, o);
        if (o.result() == BranchResult.SUCCESS) {
            r.resetIntervalIfGrown(intervals.reset(r.global()));
        }
    }

    /** The crash point of a branch call that answered and is not yet recorded, by its op. */
    private static void crashPointAfterCall(BranchOp op) {
        switch (op) {
            case ACTION -> CrashPoints.reached(CrashPoints.AFTER_BRANCH_CALL);
            case COMPENSATE, CANCEL, ROLLBACK -> CrashPoints.reached(CrashPoints.DURING_COMPENSATION);
            case CONFIRM -> CrashPoints.reached(CrashPoints.DURING_TCC_CONFIRM);
            default -> {
            }
        }
    }

    private static BranchOutcome await(CompletableFuture<BranchOutcome> f, long waitMs, String gid) {
        try {
            return f.get(waitMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return BranchOutcome.of(BranchResult.ERROR, "interrupted");
        } catch (ExecutionException e) {
            LOG.warn("gid={}: branch call failed unexpectedly: {}", gid, e.getCause().toString());
            return BranchOutcome.of(BranchResult.ERROR,
                    "branch call failed: " + e.getCause().getClass().getSimpleName());
        } catch (TimeoutException e) {
            return BranchOutcome.of(BranchResult.ERROR, "no answer within " + waitMs + " ms");
        }
    }

    private BranchOutcome invoke(BranchCall call) {
        if (call.url().isEmpty()) {
            return BranchOutcome.success();
        }
        BranchOutcome o;
        try {
            o = invoker.invoke(call);
        } catch (RuntimeException e) {
            LOG.warn("gid={} branch={} op={}: invoker threw {}", call.gid(), call.branchId(), call.op(), e.toString());
            o = BranchOutcome.of(BranchResult.ERROR, e.getClass().getSimpleName());
        }
        if (o.result() == BranchResult.ERROR) {
            // The operator's first sign of an unreachable or failing branch; retried with back-off.
            LOG.warn("gid={} branch={} op={}: {} answered ERROR: {}; it is retried", call.gid(), call.branchId(),
                    call.op(), call.url(), withoutBody(o.detail()));
        } else {
            LOG.debug("gid={} branch={} op={}: {}", call.gid(), call.branchId(), call.op(), o.result());
        }
        return o;
    }

    /** An ERROR's detail without the response body (business data, kept to debug level), at most 200 chars. */
    private static String withoutBody(String detail) {
        String d = detail.startsWith("HTTP ") && detail.indexOf(':') > 0 ? detail.substring(0, detail.indexOf(':'))
                : detail;
        return d.length() > 200 ? d.substring(0, 200) + "..." : d;
    }

    private BranchCall branchCall(GlobalTransaction g, Branch b) {
        return new BranchCall(g.gid(), g.transType(), b.branchId(), b.op().wireName(), b.url(), b.binData(),
                g.protocol(), g.options().branchHeaders(), intervals.requestTimeout(g));
    }

    /** The msg back-check (op msg, no body) or the workflow resume (op = name, body = decoded input). */
    private BranchCall backCheckCall(Round r) {
        GlobalTransaction g = r.global();
        String op = "msg";
        byte[] body = new byte[0];
        if (g.transType() == TransType.WORKFLOW) {
            op = r.custom().name();
            body = r.custom().data().isEmpty() ? body : Base64.getDecoder().decode(r.custom().data());
        }
        return new BranchCall(g.gid(), g.transType(), "00", op, g.queryPrepared(), body, g.protocol(),
                g.options().branchHeaders(), intervals.requestTimeout(g));
    }

    private boolean move(Round r, Decision.Move m) {
        Instant now = clock.instant();
        List<BranchUpdate> updates = r.drainDirty();
        TransactionUpdate.Builder u = TransactionUpdate.of(r.global().gid(), r.global().status(), now)
                .status(m.status()).branches(updates).expectOwner(r.owner());
        if (!m.reason().isEmpty()) {
            u.rollbackReason(m.reason());
        }
        return write(r, u.build(), updates, now);
    }

    private boolean stop(Round r, Decision.Stop s) {
        GlobalTransaction g = r.global();
        Instant now = clock.instant();
        Duration interval;
        Instant next;
        switch (s.cron()) {
            case RESET -> {
                interval = intervals.reset(g);
                next = now.plus(interval);
            }
            case KEEP -> {
                interval = r.interval();
                next = now.plus(interval);
            }
            case BACKOFF -> {
                interval = r.interval().multipliedBy(2);
                next = now.plus(interval);
            }
            case DELAY -> {
                interval = r.interval();
                next = s.until();
            }
            default -> {
                if (!r.hasDirty() && !r.intervalChanged()) {
                    return true;
                }
                interval = r.interval();
                next = g.nextCronTime();
            }
        }
        List<BranchUpdate> updates = r.drainDirty();
        TransactionUpdate.Builder u = TransactionUpdate.of(g.gid(), g.status(), now).branches(updates)
                .expectOwner(r.owner());
        u.cron(interval, next);
        return write(r, u.build(), updates, now);
    }

    /**
     * Before a branch call, makes sure no other node (nor this node's own recovery) can claim the transaction
     * while the call may still run: the lease must outlast {@link Intervals#callLease}. Also
     * pushes the next retry time out in a long round, as DTM does after 1.5 s of work. With the defaults
     * (10 s lease, 3 s request timeout) a round's first call needs no write; a {@code request_timeout} or a
     * short {@code retry_interval} that would let the lease run out mid-call costs one write here, instead of
     * a second, concurrent call of the same branch.
     *
     * @return false when the lease was lost: another node claimed the transaction, so this round must stop
     */
    private boolean renewLeaseIfDue(Round r) {
        Instant now = clock.instant();
        GlobalTransaction g = r.global();
        Duration callBound = intervals.callLease(g);
        boolean leaseCoversCall = !g.nextCronTime().isBefore(now.plus(callBound));
        if (leaseCoversCall && Duration.between(r.lastWrite(), now).compareTo(RENEW_AFTER) < 0) {
            return true;
        }
        Duration interval = intervals.reset(g);
        Instant next = now.plus(interval.compareTo(callBound) >= 0 ? interval : callBound);
        List<BranchUpdate> updates = r.drainDirty();
        return write(r, TransactionUpdate.of(g.gid(), g.status(), now).cron(interval, next)
                .branches(updates).expectOwner(r.owner()).build(), updates, now);
    }

    private boolean write(Round r, TransactionUpdate u, List<BranchUpdate> updates, Instant now) {
        boolean ok;
        try {
            ok = store.update(u);
        } catch (RuntimeException e) {
            r.restoreDirty(updates);
            throw e;
        }
        if (!ok) {
            r.restoreDirty(updates);
            LOG.debug("gid={}: lost a race writing {} (expected {}); recovery will retry", u.gid(),
                    u.newStatus().map(GlobalStatus::wireName).orElse("cron"), u.expectedStatus().wireName());
            return false;
        }
        GlobalTransaction before = r.global();
        r.global(before.apply(u));
        r.wrote(now);
        if (u.newStatus().isPresent()) {
            events.statusChanged(u.gid(), before.transType(), u.newStatus().get());
            LOG.info("gid={}: {} -> {}{}", u.gid(), before.status().wireName(), u.newStatus().get().wireName(),
                    u.rollbackReason().map(x -> " (" + x + ")").orElse(""));
        }
        return true;
    }
}
