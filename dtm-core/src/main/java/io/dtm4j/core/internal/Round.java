package io.dtm4j.core.internal;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.BranchUpdate;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.TransType;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The in-memory state of one processing round of one transaction: branch statuses as learnt so far,
 * which rows were called in this round and what they answered, and which statuses are not yet written.
 * Confined to the thread running the round.
 */
final class Round {
    private GlobalTransaction global;
    private final List<Branch> branches;
    private final BranchStatus[] status;
    private final BranchOutcome[] outcome;
    private final TreeSet<Integer> dirty = new TreeSet<>();
    private final CustomData custom;
    private final Instant started;
    private Instant lastWrite;
    private BranchOutcome backCheck;
    private int retryCount;
    private String failureReason = "";
    private Duration interval;
    /** The lease owner when the round began; every write of the round requires it unchanged. */
    private final String owner;

    Round(GlobalTransaction global, List<Branch> branches, Instant now) {
        this.global = global;
        this.branches = List.copyOf(branches);
        this.status = new BranchStatus[branches.size()];
        this.outcome = new BranchOutcome[branches.size()];
        for (int i = 0; i < status.length; i++) {
            status[i] = branches.get(i).status();
        }
        this.custom = CustomData.parse(global.customData());
        this.started = now;
        this.lastWrite = now;
        this.interval = global.nextCronInterval();
        this.owner = global.owner();
    }

    /** The lease owner the round started under. */
    String owner() {
        return owner;
    }

    /** The current retry interval (back-off state) as this round knows it; may differ from the stored one. */
    Duration interval() {
        return interval;
    }

    /** After a success, a backed-off interval returns to the base one (spec 3.0, cron bookkeeping). */
    void resetIntervalIfGrown(Duration base) {
        if (interval.compareTo(base) > 0) {
            interval = base;
        }
    }

    /** True when the round's interval is not the stored one and must be written. */
    boolean intervalChanged() {
        return !interval.equals(global.nextCronInterval());
    }

    GlobalTransaction global() {
        return global;
    }

    void global(GlobalTransaction g) {
        this.global = g;
    }

    TransType type() {
        return global.transType();
    }

    CustomData custom() {
        return custom;
    }

    Instant started() {
        return started;
    }

    int size() {
        return branches.size();
    }

    Branch branch(int i) {
        return branches.get(i);
    }

    BranchStatus status(int i) {
        return status[i];
    }

    BranchOp op(int i) {
        return branches.get(i).op();
    }

    /** True when row {@code i} was called in this round. */
    boolean called(int i) {
        return outcome[i] != null;
    }

    /** Forgets that row {@code i} was called, so it may be called again in this round (retry_limit). */
    void uncall(int i) {
        outcome[i] = null;
    }

    Optional<BranchOutcome> outcome(int i) {
        return Optional.ofNullable(outcome[i]);
    }

    /** Records what row {@code i} answered and the status that follows from it (spec 3.0, execBranch). */
    void record(int i, BranchOutcome o) {
        outcome[i] = o;
        Branch b = branches.get(i);
        if (o.result() == BranchResult.SUCCESS) {
            setStatus(i, BranchStatus.SUCCEED);
        } else if (o.result() == BranchResult.FAILURE && type() == TransType.SAGA && b.op() == BranchOp.ACTION) {
            setStatus(i, BranchStatus.FAILED);
            // DTM's reason text (spec 3.1 step 5): Go wraps the answer as "<body>. FAILURE".
            failureReason = "url:" + b.url() + " return failed: " + o.detail() + ". FAILURE";
        }
    }

    private void setStatus(int i, BranchStatus s) {
        if (status[i] != s) {
            status[i] = s;
            dirty.add(i);
        }
    }

    /** The trouble among rows called this round that are still prepared: any error beats ONGOING. */
    Trouble trouble() {
        Trouble t = Trouble.NONE;
        for (int i = 0; i < outcome.length; i++) {
            if (outcome[i] != null && status[i] == BranchStatus.PREPARED) {
                if (outcome[i].result() == BranchResult.ONGOING) {
                    t = t == Trouble.NONE ? Trouble.ONGOING : t;
                } else {
                    t = Trouble.ERROR;
                }
            }
        }
        return t;
    }

    /** Maps trouble to the schedule of the next attempt. */
    Decision.Stop stopFor(Trouble t) {
        return Decision.Stop.of(switch (t) {
            case NONE -> Decision.Cron.NONE;
            case ONGOING -> Decision.Cron.KEEP;
            case ERROR -> Decision.Cron.BACKOFF;
        });
    }

    BranchOutcome backCheck() {
        return backCheck;
    }

    /** What the back-check of this round answered, as trouble: none when it succeeded or was not made. */
    Trouble backCheckTrouble() {
        if (backCheck == null || backCheck.result() == BranchResult.SUCCESS) {
            return Trouble.NONE;
        }
        return backCheck.result() == BranchResult.ONGOING ? Trouble.ONGOING : Trouble.ERROR;
    }

    void backCheck(BranchOutcome o) {
        this.backCheck = o;
    }

    int retryCount() {
        return retryCount;
    }

    void incrementRetryCount() {
        retryCount++;
    }

    /** The reason of the saga action that failed in this round, or {@code fail message lost}. */
    String failureReason() {
        return failureReason.isEmpty() ? "fail message lost" : failureReason;
    }

    boolean hasDirty() {
        return !dirty.isEmpty();
    }

    /** Returns the unwritten status changes and forgets them (they are about to be written). */
    List<BranchUpdate> drainDirty() {
        List<BranchUpdate> out = new ArrayList<>(dirty.size());
        for (int i : dirty) {
            Branch b = branches.get(i);
            out.add(new BranchUpdate(b.branchId(), b.op(), status[i]));
        }
        dirty.clear();
        return out;
    }

    /** Puts back updates whose write failed, so a later write may carry them. */
    void restoreDirty(List<BranchUpdate> updates) {
        for (BranchUpdate u : updates) {
            for (int i = 0; i < branches.size(); i++) {
                if (branches.get(i).is(u.branchId(), u.op())) {
                    dirty.add(i);
                }
            }
        }
    }

    Instant lastWrite() {
        return lastWrite;
    }

    void wrote(Instant now) {
        this.lastWrite = now;
    }
}
