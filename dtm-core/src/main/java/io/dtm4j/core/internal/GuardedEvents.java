package io.dtm4j.core.internal;

import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.TransType;
import io.dtm4j.core.spi.CoordinatorEvents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Passes events to the user's listener and swallows what it throws, so that a broken listener never breaks a
 * round. The first failure is logged at WARN with its stack trace, later ones at DEBUG only, so a listener that
 * always throws does not flood the log. Thread-safe.
 */
final class GuardedEvents implements CoordinatorEvents {
    private static final Logger LOG = LoggerFactory.getLogger(GuardedEvents.class);

    private final CoordinatorEvents listener;
    private final AtomicBoolean warned = new AtomicBoolean();

    GuardedEvents(CoordinatorEvents listener) {
        this.listener = listener;
    }

    @Override
    public void roundEnded(String gid, TransType model, boolean ok, Duration age) {
        try {
            listener.roundEnded(gid, model, ok, age);
        } catch (RuntimeException e) {
            failed(gid, "roundEnded", e);
        }
    }

    @Override
    public void branchCalled(String gid, TransType model, String branchId, BranchOp op, BranchResult result) {
        try {
            listener.branchCalled(gid, model, branchId, op, result);
        } catch (RuntimeException e) {
            failed(gid, "branchCalled", e);
        }
    }

    @Override
    public void statusChanged(String gid, TransType model, GlobalStatus status) {
        try {
            listener.statusChanged(gid, model, status);
        } catch (RuntimeException e) {
            failed(gid, "statusChanged", e);
        }
    }

    @Override
    public void retryScheduled(String gid, TransType model) {
        try {
            listener.retryScheduled(gid, model);
        } catch (RuntimeException e) {
            failed(gid, "retryScheduled", e);
        }
    }

    private void failed(String gid, String event, RuntimeException e) {
        if (warned.compareAndSet(false, true)) {
            LOG.warn("gid={}: the coordinator's events listener {} threw in {}; ignored (later failures are logged"
                    + " at DEBUG)", gid, listener.getClass().getName(), event, e);
        } else {
            LOG.debug("gid={}: the events listener threw in {}; ignored: {}", gid, event, e.toString());
        }
    }
}
