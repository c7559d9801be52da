package io.dtm4j.core.spi;

import io.dtm4j.core.BranchOutcome;

/**
 * Calls one branch op and classifies the answer. Implementations must be thread-safe: the engine calls
 * them from many threads at once. They never throw for a branch problem: a network error, a timeout or
 * an unexpected status is {@link io.dtm4j.core.BranchResult#ERROR}.
 */
@FunctionalInterface
public interface BranchInvoker {

    /** Calls the branch and returns its classified outcome. */
    BranchOutcome invoke(BranchCall call);
}
