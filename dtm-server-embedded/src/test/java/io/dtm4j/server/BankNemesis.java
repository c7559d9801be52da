package io.dtm4j.server;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The nemesis of {@link BankInvariantIT}: a schedule of faults drawn from the seed, each due when the workers have
 * started a given number of transfers (progress, not wall time, so that a slow machine sees the same schedule),
 * run by one thread of its own:
 * <ul>
 *   <li>{@link Kind#KILL_COORDINATOR}: SIGKILL of the coordinator, a moment of nothing, a restart on the same store
 *       and port (C2 #1);</li>
 *   <li>{@link Kind#PAUSE_COORDINATOR}: SIGSTOP for a few seconds, then SIGCONT (Jepsen's process pause);</li>
 *   <li>{@link Kind#BRANCH_ERROR}, {@link Kind#BRANCH_ONGOING}: a bank route answers 500 or ONGOING for its next
 *       calls (C2 #6, #8);</li>
 *   <li>{@link Kind#BRANCH_SLOW}: a route holds its next calls past the request timeout before it runs them, so
 *       the retry overtakes the original (C2 #9);</li>
 *   <li>{@link Kind#DROP_REPLY}: a route commits, then drops the reply: the retry is a duplicate (C2 #10);</li>
 *   <li>{@link Kind#LATE_TRY}: a TCC try is held past the client's try timeout, so the client aborts and the cancel
 *       arrives before the try (null compensation, then a hanging try: C2 #11);</li>
 *   <li>{@link Kind#CLIENT_CRASH}: the next msg or workflow clients stop half-way as if their process died (after
 *       the prepare or the local commit; after the first step), so the coordinator's back-check or resume must
 *       finish them;</li>
 *   <li>{@link Kind#FREEZE_DATABASE}: SIGSTOP of the bank's database server for a few seconds, then SIGCONT (C2 #4
 *       on the business side), only when the bank runs on a database instance of its own.</li>
 * </ul>
 * Every fault is bounded in calls and time; {@link #stop} disarms what is left and resumes a paused coordinator.
 */
final class BankNemesis {
    /** Longer than the coordinator's and the SDK's request timeout (3 s), shorter than the SDK's call timeout. */
    static final long SLOW_MILLIS = 4_500;
    /** A faulty route stays faulty at most this long. */
    private static final long FAULT_WINDOW_MILLIS = 6_000;

    /** The kinds of fault. */
    enum Kind {
        KILL_COORDINATOR(1), PAUSE_COORDINATOR(1), BRANCH_ERROR(2), BRANCH_ONGOING(2), BRANCH_SLOW(2), DROP_REPLY(2),
        LATE_TRY(1), CLIENT_CRASH(2), FREEZE_DATABASE(1);

        /** Relative frequency beyond the first of each kind. */
        final int weight;

        Kind(int weight) {
            this.weight = weight;
        }
    }

    /** One fault: due once {@code atTransfer} transfers were started. */
    record Step(int atTransfer, Kind kind, String route, int times, long millis) {
        /** The fault's target and size, e.g. {@code TransOut x2 6000ms @40} (at transfer 40). */
        String detail() {
            return (route.isEmpty() ? "" : route + " ") + (times == 0 ? "" : "x" + times + " ") + millis + "ms @"
                    + atTransfer;
        }
    }

    private final List<Step> steps;
    private final BankCoordinator coordinator;
    private final BankService bank;
    private final BankHistory history;
    private final BankWorkload clients;
    private final DatabaseFreezer freezer;
    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean stopping;

    /** Freezes the bank's database for a while (SIGSTOP, wait, SIGCONT). */
    @FunctionalInterface
    interface DatabaseFreezer {
        void freezeFor(long millis) throws Exception;
    }

    BankNemesis(List<Step> steps, BankCoordinator coordinator, BankService bank, BankHistory history,
                BankWorkload clients, DatabaseFreezer freezer) {
        this.freezer = freezer;
        this.steps = List.copyOf(steps);
        this.coordinator = coordinator;
        this.bank = bank;
        this.history = history;
        this.clients = clients;
        this.thread = new Thread(this::run, "bank-nemesis");
        this.thread.setDaemon(true);
    }

    /**
     * {@code faults} steps of the given kinds at transfers spread over 5 %..85 % of {@code transfers}: every kind
     * once first (when there are enough faults), then kinds by weight.
     */
    static List<Step> schedule(Random rnd, int transfers, int faults, Set<Kind> allowed) {
        if (allowed.isEmpty()) {
            return List.of();
        }
        List<Kind> kinds = new ArrayList<>();
        if (faults >= allowed.size()) {
            kinds.addAll(allowed);
        }
        List<Kind> weighted = new ArrayList<>();
        for (Kind k : allowed) {
            for (int i = 0; i < k.weight; i++) {
                weighted.add(k);
            }
        }
        while (kinds.size() < faults) {
            kinds.add(weighted.get(rnd.nextInt(weighted.size())));
        }
        Collections.shuffle(kinds, rnd);
        List<Step> out = new ArrayList<>();
        int lo = Math.max(1, transfers / 20);
        int span = Math.max(1, transfers * 85 / 100 - lo);
        for (Kind k : kinds) {
            out.add(step(rnd, k, lo + rnd.nextInt(span)));
        }
        out.sort(Comparator.comparingInt(Step::atTransfer));
        return out;
    }

    private static Step step(Random rnd, Kind k, int at) {
        String route = BankService.ROUTES.get(rnd.nextInt(BankService.ROUTES.size()));
        return switch (k) {
            case KILL_COORDINATOR -> new Step(at, k, "", 0, rnd.nextInt(1500));
            case PAUSE_COORDINATOR, FREEZE_DATABASE -> new Step(at, k, "", 0, 1500 + rnd.nextInt(2500));
            case CLIENT_CRASH -> new Step(at, k, "", 1 + rnd.nextInt(3), 0);
            case BRANCH_ERROR, BRANCH_ONGOING -> new Step(at, k, route, 1 + rnd.nextInt(4), FAULT_WINDOW_MILLIS);
            case BRANCH_SLOW -> new Step(at, k, route, 1 + rnd.nextInt(2), SLOW_MILLIS);
            case DROP_REPLY -> new Step(at, k, route, 1 + rnd.nextInt(3), FAULT_WINDOW_MILLIS);
            case LATE_TRY -> new Step(at, k, BankService.TRY_ROUTES.get(rnd.nextInt(BankService.TRY_ROUTES.size())),
                    1 + rnd.nextInt(2), SLOW_MILLIS + 500);
        };
    }

    void start() {
        thread.start();
    }

    /**
     * Stops after the step in progress, which is not interrupted (a restart half-done would leave no coordinator),
     * waiting at most {@code 2 x DtmChild.START_BOUND}; then disarms the bank.
     */
    void stop() throws InterruptedException {
        stopping = true;
        thread.join(2 * DtmChild.START_BOUND.toMillis());
        bank.disarmAll();
    }

    /** What made the nemesis thread fail, if anything (a restart that did not come up). */
    Throwable failure() {
        return failure.get();
    }

    private void run() {
        try {
            for (Step s : steps) {
                while (clients.started() < s.atTransfer()) {
                    if (stopping) {
                        return;
                    }
                    Thread.sleep(20);
                }
                inject(s);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            failure.set(t);
        }
    }

    private void inject(Step s) throws Exception {
        history.fault(s.kind().name(), s.detail());
        switch (s.kind()) {
            case KILL_COORDINATOR -> coordinator.killAndRestart(s.millis());
            case PAUSE_COORDINATOR -> coordinator.pause(s.millis());
            case BRANCH_ERROR -> bank.arm(s.route(), BankService.Fault.ERROR, s.times(), s.millis(), 0);
            case BRANCH_ONGOING -> bank.arm(s.route(), BankService.Fault.ONGOING, s.times(), s.millis(), 0);
            case BRANCH_SLOW, LATE_TRY -> bank.arm(s.route(), BankService.Fault.SLOW, s.times(), FAULT_WINDOW_MILLIS,
                    s.millis());
            case DROP_REPLY -> bank.arm(s.route(), BankService.Fault.DROP_REPLY, s.times(), s.millis(), 0);
            case FREEZE_DATABASE -> freezer.freezeFor(s.millis());
            case CLIENT_CRASH -> clients.crashNext(s.times());
            default -> throw new IllegalStateException(s.kind().name());
        }
    }
}
