package io.dtm4j.client;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.MutableClock;
import io.dtm4j.core.testing.ScriptedBranchInvoker;

import java.time.Duration;
import java.util.List;

/**
 * A {@link DtmClient} on an embedded coordinator over an in-memory store, a scripted branch service and a
 * mutable clock, everything on the calling thread. The scripted service also answers the client's own
 * back-checks.
 */
final class EmbeddedFixture implements AutoCloseable {
    static final String BUSI = "http://busi.test/api/busi";
    static final String TRANS_OUT = BUSI + "/TransOut";
    static final String TRANS_OUT_REVERT = BUSI + "/TransOutRevert";
    static final String TRANS_IN = BUSI + "/TransIn";
    static final String TRANS_IN_REVERT = BUSI + "/TransInRevert";
    static final String QUERY_PREPARED = BUSI + "/QueryPrepared";

    /** The request body of the canonical transfer. */
    record Transfer(int amount) {
    }

    final MutableClock clock = MutableClock.startingAtEpochOf2026();
    final ScriptedBranchInvoker busi = new ScriptedBranchInvoker();
    final InMemoryTransactionStore store = new InMemoryTransactionStore();
    final Coordinator coordinator = Coordinator.builder().store(store).invoker(busi).clock(clock)
            .executor(new DirectExecutorService()).build();
    final DtmClient client = DtmClient.builder().coordinator(coordinator).branchInvoker(busi).build();

    /** A 2-step TransOut/TransIn saga of 30. */
    Saga transferSaga(String gid) {
        return client.saga(gid)
                .add(TRANS_OUT, TRANS_OUT_REVERT, new Transfer(30))
                .add(TRANS_IN, TRANS_IN_REVERT, new Transfer(30));
    }

    /** A 2-step TransOut/TransIn msg of 30. */
    Msg transferMsg(String gid) {
        return client.msg(gid)
                .add(TRANS_OUT, new Transfer(30))
                .add(TRANS_IN, new Transfer(30));
    }

    GlobalTransaction global(String gid) {
        return coordinator.query(gid).orElseThrow().global();
    }

    /** Branch statuses in stored row order, e.g. saga [compensate01, action01, compensate02, action02]. */
    List<BranchStatus> statuses(String gid) {
        return coordinator.query(gid).orElseThrow().branches().stream().map(Branch::status).toList();
    }

    /** Moves the clock forward and runs one recovery step. */
    void recoverAfter(Duration d) {
        clock.advance(d);
        coordinator.recoverOnce();
    }

    @Override
    public void close() {
        client.close();
        coordinator.close();
    }
}
