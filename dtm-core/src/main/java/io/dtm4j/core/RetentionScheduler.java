package io.dtm4j.core;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Removes finished transactions once they are older than a retention period: every {@code interval}, on a
 * thread named {@code dtm-retention-1}, it calls {@link Coordinator#purgeOnce} in batches until a batch comes
 * back short (at most {@value #MAX_BATCHES_PER_RUN} batches a run, so a large backlog is worked off over
 * several runs without holding the store). Unlike DTM, which expires data only on Redis and BoltDB, this
 * works on every store. A failing run (store down) is logged and retried at the next tick.
 *
 * <p>Safe with several nodes on one store: each removal is the store's own atomic delete. Thread-safe; close
 * it to stop.
 */
public final class RetentionScheduler implements AutoCloseable {
    /** Default retention of finished transactions: 7 days (DTM's {@code Store.DataExpire}). */
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
    /** Default time between runs: 1 minute. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(1);
    /** Default number of transactions removed per {@link Coordinator#purgeOnce} call: 500. */
    public static final int DEFAULT_BATCH = 500;
    /** Most batches in one run. */
    public static final int MAX_BATCHES_PER_RUN = 100;

    private static final Logger LOG = LoggerFactory.getLogger(RetentionScheduler.class);

    private final Coordinator coordinator;
    private final Duration retention;
    private final int batch;
    private final ScheduledExecutorService timer;

    private RetentionScheduler(Coordinator coordinator, Duration retention, Duration interval, int batch) {
        this.coordinator = coordinator;
        this.retention = retention;
        this.batch = batch;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dtm-retention-1");
            t.setDaemon(true);
            return t;
        });
        long ms = interval.toMillis();
        timer.scheduleWithFixedDelay(this::tick, ms, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts removing transactions of {@code coordinator} that finished more than {@code retention} ago, every
     * {@link #DEFAULT_INTERVAL} in batches of {@link #DEFAULT_BATCH}. The first run is one interval after start.
     *
     * @param retention how long finished transactions are kept; positive
     */
    public static RetentionScheduler start(Coordinator coordinator, Duration retention) {
        return start(coordinator, retention, DEFAULT_INTERVAL, DEFAULT_BATCH);
    }

    /**
     * Starts removing transactions of {@code coordinator} that finished more than {@code retention} ago, every
     * {@code interval} in batches of {@code batch}.
     *
     * @param retention how long finished transactions are kept; positive
     * @param interval  time between runs; positive
     * @param batch     transactions removed per store call; 1 to {@link Coordinator#MAX_PURGE_BATCH}
     */
    public static RetentionScheduler start(Coordinator coordinator, Duration retention, Duration interval,
                                           int batch) {
        Objects.requireNonNull(coordinator, "coordinator");
        positive("retention", retention);
        positive("interval", interval);
        if (batch < 1 || batch > Coordinator.MAX_PURGE_BATCH) {
            throw new IllegalArgumentException("batch must be 1 to " + Coordinator.MAX_PURGE_BATCH + ", got "
                    + batch);
        }
        return new RetentionScheduler(coordinator, retention, interval, batch);
    }

    private static void positive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }

    /**
     * One run, as the timer does it: purge batches until one comes back short, at most
     * {@value #MAX_BATCHES_PER_RUN} of them.
     *
     * @return how many transactions were removed
     * @throws DtmException when the store fails; what was removed before stays removed
     */
    public int runOnce() {
        int total = 0;
        for (int i = 0; i < MAX_BATCHES_PER_RUN; i++) {
            int removed = coordinator.purgeOnce(retention, batch);
            total += removed;
            if (removed < batch) {
                break;
            }
        }
        return total;
    }

    private void tick() {
        try {
            int removed = runOnce();
            if (removed > 0) {
                LOG.debug("retention run: removed {} transactions finished more than {} s ago", removed,
                        retention.toSeconds());
            }
        } catch (DtmException e) {
            LOG.warn("retention run failed, will retry: {}", e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("retention run failed unexpectedly, will retry", e);
        }
    }

    /** Stops the timer; a running batch finishes on its own. */
    @Override
    public void close() {
        timer.shutdownNow();
    }
}
