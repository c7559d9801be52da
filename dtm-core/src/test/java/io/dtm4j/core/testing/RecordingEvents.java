package io.dtm4j.core.testing;

import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.TransType;
import io.dtm4j.core.spi.CoordinatorEvents;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Records every coordinator event as one line, so a test can assert the exact sequence: {@code status
 * submitted}, {@code branch 01 action SUCCESS}, {@code retry}, {@code round ok 20s}. The gid and the model are
 * left out (a test runs one transaction of one type at a time); {@link #models()} checks the model. Thread-safe.
 */
public final class RecordingEvents implements CoordinatorEvents {
    private final List<String> lines = new ArrayList<>();
    private final List<TransType> models = new ArrayList<>();

    @Override
    public synchronized void roundEnded(String gid, TransType model, boolean ok, Duration age) {
        add(model, "round " + (ok ? "ok" : "fail") + " " + age.toSeconds() + "s");
    }

    @Override
    public synchronized void branchCalled(String gid, TransType model, String branchId, BranchOp op,
                                          BranchResult result) {
        add(model, "branch " + branchId + " " + op.wireName() + " " + result);
    }

    @Override
    public synchronized void statusChanged(String gid, TransType model, GlobalStatus status) {
        add(model, "status " + status.wireName());
    }

    @Override
    public synchronized void retryScheduled(String gid, TransType model) {
        add(model, "retry");
    }

    private void add(TransType model, String line) {
        models.add(model);
        lines.add(line);
    }

    /** Every event so far, in order. */
    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    /** The model of every event so far, in order. */
    public synchronized List<TransType> models() {
        return List.copyOf(models);
    }
}
