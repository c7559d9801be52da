package io.dtm4j.client;

import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransactionView;

/**
 * How the SDK reaches a coordinator: over HTTP ({@link HttpTransport}) or in-process
 * ({@link EmbeddedTransport}). Both report refusals the same way: {@link DtmFailureException} (FAILURE),
 * {@link DtmOngoingException} (ONGOING), {@link DtmServerException} (other errors) and, over HTTP only,
 * {@link DtmTransportException}. Implementations are thread-safe.
 */
interface DtmTransport extends AutoCloseable {

    /** Returns a new gid from the coordinator. */
    String newGid();

    /** Creates the transaction in {@code prepared}; idempotent while it is prepared. */
    void prepare(TransRequest request);

    /** Submits the transaction; with {@code wait_result} returns only when one round succeeded. */
    void submit(TransRequest request);

    /** Aborts the transaction (a prepared msg becomes failed; a prepared tcc/xa rolls back). */
    void abort(TransRequest request);

    /** Registers a tcc/xa/workflow branch of a prepared transaction. */
    void registerBranch(BranchRegistration registration);

    /** Creates the workflow in {@code prepared} when new; returns it with its recorded progress, in any status. */
    TransactionView prepareWorkflow(TransRequest request);

    /** Names where requests go, for messages: a URL or "embedded coordinator". */
    String describe();

    /** Releases what the transport owns (connections, threads); never closes an embedded coordinator. */
    @Override
    void close();
}
