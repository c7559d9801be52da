package io.dtm4j.client.xa;

import java.sql.Connection;

/**
 * The business work of an XA branch: SQL run on the connection of the local XA transaction, e.g. a balance
 * update. It must not commit, roll back, close the connection or change its auto-commit mode: the
 * {@link XaBranch} (or {@link XaDatabase#prepare}) prepares the transaction and the coordinator decides whether
 * it is committed.
 *
 * <p>Throw {@link io.dtm4j.client.DtmFailureException} for a business refusal (e.g. insufficient balance): the
 * handler answers 409 and the global transaction rolls back. Anything else is an error (500).
 *
 * @param <E> the checked exception it may throw ({@link RuntimeException} when none)
 */
@FunctionalInterface
public interface XaWork<E extends Exception> {

    /** Runs the work on the connection of the local XA transaction. */
    void run(Connection connection) throws E;
}
