package io.dtm4j.client.xa;

/** The workflow XA scenarios on MariaDB (XA START / XA PREPARE / XA COMMIT, XA RECOVER). */
class MariaDbWorkflowXaIT extends WorkflowXaScenarios {

    @Override
    XaTestDb.Kind kind() {
        return XaTestDb.Kind.MARIADB;
    }
}
