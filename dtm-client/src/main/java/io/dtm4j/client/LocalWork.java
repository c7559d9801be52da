package io.dtm4j.client;

/**
 * The local transaction of {@link Msg#doAndSubmit}: the business change that must happen if and only if
 * the message is sent. Throw {@link DtmFailureException} to say "this did not happen, drop the message";
 * any other exception means "unknown", and the SDK asks the back-check.
 *
 * @param <E> the checked exception it may throw ({@link RuntimeException} when none)
 */
@FunctionalInterface
public interface LocalWork<E extends Exception> {

    /** Runs the local work; returns normally only once it is committed. */
    void run() throws E;
}
