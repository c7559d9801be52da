package io.dtm4j.core.engine;

import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.StoreUnavailableException;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.spi.BranchInvoker;
import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.EngineHarness;
import io.dtm4j.core.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.dtm4j.core.testing.EngineHarness.BUSI;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A round that outlives its lease stops once another node has claimed the transaction: two nodes never drive
 * one transaction while the new lease is valid (issue 4). The branch call in flight cannot be recalled; the
 * barrier makes its repetition harmless. A call that may legitimately run longer than the lease (a long
 * {@code request_timeout}) gets a lease that covers it, so that no node calls the branch a second time meanwhile;
 * when the store fails mid-round, the node gives that lease back at its next recovery step.
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

    @Test
    void aCallWithALongRequestTimeoutIsNotClaimedByRecoveryWhileItRuns() {
        List<String> claimedMidCall = new ArrayList<>();
        BranchInvoker slowTransIn = call -> {
            nodeA.add(call.url());
            if (call.url().endsWith("/TransIn")) {
                // 25 s into a call allowed 30 s: far past the 10 s lease, still within the call's own timeout
                clock.advance(Duration.ofSeconds(25));
                store.claimDue(clock.instant(), Duration.ofSeconds(10), "node-b", 10)
                        .forEach(g -> claimedMidCall.add(g.gid()));
            }
            return BranchOutcome.success();
        };
        try (Coordinator a = Coordinator.builder().store(store).invoker(slowTransIn).clock(clock)
                .executor(new DirectExecutorService()).build()) {
            a.submit(EngineHarness.transferSaga("LongCall")
                    .options(TransOptions.builder().requestTimeout(Duration.ofSeconds(30)).build()).build());
        }

        assertThat(claimedMidCall).as("transactions another node could claim during the call").isEmpty();
        assertThat(nodeA).containsExactly(BUSI + "/TransOut", BUSI + "/TransIn");
        assertThat(store.findGlobal("LongCall").orElseThrow().status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void aLeaseStretchedOverALongCallIsGivenBackWhenTheStoreFailsMidRound() {
        AtomicBoolean storeDown = new AtomicBoolean();
        TransactionStore flaky = (TransactionStore) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {TransactionStore.class}, (proxy, method, args) -> {
                    if (storeDown.get()) {
                        throw new StoreUnavailableException("store down in the test");
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        BranchInvoker storeDiesDuringTransIn = call -> {
            nodeA.add(call.url());
            if (call.url().endsWith("/TransIn") && nodeA.size() == 2) {
                storeDown.set(true); // the answer arrives, the outcome cannot be written
            }
            return BranchOutcome.success();
        };
        try (Coordinator a = Coordinator.builder().store(flaky).invoker(storeDiesDuringTransIn).clock(clock)
                .executor(new DirectExecutorService()).build()) {
            a.submit(EngineHarness.transferSaga("StoreDiesMidRound")
                    .options(TransOptions.builder().requestTimeout(Duration.ofSeconds(30)).build()).build());
            assertThat(store.findGlobal("StoreDiesMidRound").orElseThrow().nextCronTime())
                    .as("the lease covers TransIn's 30 s timeout").isAfter(clock.instant().plusSeconds(30));

            clock.advance(Duration.ofSeconds(1));
            assertThatThrownBy(a::recoverOnce).isInstanceOf(StoreUnavailableException.class);
            storeDown.set(false);
            clock.advance(Duration.ofSeconds(1));
            a.recoverOnce();
        }

        assertThat(store.findGlobal("StoreDiesMidRound").orElseThrow().status()).as("finished 2 s after the "
                + "failure, not when the 32 s lease ran out").isEqualTo(GlobalStatus.SUCCEED);
        // Neither result was stored (a happy round writes them with the outcome), so both are called again.
        assertThat(nodeA).containsExactly(BUSI + "/TransOut", BUSI + "/TransIn", BUSI + "/TransOut",
                BUSI + "/TransIn");
    }
}
