package io.dtm4j.client;

/**
 * The body of an XA global transaction: calls {@link Xa#callBranch} once per branch and returns a result.
 * Returning normally submits the transaction (the coordinator commits every prepared branch); throwing
 * anything aborts it (the coordinator rolls every registered branch back) and the exception reaches the
 * caller of {@link XaTransaction#execute}.
 *
 * @param <R> what the body returns
 * @param <E> the checked exception it may throw ({@link RuntimeException} when none)
 */
@FunctionalInterface
public interface XaBody<R, E extends Exception> {

    /** Runs phase one through {@code xa}; returns only when every branch it needs has answered SUCCESS. */
    R run(Xa xa) throws E;
}
