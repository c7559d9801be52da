package io.dtm4j.core.internal;

import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.GlobalStatus;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Saga (spec 3.1). Rows are {@code [compensate 01, action 01, compensate 02, action 02, ...]}: the action
 * of step k is row 2k+1, its compensation row 2k.
 *
 * <p>Forward: a step's action may start when it is prepared and not yet called in this round, the previous
 * step's action succeeded (sequential sagas) and every step named in {@code orders[k]} succeeded. Any
 * action FAILURE, the timeout or an exhausted retry limit moves the saga to {@code aborting}.
 *
 * <p>Compensation: every step whose action is not prepared, or whose action could have started (it may
 * have run before a crash or timeout), is compensated, the failed step included; strictly in reverse for a
 * sequential saga, in reverse dependency order for a concurrent one.
 */
final class SagaProcessor implements Processor {
    private final Intervals intervals;

    SagaProcessor(Intervals intervals) {
        this.intervals = intervals;
    }

    @Override
    public Decision decide(Round r, Instant now) {
        GlobalStatus s = r.global().status();
        if (s == GlobalStatus.SUBMITTED) {
            return forward(r, now);
        }
        if (s == GlobalStatus.ABORTING) {
            return compensate(r);
        }
        return Decision.Stop.of(Decision.Cron.NONE);
    }

    private Decision forward(Round r, Instant now) {
        int steps = r.size() / 2;
        if (intervals.timedOut(r.global(), now)) {
            return new Decision.Move(GlobalStatus.ABORTING, intervals.timeoutReason(r.global()));
        }
        for (int k = 0; k < steps; k++) {
            if (r.status(action(k)) == BranchStatus.FAILED) {
                return new Decision.Move(GlobalStatus.ABORTING, r.failureReason());
            }
        }
        int limit = r.global().options().retryLimit();
        if (limit > 0) {
            for (int k = 0; k < steps; k++) {
                int a = action(k);
                if (r.called(a) && r.status(a) == BranchStatus.PREPARED) {
                    if (r.retryCount() >= limit) {
                        return new Decision.Move(GlobalStatus.ABORTING,
                                "RetryCount is greater than RetryLimit, RetryLimit: " + limit);
                    }
                    r.incrementRetryCount();
                    r.uncall(a);
                }
            }
        }
        boolean allDone = true;
        for (int k = 0; k < steps; k++) {
            allDone &= r.status(action(k)) == BranchStatus.SUCCEED;
        }
        if (allDone) {
            return new Decision.Move(GlobalStatus.SUCCEED, "");
        }
        if (now.isAfter(r.started().plus(intervals.roundLimit(r.global())))) {
            return r.stopFor(r.trouble());
        }
        List<Integer> start = new ArrayList<>();
        for (int k = 0; k < steps; k++) {
            int a = action(k);
            if (r.status(a) == BranchStatus.PREPARED && !r.called(a) && prerequisitesMet(r, k)) {
                start.add(a);
            }
        }
        return start.isEmpty() ? r.stopFor(r.trouble()) : new Decision.Call(start);
    }

    /** True when step k may start: the previous action (sequential) and its ordered prerequisites succeeded. */
    private static boolean prerequisitesMet(Round r, int k) {
        if (!r.custom().concurrent() && k > 0 && r.status(action(k - 1)) != BranchStatus.SUCCEED) {
            return false;
        }
        for (int pre : r.custom().orders().getOrDefault(k, List.of())) {
            if (r.status(action(pre)) != BranchStatus.SUCCEED) {
                return false;
            }
        }
        return true;
    }

    private Decision compensate(Round r) {
        int steps = r.size() / 2;
        List<Integer> start = new ArrayList<>();
        boolean anyNeeded = false;
        for (int k = steps - 1; k >= 0; k--) {
            if (!needsCompensation(r, k)) {
                continue;
            }
            anyNeeded = true;
            if (!r.called(compensation(k)) && laterStepsRolledBack(r, k, steps)) {
                start.add(compensation(k));
            }
        }
        if (!anyNeeded) {
            return new Decision.Move(GlobalStatus.FAILED, "");
        }
        return start.isEmpty() ? r.stopFor(r.trouble()) : new Decision.Call(start);
    }

    /** An action may have run if it is not prepared, or if it could have been started (assumed to have run). */
    private static boolean mayHaveRun(Round r, int k) {
        return r.status(action(k)) != BranchStatus.PREPARED || prerequisitesMet(r, k);
    }

    private static boolean needsCompensation(Round r, int k) {
        return r.status(compensation(k)) != BranchStatus.SUCCEED && mayHaveRun(r, k);
    }

    private static boolean rolledBack(Round r, int k) {
        return !needsCompensation(r, k);
    }

    /** True when every step that must be undone before step k (the next one, and its dependants) is. */
    private static boolean laterStepsRolledBack(Round r, int k, int steps) {
        if (!r.custom().concurrent() && k + 1 < steps && !rolledBack(r, k + 1)) {
            return false;
        }
        for (var e : r.custom().orders().entrySet()) {
            if (e.getValue().contains(k) && e.getKey() < steps && !rolledBack(r, e.getKey())) {
                return false;
            }
        }
        return true;
    }

    static int action(int step) {
        return 2 * step + 1;
    }

    static int compensation(int step) {
        return 2 * step;
    }
}
