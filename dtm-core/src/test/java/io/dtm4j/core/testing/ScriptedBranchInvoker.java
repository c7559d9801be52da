package io.dtm4j.core.testing;

import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.spi.BranchCall;
import io.dtm4j.core.spi.BranchInvoker;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A fake branch service: answers SUCCESS unless a one-shot answer was scripted for a URL (as DTM's busi
 * {@code MainSwitch.SetOnce}); records every call. Thread-safe.
 */
public final class ScriptedBranchInvoker implements BranchInvoker {
    private final Map<String, Deque<BranchOutcome>> scripted = new HashMap<>();
    private final List<BranchCall> calls = new ArrayList<>();

    /** The next call to {@code url} answers {@code result} (with {@code detail}); later ones SUCCESS. */
    public synchronized ScriptedBranchInvoker once(String url, BranchResult result, String detail) {
        scripted.computeIfAbsent(url, k -> new ArrayDeque<>()).add(BranchOutcome.of(result, detail));
        return this;
    }

    /** The next call to {@code url} answers {@code result}. */
    public ScriptedBranchInvoker once(String url, BranchResult result) {
        return once(url, result, result.name());
    }

    /** The next {@code times} calls to {@code url} answer {@code result}. */
    public ScriptedBranchInvoker times(String url, BranchResult result, int times) {
        for (int i = 0; i < times; i++) {
            once(url, result);
        }
        return this;
    }

    @Override
    public synchronized BranchOutcome invoke(BranchCall call) {
        calls.add(call);
        Deque<BranchOutcome> q = scripted.get(call.url());
        BranchOutcome o = q == null ? null : q.poll();
        return o != null ? o : BranchOutcome.of(BranchResult.SUCCESS, "{\"dtm_result\":\"SUCCESS\"}");
    }

    /** Every call so far, in order. */
    public synchronized List<BranchCall> calls() {
        return List.copyOf(calls);
    }

    /** How many calls went to {@code url}. */
    public synchronized long callsTo(String url) {
        return calls.stream().filter(c -> c.url().equals(url)).count();
    }

    /** The URLs called so far, in order. */
    public synchronized List<String> urls() {
        return calls.stream().map(BranchCall::url).toList();
    }
}
