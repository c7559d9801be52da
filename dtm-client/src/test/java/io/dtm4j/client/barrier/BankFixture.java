package io.dtm4j.client.barrier;

import io.dtm4j.client.DtmClient;
import io.dtm4j.client.OkHttpBranchInvoker;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.spi.BranchInvoker;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.MutableClock;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * End-to-end set-up: accounts and barrier tables in a schema of their own on MariaDB and on PostgreSQL, the
 * {@link BusiService} over both, and an embedded coordinator (in-memory store, mutable clock, branch calls on
 * the calling thread) calling the service through the real {@link OkHttpBranchInvoker}, optionally wrapped.
 */
final class BankFixture implements AutoCloseable {
    static final String MARIADB = "mariadb";
    static final String POSTGRES = "postgres";

    final TestDatabase mariadb;
    final TestDatabase postgres;
    final BusiService busi;
    final MutableClock clock = MutableClock.startingAtEpochOf2026();
    final InMemoryTransactionStore store = new InMemoryTransactionStore();
    final OkHttpBranchInvoker http = OkHttpBranchInvoker.builder().build();
    final Coordinator coordinator;
    final DtmClient client;

    BankFixture(String schema, int users, long balance, UnaryOperator<BranchInvoker> wrap)
            throws SQLException, IOException {
        mariadb = TestDatabase.open(TestDatabase.Kind.MARIADB, schema);
        postgres = TestDatabase.open(TestDatabase.Kind.POSTGRES, schema);
        for (TestDatabase db : new TestDatabase[] {mariadb, postgres}) {
            db.createBarrierTable();
            db.createAccounts(users, balance);
        }
        busi = new BusiService(Map.of(MARIADB, mariadb, POSTGRES, postgres));
        BranchInvoker invoker = wrap.apply(http);
        coordinator = Coordinator.builder().store(store).invoker(invoker).clock(clock)
                .executor(new DirectExecutorService()).build();
        client = DtmClient.builder().coordinator(coordinator).branchInvoker(invoker).build();
    }

    TestDatabase db(String store) {
        return MARIADB.equals(store) ? mariadb : postgres;
    }

    long total() throws SQLException {
        return mariadb.totalBalance() + postgres.totalBalance();
    }

    GlobalStatus status(String gid) {
        return coordinator.query(gid).orElseThrow(() -> new AssertionError("gid=" + gid + " unknown"))
                .global().status();
    }

    /** Moves the clock and runs one recovery step. */
    void recoverAfter(Duration d) {
        clock.advance(d);
        coordinator.recoverOnce();
    }

    /**
     * Advances the clock by {@code step} and recovers until every gid is succeed or failed, at most
     * {@code maxRounds} times; returns the rounds used.
     */
    int recoverUntilFinal(Collection<String> gids, Duration step, int maxRounds) {
        for (int round = 1; round <= maxRounds; round++) {
            if (gids.stream().allMatch(g -> status(g).isFinal())) {
                return round - 1;
            }
            recoverAfter(step);
        }
        return maxRounds;
    }

    @Override
    public void close() {
        client.close();
        coordinator.close();
        http.close();
        busi.close();
        mariadb.close();
        postgres.close();
    }
}
