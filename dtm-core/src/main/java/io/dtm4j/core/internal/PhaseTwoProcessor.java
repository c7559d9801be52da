package io.dtm4j.core.internal;

import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.GlobalStatus;

import java.time.Instant;
import java.util.List;

/**
 * TCC and XA (spec 3.3, 3.4): a prepared transaction past its timeout is aborted; a submitted one runs
 * every registered confirm (tcc, last row first) or commit (xa, first row first); an aborting one every
 * cancel or rollback. One row at a time, stopping the round at the first trouble. These ops never fail:
 * FAILURE is retried.
 */
final class PhaseTwoProcessor implements Processor {
    private final Intervals intervals;
    private final BranchOp commitOp;
    private final BranchOp rollbackOp;
    private final boolean lastFirst;

    private PhaseTwoProcessor(Intervals intervals, BranchOp commitOp, BranchOp rollbackOp, boolean lastFirst) {
        this.intervals = intervals;
        this.commitOp = commitOp;
        this.rollbackOp = rollbackOp;
        this.lastFirst = lastFirst;
    }

    static PhaseTwoProcessor tcc(Intervals intervals) {
        return new PhaseTwoProcessor(intervals, BranchOp.CONFIRM, BranchOp.CANCEL, true);
    }

    static PhaseTwoProcessor xa(Intervals intervals) {
        return new PhaseTwoProcessor(intervals, BranchOp.COMMIT, BranchOp.ROLLBACK, false);
    }

    @Override
    public Decision decide(Round r, Instant now) {
        GlobalStatus s = r.global().status();
        if (s == GlobalStatus.PREPARED) {
            return intervals.timedOut(r.global(), now)
                    ? new Decision.Move(GlobalStatus.ABORTING, intervals.timeoutReason(r.global()))
                    : Decision.Stop.of(Decision.Cron.NONE);
        }
        if (s != GlobalStatus.SUBMITTED && s != GlobalStatus.ABORTING) {
            return Decision.Stop.of(Decision.Cron.NONE);
        }
        BranchOp op = s == GlobalStatus.SUBMITTED ? commitOp : rollbackOp;
        int n = r.size();
        for (int j = 0; j < n; j++) {
            int i = lastFirst ? n - 1 - j : j;
            if (r.op(i) != op || r.status(i) == BranchStatus.SUCCEED) {
                continue;
            }
            return r.called(i) ? r.stopFor(r.trouble()) : new Decision.Call(List.of(i));
        }
        return new Decision.Move(s == GlobalStatus.SUBMITTED ? GlobalStatus.SUCCEED : GlobalStatus.FAILED, "");
    }
}
