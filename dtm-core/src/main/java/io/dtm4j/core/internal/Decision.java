package io.dtm4j.core.internal;

import io.dtm4j.core.GlobalStatus;

import java.time.Instant;
import java.util.List;

/** What a processor wants done next in a round. Pure data; the {@link RoundRunner} does the I/O. */
sealed interface Decision {

    /** Call these branch rows (indexes into the round's branch list), in parallel when more than one. */
    record Call(List<Integer> branches) implements Decision {
        public Call {
            branches = List.copyOf(branches);
        }
    }

    /** Call the msg back-check ({@code query_prepared}, branch {@code 00}, op {@code msg}). */
    record BackCheck() implements Decision {
    }

    /** Move the global to {@code status}, storing {@code reason} when it is not empty. */
    record Move(GlobalStatus status, String reason) implements Decision {
    }

    /** End the round; schedule the next attempt as {@code cron} says ({@code until} for {@link Cron#DELAY}). */
    record Stop(Cron cron, Instant until) implements Decision {
        static Stop of(Cron cron) {
            return new Stop(cron, null);
        }
    }

    /** How an ending round schedules the next attempt (spec 4). */
    enum Cron {
        /** Leave the schedule as it is (a recovery lease or the intent's first retry time). */
        NONE,
        /** Healthy progress: the base interval again. */
        RESET,
        /** ONGOING: the same interval again (a fixed poll). */
        KEEP,
        /** A temporary error: double the interval. */
        BACKOFF,
        /** Msg delay: not before the given time. */
        DELAY
    }
}
