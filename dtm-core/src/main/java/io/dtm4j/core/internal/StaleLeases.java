package io.dtm4j.core.internal;

import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.TransactionUpdate;
import io.dtm4j.core.spi.TransactionStore;

import java.time.Duration;
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

    private record Stale(String gid, GlobalStatus status, String owner, Duration interval) {
    }

    private final Deque<Stale> stale = new ArrayDeque<>();

    /** Remembers the lease of a round that ended on a store failure, or that a stop cuts off. */
    synchronized void add(String gid, GlobalStatus status, String owner, Duration interval) {
        if (stale.size() >= MAX) {
            stale.pollFirst();
        }
        stale.addLast(new Stale(gid, status, owner, interval));
    }

    /**
     * Gives the leases back, oldest first; stops at the first store failure, which it throws with the rest kept.
     *
     * @return how many transactions were made due again
     */
    int release(TransactionStore store, Instant now) {
        int released = 0;
        while (true) {
            Stale s;
            synchronized (this) {
                s = stale.peekFirst();
            }
            if (s == null) {
                return released;
            }
            boolean due = store.update(TransactionUpdate.of(s.gid(), s.status(), now).cron(s.interval(), now)
                    .expectOwner(s.owner()).build());
            synchronized (this) {
                stale.remove(s);
            }
            if (due) {
                released++;
            }
        }
    }
}
