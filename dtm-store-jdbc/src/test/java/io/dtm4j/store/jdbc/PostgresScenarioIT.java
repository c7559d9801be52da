package io.dtm4j.store.jdbc;

/** The engine scenario suites on PostgreSQL ({@code scripts/services-up.sh}), a schema per test. */
class PostgresScenarioIT extends ServerScenarioSuites {

    @Override
    TestDatabases databases(String suite) {
        return TestDatabases.postgres(suite);
    }
}
