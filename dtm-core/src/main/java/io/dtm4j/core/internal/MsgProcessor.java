package io.dtm4j.core.internal;

import io.dtm4j.core.BranchResult;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.GlobalStatus;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Two-phase message (spec 3.2). A prepared msg past its timeout is back-checked: SUCCESS submits it,
 * FAILURE fails it, anything else tries again later. A submitted msg calls its actions (after the
 * optional delay), in order and stopping at the first trouble, or all at once when concurrent; it never
 * fails: FAILURE from an action is retried like an error.
 */
final class MsgProcessor implements Processor {
    private final Intervals intervals;

    MsgProcessor(Intervals intervals) {
        this.intervals = intervals;
    }

    @Override
    public Decision decide(Round r, Instant now) {
        GlobalStatus s = r.global().status();
        if (s == GlobalStatus.PREPARED) {
            return backCheck(r, now);
        }
        if (s != GlobalStatus.SUBMITTED) {
            return Decision.Stop.of(Decision.Cron.NONE);
        }
        Instant notBefore = r.global().createTime().plus(r.custom().delay());
        if (now.isBefore(notBefore)) {
            return new Decision.Stop(Decision.Cron.DELAY, notBefore);
        }
        List<Integer> pending = new ArrayList<>();
        for (int i = 0; i < r.size(); i++) {
            if (r.status(i) != BranchStatus.SUCCEED) {
                if (r.called(i)) {
                    return r.stopFor(r.trouble());
                }
                pending.add(i);
            }
        }
        if (pending.isEmpty()) {
            return new Decision.Move(GlobalStatus.SUCCEED, "");
        }
        boolean concurrent = r.global().options().concurrent();
        return new Decision.Call(concurrent ? pending : List.of(pending.get(0)));
    }

    private Decision backCheck(Round r, Instant now) {
        if (!intervals.timedOut(r.global(), now)) {
            return Decision.Stop.of(Decision.Cron.NONE);
        }
        if (r.backCheck() == null) {
            return new Decision.BackCheck();
        }
        BranchResult result = r.backCheck().result();
        return switch (result) {
            case SUCCESS -> new Decision.Move(GlobalStatus.SUBMITTED, "");
            case FAILURE -> new Decision.Move(GlobalStatus.FAILED, "query_prepared answered FAILURE: "
                    + r.backCheck().detail());
            case ONGOING -> Decision.Stop.of(Decision.Cron.RESET);
            case ERROR -> Decision.Stop.of(Decision.Cron.BACKOFF);
        };
    }
}
