package io.dtm4j.core.spi;

/**
 * A snapshot of a store's connection pools, for gauges: how many connections are open, how many of them are idle,
 * and how many threads wait for one. The three numbers are read one after the other from a pool in use, so they
 * need not add up exactly (idle may briefly exceed what open suggests).
 *
 * @param open    connections open now, in use or idle; zero or more
 * @param idle    open connections not in use; zero or more
 * @param waiting threads waiting for a connection; zero or more
 */
public record PoolStats(int open, int idle, int waiting) {

    /** No connections and no waiters: a closed pool. */
    public static final PoolStats EMPTY = new PoolStats(0, 0, 0);

    public PoolStats {
        if (open < 0 || idle < 0 || waiting < 0) {
            throw new IllegalArgumentException("pool stats must not be negative, got open=" + open + " idle=" + idle
                    + " waiting=" + waiting);
        }
    }

    /** Returns the sum of this and {@code other}, for a store with several pools. */
    public PoolStats plus(PoolStats other) {
        return new PoolStats(open + other.open, idle + other.idle, waiting + other.waiting);
    }
}
