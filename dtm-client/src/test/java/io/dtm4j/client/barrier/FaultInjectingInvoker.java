package io.dtm4j.client.barrier;

import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.spi.BranchCall;
import io.dtm4j.core.spi.BranchInvoker;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps a branch invoker and misdelivers calls the way a network does, for the gids and branches a test
 * selects:
 * <ul>
 *   <li>duplicate: every call of the gid is delivered twice, and the second answer is returned (the first
 *       answer was "lost");</li>
 *   <li>reorder: the forward op (action, try) of a branch is held back and answered ERROR, as a request stuck
 *       in flight; when its compensation (compensate, cancel) comes, the compensation is delivered first and
 *       the held forward op right after it.</li>
 * </ul>
 * Thread-safe.
 */
final class FaultInjectingInvoker implements BranchInvoker {
    private final BranchInvoker delegate;
    private final Set<String> duplicateGids = ConcurrentHashMap.newKeySet();
    private final Set<String> reorderedBranches = ConcurrentHashMap.newKeySet();
    private final Map<String, BranchCall> held = new ConcurrentHashMap<>();
    /** Second deliveries made. */
    final AtomicInteger duplicatesDelivered = new AtomicInteger();
    /** Forward ops held back. */
    final AtomicInteger heldBack = new AtomicInteger();
    /** Answers of the forward ops delivered after their compensation. */
    final List<BranchOutcome> lateAnswers = new CopyOnWriteArrayList<>();

    FaultInjectingInvoker(BranchInvoker delegate) {
        this.delegate = delegate;
    }

    /** Delivers every call of {@code gid} twice. */
    void duplicate(String gid) {
        duplicateGids.add(gid);
    }

    /** Holds the forward op of branch {@code branchId} of {@code gid} until its compensation is called. */
    void reorder(String gid, String branchId) {
        reorderedBranches.add(gid + "/" + branchId);
    }

    /** Forward ops still held (their compensation never came). */
    int stillHeld() {
        return held.size();
    }

    @Override
    public BranchOutcome invoke(BranchCall call) {
        String key = call.gid() + "/" + call.branchId();
        if (reorderedBranches.contains(key)) {
            if (isForward(call.op())) {
                if (held.putIfAbsent(key, call) == null) {
                    heldBack.incrementAndGet();
                }
                return BranchOutcome.of(BranchResult.ERROR, "held back in flight (injected)");
            }
            if (isCompensation(call.op())) {
                BranchOutcome compensation = delegate.invoke(call);
                BranchCall late = held.remove(key);
                if (late != null) {
                    lateAnswers.add(delegate.invoke(late));
                }
                return compensation;
            }
        }
        BranchOutcome outcome = delegate.invoke(call);
        if (duplicateGids.contains(call.gid())) {
            duplicatesDelivered.incrementAndGet();
            outcome = delegate.invoke(call);
        }
        return outcome;
    }

    private static boolean isForward(String op) {
        return "action".equals(op) || "try".equals(op);
    }

    private static boolean isCompensation(String op) {
        return "compensate".equals(op) || "cancel".equals(op);
    }
}
