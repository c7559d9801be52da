package io.dtm4j.core.internal;

import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.TransactionUpdate;
import io.dtm4j.core.spi.TransactionStore;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Leases this node still holds on transactions whose round it abandoned: the store failed mid-round (a write
 * threw), or the node is stopping with the round still running. Until given back, such a transaction waits for its
 * lease to run out, and a lease taken before a long branch call covers the call's whole timeout. Each recovery
 * step (and the stop) first gives them back: next retry time = now, only while the status and owner are still what
 * the round left, so they are retried at once. Bounded: when full, the oldest is forgotten and simply waits for its
 * lease. Thread-safe.
 */
final class StaleLeases {
    private static final int MAX = 10_000;

    private final Intervals intervals;
    private final Deque<GlobalTransaction> stale = new ArrayDeque<>();

    StaleLeases(Intervals intervals) {
        this.intervals = intervals;
    }

    /**
     * Remembers the lease of a round that ended on a store failure, or that a stop cuts off: {@code g} as the
     * round last wrote it (its status and lease owner).
     */
    synchronized void add(GlobalTransaction g) {
        if (stale.size() >= MAX) {
            stale.pollFirst();
        }
        stale.addLast(g);
    }

    /**
     * Gives the leases back, oldest first; stops at the first store failure, which it throws with the rest kept.
     *
     * @return how many transactions were made due again
     */
    int release(TransactionStore store, Instant now) {
        int released = 0;
        while (true) {
            GlobalTransaction g;
            synchronized (this) {
                g = stale.peekFirst();
            }
            if (g == null) {
                return released;
            }
            boolean due = store.update(TransactionUpdate.of(g.gid(), g.status(), now).cron(intervals.reset(g), now)
                    .expectOwner(g.owner()).build());
            synchronized (this) {
                stale.remove(g);
            }
            if (due) {
                released++;
            }
        }
    }
}
