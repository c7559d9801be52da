package io.dtm4j.client.xa;

/** The XA scenarios on PostgreSQL (prepared transactions; the service script sets max_prepared_transactions). */
class PostgresXaIT extends XaScenarios {

    @Override
    XaTestDb.Kind kind() {
        return XaTestDb.Kind.POSTGRES;
    }
}
