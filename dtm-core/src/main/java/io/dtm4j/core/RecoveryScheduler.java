package io.dtm4j.core;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Calls {@link Coordinator#recoverOnce()} every {@code interval} on a thread named
 * {@code dtm-recovery-1}, and again at once while a step claims a full batch. A failing step (store down)
 * is logged and retried at the next tick. Thread-safe; close it to stop.
 */
public final class RecoveryScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RecoveryScheduler.class);
    private static final int MAX_BACK_TO_BACK_STEPS = 100;

    private final Coordinator coordinator;
    private final ScheduledExecutorService timer;
    private final int fullBatch;

    private RecoveryScheduler(Coordinator coordinator, Duration interval, int fullBatch) {
        this.coordinator = coordinator;
        this.fullBatch = fullBatch;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dtm-recovery-1");
            t.setDaemon(true);
            return t;
        });
        long ms = interval.toMillis();
        // The first step at once: after a restart, what is already due should not wait a whole interval.
        timer.scheduleWithFixedDelay(this::tick, 0, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts recovery for {@code coordinator} every {@code interval} (DTM polls every 2-3 s). A step that claims
     * a full batch ({@link Coordinator#recoveryBatch()}) is followed at once by another.
     */
    public static RecoveryScheduler start(Coordinator coordinator, Duration interval) {
        Objects.requireNonNull(coordinator, "coordinator");
        if (interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("interval must be positive, got " + interval);
        }
        return new RecoveryScheduler(coordinator, interval, coordinator.recoveryBatch());
    }

    private void tick() {
        try {
            for (int i = 0; i < MAX_BACK_TO_BACK_STEPS; i++) {
                RecoveryReport r = coordinator.recoverOnce();
                if (r.claimed() > 0) {
                    LOG.debug("recovery step: claimed={} finished={} skipped={}", r.claimed(), r.finished(),
                            r.skipped());
                }
                if (r.claimed() < fullBatch) {
                    return;
                }
            }
        } catch (DtmException e) {
            LOG.warn("recovery step failed, will retry: {}", e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("recovery step failed unexpectedly, will retry", e);
        }
    }

    /** Stops the timer; a running step finishes on its own. */
    @Override
    public void close() {
        timer.shutdownNow();
    }
}
