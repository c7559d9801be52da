package io.dtm4j.client;

import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.DtmException;
import io.dtm4j.core.TransType;
import io.dtm4j.core.spi.BranchCall;
import io.dtm4j.core.spi.BranchInvoker;
import io.dtm4j.core.testing.ScriptedBranchInvoker;
import okhttp3.HttpUrl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A fake XA business service without a database: an action registers its branch with the coordinator from
 * the {@code phase2_url} it was given (as {@code XaBranch} does) and answers SUCCESS, unless an answer was
 * scripted for it; commit and rollback answer what {@link #phaseTwo} scripts (default SUCCESS). Serves both
 * the client (actions) and the coordinator (phase two). Thread-safe.
 */
final class XaServiceFake implements BranchInvoker {
    /** Phase-two answers by URL, and the record of phase-two calls. */
    final ScriptedBranchInvoker phaseTwo = new ScriptedBranchInvoker();
    private final Map<String, Deque<BranchOutcome>> actionAnswers = new HashMap<>();
    private final List<BranchCall> actions = new ArrayList<>();
    private volatile Coordinator coordinator;

    /** Lets actions register their branches; call once the coordinator is built. */
    void coordinator(Coordinator value) {
        this.coordinator = value;
    }

    /** The next action on {@code url} answers {@code result} without registering its branch. */
    synchronized XaServiceFake actionOnce(String url, BranchResult result, String detail) {
        actionAnswers.computeIfAbsent(url, k -> new ArrayDeque<>()).add(BranchOutcome.of(result, detail));
        return this;
    }

    /** Every action call so far, in order. */
    synchronized List<BranchCall> actions() {
        return List.copyOf(actions);
    }

    @Override
    public BranchOutcome invoke(BranchCall call) {
        if (!Xa.ACTION_OP.equals(call.op())) {
            return phaseTwo.invoke(call);
        }
        HttpUrl url = HttpUrl.parse(call.url());
        String base = url.newBuilder().query(null).build().toString();
        BranchOutcome scripted;
        synchronized (this) {
            actions.add(call);
            Deque<BranchOutcome> q = actionAnswers.get(base);
            scripted = q == null ? null : q.poll();
        }
        if (scripted != null) {
            return scripted;
        }
        try {
            coordinator.registerBranch(new BranchRegistration(call.gid(), TransType.XA, call.branchId(), new byte[0],
                    Map.of("url", url.queryParameter("phase2_url"))));
        } catch (DtmException e) {
            // XaBranch rolls its local transaction back and answers 409
            return BranchOutcome.of(BranchResult.FAILURE, "{\"error\":\"" + e.getClass().getSimpleName() + "\"}");
        }
        return BranchOutcome.of(BranchResult.SUCCESS, "{\"dtm_result\":\"SUCCESS\"}");
    }
}
