package io.dtm4j.store.jdbc;

/**
 * The engine scenario suites on MariaDB (the MySQL of {@code scripts/services-up.sh}), through the store's MySQL
 * dialect, a database per test.
 */
class MariaDbScenarioIT extends ServerScenarioSuites {

    @Override
    TestDatabases databases(String suite) {
        return TestDatabases.mariadb(suite);
    }
}
