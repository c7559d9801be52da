package io.dtm4j.client;

/**
 * The body of a TCC global transaction: calls {@link Tcc#callBranch} once per branch and returns a result.
 * Returning normally submits the transaction (the coordinator confirms every registered branch); throwing
 * anything aborts it (the coordinator cancels every registered branch) and the exception reaches the
 * caller of {@link TccTransaction#execute}.
 *
 * @param <R> what the body returns
 * @param <E> the checked exception it may throw ({@link RuntimeException} when none)
 */
@FunctionalInterface
public interface TccBody<R, E extends Exception> {

    /** Runs the try phase through {@code tcc}; returns only when every branch it needs has answered SUCCESS. */
    R run(Tcc tcc) throws E;
}
