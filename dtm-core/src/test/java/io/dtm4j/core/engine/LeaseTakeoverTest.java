package io.dtm4j.core.engine;

import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.spi.BranchInvoker;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.EngineHarness;
import io.dtm4j.core.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.dtm4j.core.testing.EngineHarness.BUSI;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A round that outlives its lease stops once another node has claimed the transaction: two nodes never drive
 * one transaction while the new lease is valid (issue 4). The branch call in flight cannot be recalled; the
 * barrier makes its repetition harmless.
 */
class LeaseTakeoverTest {
    private final MutableClock clock = MutableClock.startingAtEpochOf2026();
    private final InMemoryTransactionStore store = new InMemoryTransactionStore();
    private final List<String> nodeA = new ArrayList<>();

    @Test
    void aNodeWhoseLeaseWasTakenOverStopsBeforeItsNextBranchCall() {
        BranchInvoker slowTransOut = call -> {
            nodeA.add(call.url());
            if (call.url().endsWith("/TransOut")) {
                // the call outlives the 10 s lease; node B claims the saga meanwhile
                clock.advance(Duration.ofSeconds(11));
                assertThat(store.claimDue(clock.instant(), Duration.ofSeconds(10), "node-b", 10)).hasSize(1);
            }
            return BranchOutcome.success();
        };
        try (Coordinator a = Coordinator.builder().store(store).invoker(slowTransOut).clock(clock)
                .executor(new DirectExecutorService()).build()) {
            a.submit(EngineHarness.transferSaga("LeaseTakeover").build());
        }

        assertThat(nodeA).containsExactly(BUSI + "/TransOut");
        assertThat(store.findGlobal("LeaseTakeover").orElseThrow().status()).isEqualTo(GlobalStatus.SUBMITTED);
        assertThat(store.findGlobal("LeaseTakeover").orElseThrow().owner()).isEqualTo("node-b");

        List<String> nodeB = new ArrayList<>();
        try (Coordinator b = Coordinator.builder().store(store).invoker(call -> {
            nodeB.add(call.url());
            return BranchOutcome.success();
        }).clock(clock).executor(new DirectExecutorService()).build()) {
            clock.advance(Duration.ofSeconds(10));
            b.recoverOnce();
        }
        assertThat(nodeB).containsExactly(BUSI + "/TransOut", BUSI + "/TransIn");
        assertThat(store.findGlobal("LeaseTakeover").orElseThrow().status()).isEqualTo(GlobalStatus.SUCCEED);
    }
}
