package io.dtm4j.client.barrier;

/** The barrier contract on MariaDB ({@code insert ignore}). */
class MariaDbBranchBarrierIT extends BranchBarrierContract {

    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.MARIADB;
    }
}
