package io.dtm4j.client.barrier;

/** The barrier contract on PostgreSQL ({@code on conflict on constraint uniq_barrier do nothing}). */
class PostgresBranchBarrierIT extends BranchBarrierContract {

    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRES;
    }
}
