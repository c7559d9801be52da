package io.dtm4j.core.internal;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.DtmException;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.IllegalTransitionException;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.RecoveryReport;
import io.dtm4j.core.TransOutcome;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionNotFoundException;
import io.dtm4j.core.TransactionUpdate;
import io.dtm4j.core.TransactionView;
import io.dtm4j.core.spi.BranchInvoker;
import io.dtm4j.core.spi.CoordinatorEvents;
import io.dtm4j.core.spi.CrashPoints;
import io.dtm4j.core.spi.CronReset;
import io.dtm4j.core.spi.TransactionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The coordinator's engine: request handling, background rounds and recovery. Not API: use
 * {@link io.dtm4j.core.Coordinator}. Thread-safe.
 */
public final class Engine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    private static final int FORCE_STOP_ATTEMPTS = 5;
    /** Bound on the batches one clock-jump reset makes due: 1000 x recoveryBatch transactions. */
    private static final int MAX_RESET_BATCHES = 1000;

    private final TransactionStore store;
    private final Clock clock;
    private final ExecutorService executor;
    private final boolean ownsExecutor;
    private final Intervals intervals;
    private final TransactionFactory factory;
    private final RoundRunner runner;
    private final int recoveryBatch;
    private final String owner;
    private final CoordinatorEvents events;
    /**
     * Rounds running on this node, by gid, with the global as each round began: a second round of one gid here
     * would only duplicate calls.
     */
    private final Map<String, GlobalTransaction> active = new ConcurrentHashMap<>();
    /** Leases of rounds cut short by a store failure or a stop, to give back. */
    private final StaleLeases staleLeases;
    /** This node's clock at the start of the last recovery step, to notice it going back. */
    private volatile Instant lastRecovery;

    /** Creates the engine; see {@link io.dtm4j.core.Coordinator.Builder} for the parameters. */
    public Engine(TransactionStore store, BranchInvoker invoker, Clock clock, ExecutorService executor,
                  Duration retryInterval, Duration timeoutToFail, Duration requestTimeout, int recoveryBatch,
                  String nodeId, CoordinatorEvents events) {
        this.store = store;
        this.clock = clock;
        this.ownsExecutor = executor == null;
        this.executor = executor != null ? executor : newWorkerPool();
        this.intervals = new Intervals(retryInterval, timeoutToFail, requestTimeout);
        this.factory = new TransactionFactory(intervals);
        this.events = new GuardedEvents(events);
        this.staleLeases = new StaleLeases(intervals);
        this.runner = new RoundRunner(store, invoker, clock, this.executor, intervals, this.events, staleLeases);
        this.recoveryBatch = recoveryBatch;
        this.owner = (nodeId.isEmpty() ? "node" : nodeId) + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static ExecutorService newWorkerPool() {
        AtomicInteger n = new AtomicInteger();
        return Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "dtm-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public TransactionStore store() {
        return store;
    }

    public int recoveryBatch() {
        return recoveryBatch;
    }

    public Duration retryInterval() {
        return intervals.lease();
    }

    /** See {@link io.dtm4j.core.Coordinator#prepare}. */
    public TransOutcome prepare(TransRequest req) {
        if (req.transType() == TransType.WORKFLOW) {
            throw new InvalidRequestException("gid=" + req.gid() + ": a workflow is started with prepareWorkflow");
        }
        TransactionFactory.NewTransaction t = factory.build(req, GlobalStatus.PREPARED, clock.instant());
        if (store.insert(t.global(), t.branches())) {
            CrashPoints.reached(CrashPoints.AFTER_INTENT);
            LOG.info("gid={}: prepared {}", req.gid(), req.transType().wireName());
            events.statusChanged(req.gid(), req.transType(), GlobalStatus.PREPARED);
            return TransOutcome.success(GlobalStatus.PREPARED);
        }
        GlobalTransaction existing = existing(req.gid());
        if (existing.status() != GlobalStatus.PREPARED) {
            throw new IllegalTransitionException(req.gid(), "current status '" + existing.status().wireName()
                    + "', cannot prepare");
        }
        return TransOutcome.success(GlobalStatus.PREPARED);
    }

    /** See {@link io.dtm4j.core.Coordinator#submit}. */
    public TransOutcome submit(TransRequest req) {
        if (req.transType() == TransType.WORKFLOW) {
            return finishWorkflow(req);
        }
        TransactionFactory.NewTransaction t = factory.build(req, GlobalStatus.SUBMITTED, clock.instant());
        boolean wait = req.options().waitResult();
        // TCC, XA and most msgs were prepared before their submit: a read finds them, where an insert that
        // changes nothing would still cost the store a commit. A saga is new at its submit: insert at once.
        Optional<GlobalTransaction> known = req.transType() == TransType.SAGA ? Optional.empty()
                : store.findGlobal(req.gid());
        if (known.isEmpty() && store.insert(t.global(), t.branches())) {
            CrashPoints.reached(CrashPoints.AFTER_INTENT);
            LOG.info("gid={}: submitted {} ({} branch rows)", req.gid(), req.transType().wireName(),
                    t.branches().size());
            events.statusChanged(req.gid(), req.transType(), GlobalStatus.SUBMITTED);
            return process(t.global(), t.branches(), wait, false);
        }
        GlobalTransaction g = known.orElseGet(() -> existing(req.gid()));
        if (g.transType() != req.transType()) {
            throw new IllegalTransitionException(req.gid(), "is a " + g.transType().wireName()
                    + " transaction, cannot submit it as " + req.transType().wireName());
        }
        wait |= g.options().waitResult();
        if (g.status() == GlobalStatus.PREPARED) {
            TransactionUpdate u = TransactionUpdate.of(g.gid(), GlobalStatus.PREPARED, clock.instant())
                    .status(GlobalStatus.SUBMITTED).build();
            if (!store.update(u)) {
                return lostRace(g.gid());
            }
            LOG.info("gid={}: prepared -> submitted", g.gid());
            events.statusChanged(g.gid(), g.transType(), GlobalStatus.SUBMITTED);
            g = g.apply(u);
        } else if (g.status() != GlobalStatus.SUBMITTED) {
            throw new IllegalTransitionException(req.gid(), "current status '" + g.status().wireName()
                    + "', cannot submit");
        }
        // A re-submitted transaction is processed from its stored branches, never from the request (G7).
        return process(g, store.findBranches(g.gid()), wait, false);
    }

    /** See {@link io.dtm4j.core.Coordinator#abort}. */
    public TransOutcome abort(TransRequest req) {
        GlobalTransaction g = existing(req.gid());
        Instant now = clock.instant();
        String reason = req.rollbackReason();
        if (g.transType() == TransType.MSG && g.status() == GlobalStatus.PREPARED) {
            TransactionUpdate.Builder u = TransactionUpdate.of(g.gid(), GlobalStatus.PREPARED, now)
                    .status(GlobalStatus.FAILED);
            if (!reason.isEmpty()) {
                u.rollbackReason(reason);
            }
            if (!store.update(u.build())) {
                return lostRace(g.gid());
            }
            LOG.info("gid={}: prepared -> failed (aborted)", g.gid());
            events.statusChanged(g.gid(), g.transType(), GlobalStatus.FAILED);
            return TransOutcome.success(GlobalStatus.FAILED);
        }
        boolean abortable = (req.transType() == TransType.TCC || req.transType() == TransType.XA)
                && g.transType() == req.transType()
                && (g.status() == GlobalStatus.PREPARED || g.status() == GlobalStatus.ABORTING);
        if (!abortable) {
            throw new IllegalTransitionException(req.gid(), "trans type: '" + g.transType().wireName()
                    + "' current status '" + g.status().wireName() + "', cannot abort");
        }
        if (g.status() == GlobalStatus.PREPARED) {
            TransactionUpdate.Builder u = TransactionUpdate.of(g.gid(), GlobalStatus.PREPARED, now)
                    .status(GlobalStatus.ABORTING);
            if (!reason.isEmpty()) {
                u.rollbackReason(reason);
            }
            TransactionUpdate built = u.build();
            if (!store.update(built)) {
                return lostRace(g.gid());
            }
            LOG.info("gid={}: prepared -> aborting{}", g.gid(), reason.isEmpty() ? "" : " (" + reason + ")");
            events.statusChanged(g.gid(), g.transType(), GlobalStatus.ABORTING);
            g = g.apply(built);
        }
        return process(g, store.findBranches(g.gid()), g.options().waitResult(), true);
    }

    /** See {@link io.dtm4j.core.Coordinator#prepareWorkflow}. */
    public TransactionView prepareWorkflow(TransRequest req) {
        if (req.transType() != TransType.WORKFLOW) {
            throw new InvalidRequestException("gid=" + req.gid() + ": prepareWorkflow takes a workflow, not "
                    + req.transType().wireName());
        }
        TransactionFactory.NewTransaction t = factory.build(req, GlobalStatus.PREPARED, clock.instant());
        if (store.insert(t.global(), t.branches())) {
            CrashPoints.reached(CrashPoints.AFTER_INTENT);
            LOG.info("gid={}: prepared workflow", req.gid());
            events.statusChanged(req.gid(), req.transType(), GlobalStatus.PREPARED);
        }
        return query(req.gid()).orElseThrow(() -> new TransactionNotFoundException(req.gid()));
    }

    /** See {@link io.dtm4j.core.Coordinator#registerBranch}. */
    public void registerBranch(BranchRegistration reg) {
        List<Branch> rows = factory.registered(reg, clock.instant());
        if (!store.appendBranches(reg.gid(), GlobalStatus.PREPARED, reg.transType(), rows)) {
            // Only the refusal reads the global, to say why; a type never changes once the global exists.
            Optional<GlobalTransaction> g = store.findGlobal(reg.gid());
            if (g.isPresent() && g.get().transType() != reg.transType()) {
                throw new IllegalTransitionException(reg.gid(), "gid=" + reg.gid() + " is a "
                        + g.get().transType().wireName() + " transaction; a " + reg.transType().wireName()
                        + " branch cannot be registered to it");
            }
            throw new IllegalTransitionException(reg.gid(), "no trans with gid: " + reg.gid()
                    + " status: prepared found");
        }
    }

    /** See {@link io.dtm4j.core.Coordinator#query}. */
    public Optional<TransactionView> query(String gid) {
        return store.findGlobal(gid).map(g -> new TransactionView(g, store.findBranches(gid)));
    }

    /** See {@link io.dtm4j.core.Coordinator#forceStop}. */
    public void forceStop(String gid, String reason) {
        for (int attempt = 0; attempt < FORCE_STOP_ATTEMPTS; attempt++) {
            GlobalTransaction g = store.findGlobal(gid).orElseThrow(() -> new TransactionNotFoundException(gid));
            if (g.status().isFinal()) {
                throw new IllegalTransitionException(gid, "global transaction force stop error. status: "
                        + g.status().wireName());
            }
            TransactionUpdate.Builder u = TransactionUpdate.of(gid, g.status(), clock.instant())
                    .status(GlobalStatus.FAILED);
            if (reason != null && !reason.isEmpty()) {
                u.rollbackReason(reason);
            }
            if (store.update(u.build())) {
                LOG.info("gid={}: {} -> failed (force stop)", gid, g.status().wireName());
                events.statusChanged(gid, g.transType(), GlobalStatus.FAILED);
                return;
            }
        }
        throw new DtmException("gid=" + gid + ": force stop kept losing races with running processing; try again");
    }

    /** See {@link io.dtm4j.core.Coordinator#retryNow}. */
    public void retryNow(String gid) {
        if (!store.retryNow(gid, clock.instant())) {
            throw new TransactionNotFoundException(gid);
        }
    }

    /** See {@link io.dtm4j.core.Coordinator#resetCronTime}. */
    public CronReset resetCronTime(Duration after, int limit) {
        if (limit < 1) {
            throw new InvalidRequestException("limit must be positive, got " + limit);
        }
        return store.resetCronTime(clock.instant(), after, limit);
    }

    /** See {@link io.dtm4j.core.Coordinator#recoverOnce}. */
    public RecoveryReport recoverOnce() {
        Instant now = clock.instant();
        unparkIfClockWentBack(now);
        int released = staleLeases.release(store, now);
        if (released > 0) {
            LOG.info("{} transactions whose round was cut short by a store failure are due again", released);
        }
        List<GlobalTransaction> claimed = store.claimDue(now, intervals.lease(), owner, recoveryBatch);
        List<CompletableFuture<Boolean>> rounds = new ArrayList<>(claimed.size());
        int skipped = 0;
        for (GlobalTransaction g : claimed) {
            if (active.containsKey(g.gid())) {
                skipped++;
                continue;
            }
            rounds.add(CompletableFuture.supplyAsync(() -> recoverOne(g), executor));
        }
        int finished = 0;
        for (CompletableFuture<Boolean> f : rounds) {
            if (f.join()) {
                finished++;
            }
        }
        return new RecoveryReport(claimed.size(), finished, skipped);
    }

    /**
     * When this node's clock went back by more than a lease since the last recovery step (an NTP step, a restored
     * VM), what it had scheduled on the old time would wait the length of the jump: makes every transaction
     * scheduled further than a lease ahead due now. For the others that is a retry earlier than planned, which
     * branches tolerate anyway; time-based decisions (timeouts, msg delays) are not affected.
     */
    private void unparkIfClockWentBack(Instant now) {
        Instant last = lastRecovery;
        if (last != null && now.isBefore(last.minus(intervals.lease()))) {
            int count = 0;
            boolean remaining = true;
            for (int i = 0; i < MAX_RESET_BATCHES && remaining; i++) {
                CronReset r = store.resetCronTime(now, intervals.lease(), recoveryBatch);
                count += r.count();
                remaining = r.hasRemaining();
            }
            LOG.warn("this node's clock went back by {} s since the last recovery step; {} transactions scheduled on"
                    + " the old time are due now{}", Duration.between(now, last).toSeconds(), count,
                    remaining ? " (more remain: call resetCronTime)" : "");
        }
        // only after the reset: a store failure in it leaves the jump to be noticed again at the next step
        lastRecovery = now;
    }

    /** See {@link io.dtm4j.core.Coordinator#purgeOnce}. */
    public int purgeOnce(Duration olderThan, int batch) {
        Instant cutoff = clock.instant().minus(olderThan);
        int removed = store.purgeFinished(cutoff, batch);
        if (removed > 0) {
            LOG.debug("retention: removed {} transactions finished before {}", removed, cutoff);
        }
        return removed;
    }

    private boolean recoverOne(GlobalTransaction g) {
        try {
            RoundResult r = runGuarded(g, store.findBranches(g.gid()));
            return r != null && r.global().status().isFinal();
        } catch (DtmException e) {
            LOG.warn("gid={}: recovery round failed, will retry: {}", g.gid(), e.getMessage());
            return false;
        } catch (RuntimeException e) {
            LOG.error("gid={}: recovery round failed unexpectedly, will retry", g.gid(), e);
            return false;
        }
    }

    private TransOutcome process(GlobalTransaction g, List<Branch> branches, boolean wait, boolean abort) {
        if (!wait) {
            try {
                executor.execute(() -> background(g, branches));
            } catch (RejectedExecutionException e) {
                LOG.warn("gid={}: coordinator is closing; recovery will process it", g.gid());
            }
            return TransOutcome.success(g.status());
        }
        RoundResult r = runGuarded(g, branches);
        if (r == null) {
            return new TransOutcome(TransOutcome.Kind.ONGOING, g.status(),
                    "gid=" + g.gid() + ": being processed by another request on this node");
        }
        return outcome(r, abort);
    }

    private void background(GlobalTransaction g, List<Branch> branches) {
        try {
            runGuarded(g, branches);
        } catch (DtmException e) {
            LOG.warn("gid={}: processing failed, recovery will retry: {}", g.gid(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("gid={}: processing failed unexpectedly, recovery will retry", g.gid(), e);
        }
    }

    /** Runs a round unless one is already running for the gid on this node; then returns null. */
    private RoundResult runGuarded(GlobalTransaction g, List<Branch> branches) {
        if (active.putIfAbsent(g.gid(), g) != null) {
            return null;
        }
        try {
            return runner.run(g, branches);
        } finally {
            active.remove(g.gid());
        }
    }

    /** Maps a round to what the caller sees (spec 1.4 submit/abort with wait_result, G6). */
    private static TransOutcome outcome(RoundResult r, boolean abort) {
        GlobalTransaction g = r.global();
        if (r.lostRace()) {
            return new TransOutcome(TransOutcome.Kind.ERROR, g.status(), "gid=" + g.gid()
                    + ": changed concurrently by another request; recovery will continue it");
        }
        if (g.transType() != TransType.SAGA || abort) {
            if (r.trouble() == Trouble.ONGOING) {
                return new TransOutcome(TransOutcome.Kind.ONGOING, g.status(), "gid=" + g.gid()
                        + ": a branch answered ONGOING; it will be retried");
            }
            if (r.trouble() == Trouble.ERROR) {
                return new TransOutcome(TransOutcome.Kind.ERROR, g.status(), "gid=" + g.gid()
                        + ": a branch gave a temporary error; it will be retried with back-off");
            }
        }
        if (g.status() == GlobalStatus.SUCCEED || (abort && g.status() == GlobalStatus.FAILED)) {
            return TransOutcome.success(g.status());
        }
        String msg = g.rollbackReason().isEmpty() ? "wait result not return success" : g.rollbackReason();
        return new TransOutcome(TransOutcome.Kind.FAILURE, g.status(), msg);
    }

    private TransOutcome finishWorkflow(TransRequest req) {
        GlobalStatus target = GlobalStatus.fromWireName(req.reqExtra().getOrDefault("status", ""));
        if (!target.isFinal()) {
            throw new InvalidRequestException("gid=" + req.gid() + ": req_extra.status must be succeed or failed");
        }
        TransactionUpdate.Builder u = TransactionUpdate.of(req.gid(), GlobalStatus.PREPARED, clock.instant())
                .status(target);
        String reason = req.reqExtra().getOrDefault("rollback_reason", "");
        String result = req.reqExtra().getOrDefault("result", "");
        if (!reason.isEmpty()) {
            u.rollbackReason(reason);
        }
        if (!result.isEmpty()) {
            u.result(result);
        }
        if (!store.update(u.build())) {
            GlobalTransaction g = existing(req.gid());
            throw new IllegalTransitionException(req.gid(), "current status '" + g.status().wireName()
                    + "', cannot finish the workflow");
        }
        LOG.info("gid={}: prepared -> {} (workflow)", req.gid(), target.wireName());
        events.statusChanged(req.gid(), req.transType(), target);
        return TransOutcome.success(target);
    }

    private TransOutcome lostRace(String gid) {
        GlobalStatus now = store.statusOf(gid).orElse(GlobalStatus.FAILED);
        return new TransOutcome(TransOutcome.Kind.ERROR, now, "gid=" + gid
                + ": changed concurrently by another request (now " + now.wireName() + "); retry the request");
    }

    private GlobalTransaction existing(String gid) {
        return store.findGlobal(gid).orElseThrow(() -> new TransactionNotFoundException(gid));
    }

    @Override
    public void close() {
        if (!ownsExecutor) {
            return;
        }
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                executor.shutdownNow();
                giveBackLeasesOfUnfinishedRounds();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
        }
    }

    /**
     * Rounds still running after the grace are cut off by the exit; their leases (which may cover a long call)
     * are given back so that the next node to run retries them at once. Only where the round has not written a
     * new status or lost its lease meanwhile; a store failure here leaves them to their leases.
     */
    private void giveBackLeasesOfUnfinishedRounds() {
        Instant now = clock.instant();
        List<GlobalTransaction> unfinished = List.copyOf(active.values());
        unfinished.forEach(staleLeases::add);
        try {
            int released = staleLeases.release(store, now);
            LOG.info("stopping with {} rounds unfinished; {} of them due again for the next node", unfinished.size(),
                    released);
        } catch (RuntimeException e) {
            LOG.warn("stopping with {} rounds unfinished; they wait for their leases: {}", unfinished.size(),
                    e.toString());
        }
    }
}
