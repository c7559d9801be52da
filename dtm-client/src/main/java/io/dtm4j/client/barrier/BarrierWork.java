package io.dtm4j.client.barrier;

import java.sql.Connection;

/**
 * The business change a {@link BranchBarrier} guards. It runs on the barrier's connection, inside the same
 * local transaction as the barrier rows, so both commit or neither does. It must not commit, roll back,
 * close the connection or change its auto-commit mode.
 *
 * <p>Throw {@link io.dtm4j.client.DtmFailureException} for a business refusal (a handler answers 409, a saga
 * action then rolls back); any other exception is a temporary error (500, the coordinator retries). Either
 * way the barrier rows of this call are rolled back with the work.
 *
 * @param <E> the checked exception the work may throw ({@link RuntimeException} when none)
 */
@FunctionalInterface
public interface BarrierWork<E extends Exception> {

    /** Runs the business change on {@code connection}, inside the barrier's transaction. */
    void run(Connection connection) throws E;
}
