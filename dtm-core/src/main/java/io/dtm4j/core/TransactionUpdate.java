package io.dtm4j.core;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One atomic, compare-and-set change of a global transaction and some of its branches: applied only if
 * the stored status still equals {@link #expectedStatus()}. This single shape carries a status change,
 * a cron touch and branch-status writes, so the engine folds what it learnt into as few writes as possible
 * (a happy saga: the intent insert, then one update).
 *
 * @param gid             the transaction
 * @param expectedStatus  the status it must still have
 * @param newStatus       the status to move to, if any (must be legal from expectedStatus)
 * @param now             the time of the change; becomes {@code update_time}, and {@code finish_time} /
 *                        {@code rollback_time} when moving to succeed / failed
 * @param rollbackReason  a new rollback reason, if any
 * @param result          a new workflow result, if any
 * @param nextCronInterval a new retry interval, if any
 * @param nextCronTime    a new next-cron time, if any
 * @param branchUpdates   new statuses of existing branch rows ({@code finish_time} = now)
 * @param expectedOwner   when present, the lease owner it must still have: a round started under one lease
 *                        must not write after another node claimed the transaction
 */
public record TransactionUpdate(
        String gid,
        GlobalStatus expectedStatus,
        Optional<GlobalStatus> newStatus,
        Instant now,
        Optional<String> rollbackReason,
        Optional<String> result,
        Optional<Duration> nextCronInterval,
        Optional<Instant> nextCronTime,
        List<BranchUpdate> branchUpdates,
        Optional<String> expectedOwner) {

    public TransactionUpdate {
        Objects.requireNonNull(gid, "gid");
        Objects.requireNonNull(expectedStatus, "expectedStatus");
        newStatus = newStatus == null ? Optional.empty() : newStatus;
        Objects.requireNonNull(now, "now");
        rollbackReason = rollbackReason == null ? Optional.empty() : rollbackReason;
        result = result == null ? Optional.empty() : result;
        nextCronInterval = nextCronInterval == null ? Optional.empty() : nextCronInterval;
        nextCronTime = nextCronTime == null ? Optional.empty() : nextCronTime;
        branchUpdates = branchUpdates == null ? List.of() : List.copyOf(branchUpdates);
        expectedOwner = expectedOwner == null ? Optional.empty() : expectedOwner;
        if (newStatus.isPresent() && !expectedStatus.canMoveTo(newStatus.get())) {
            throw new IllegalTransitionException(gid, "cannot move from " + expectedStatus.wireName() + " to "
                    + newStatus.get().wireName());
        }
    }

    /** Starts an update of {@code gid} that applies only while it is in {@code expected}. */
    public static Builder of(String gid, GlobalStatus expected, Instant now) {
        return new Builder(gid, expected, now);
    }

    /** Builder of {@link TransactionUpdate}; not thread-safe. */
    public static final class Builder {
        private final String gid;
        private final GlobalStatus expected;
        private final Instant now;
        private GlobalStatus newStatus;
        private String rollbackReason;
        private String result;
        private Duration interval;
        private Instant nextCronTime;
        private List<BranchUpdate> branches = List.of();
        private String owner;

        private Builder(String gid, GlobalStatus expected, Instant now) {
            this.gid = gid;
            this.expected = expected;
            this.now = now;
        }

        /** Moves to {@code value}. */
        public Builder status(GlobalStatus value) {
            this.newStatus = value;
            return this;
        }

        /** Sets the rollback reason. */
        public Builder rollbackReason(String value) {
            this.rollbackReason = value;
            return this;
        }

        /** Sets the workflow result. */
        public Builder result(String value) {
            this.result = value;
            return this;
        }

        /** Sets the cron fields. */
        public Builder cron(Duration newInterval, Instant next) {
            this.interval = newInterval;
            this.nextCronTime = next;
            return this;
        }

        /** Sets the branch-status writes. */
        public Builder branches(List<BranchUpdate> value) {
            this.branches = value;
            return this;
        }

        /** Applies only while the lease owner is still {@code value} (the owner the round started with). */
        public Builder expectOwner(String value) {
            this.owner = value;
            return this;
        }

        /** Builds the update. */
        public TransactionUpdate build() {
            return new TransactionUpdate(gid, expected, Optional.ofNullable(newStatus), now,
                    Optional.ofNullable(rollbackReason), Optional.ofNullable(result), Optional.ofNullable(interval),
                    Optional.ofNullable(nextCronTime), branches, Optional.ofNullable(owner));
        }
    }
}
