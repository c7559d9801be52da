package io.dtm4j.client.xa;

/** The workflow XA scenarios on PostgreSQL (PREPARE TRANSACTION / COMMIT PREPARED, pg_prepared_xacts). */
class PostgresWorkflowXaIT extends WorkflowXaScenarios {

    @Override
    XaTestDb.Kind kind() {
        return XaTestDb.Kind.POSTGRES;
    }
}
