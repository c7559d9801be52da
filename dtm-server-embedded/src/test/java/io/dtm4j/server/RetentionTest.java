package io.dtm4j.server;

import io.dtm4j.core.BranchResult;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.RetentionScheduler;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.MutableClock;
import io.dtm4j.core.testing.ScriptedBranchInvoker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Retention of finished transactions: the engine step {@link Coordinator#purgeOnce} and one run of
 * {@link RetentionScheduler}, on the injected clock (which starts in January 2026, long before the wall clock:
 * a step reading the wall clock would remove everything at once).
 */
class RetentionTest {
    private static final String BUSI = "http://busi.test/api/busi";
    private static final Duration WEEK = Duration.ofDays(7);

    private final MutableClock clock = MutableClock.startingAtEpochOf2026();
    private final ScriptedBranchInvoker busi = new ScriptedBranchInvoker();
    private final InMemoryTransactionStore store = new InMemoryTransactionStore();
    private final Coordinator coordinator = Coordinator.builder().store(store).invoker(busi).clock(clock)
            .executor(new DirectExecutorService()).build();

    @AfterEach
    void close() {
        coordinator.close();
    }

    private void saga(String gid) {
        byte[] body = "{\"amount\":30}".getBytes(StandardCharsets.UTF_8);
        coordinator.submit(TransRequest.builder(gid, TransType.SAGA)
                .step(Map.of("action", BUSI + "/TransOut", "compensate", BUSI + "/TransOutRevert"), body)
                .step(Map.of("action", BUSI + "/TransIn", "compensate", BUSI + "/TransInRevert"), body).build());
    }

    private GlobalStatus status(String gid) {
        return store.statusOf(gid).orElse(null);
    }

    @Test
    void removesFinishedTransactionsOnceOlderThanTheRetentionAndNeverUnfinishedOnes() {
        saga("Succeeded");
        busi.once(BUSI + "/TransIn", BranchResult.FAILURE);
        saga("Failed");
        clock.advance(Duration.ofHours(1));
        saga("SucceededLater");
        busi.once(BUSI + "/TransIn", BranchResult.ONGOING);
        saga("Unfinished");
        assertThat(status("Succeeded")).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(status("Failed")).isEqualTo(GlobalStatus.FAILED);
        assertThat(status("Unfinished")).isEqualTo(GlobalStatus.SUBMITTED);

        clock.advance(WEEK.minusHours(1));
        assertThat(coordinator.purgeOnce(WEEK, 100)).as("exactly 7 days old is kept").isZero();

        clock.advance(Duration.ofMinutes(30));
        assertThat(coordinator.purgeOnce(WEEK, 100)).isEqualTo(2);
        assertThat(store.findGlobal("Succeeded")).isEmpty();
        assertThat(store.findBranches("Succeeded")).isEmpty();
        assertThat(store.findGlobal("Failed")).isEmpty();
        assertThat(status("SucceededLater")).isEqualTo(GlobalStatus.SUCCEED);

        clock.advance(Duration.ofDays(365));
        assertThat(coordinator.purgeOnce(WEEK, 100)).isEqualTo(1);
        assertThat(status("Unfinished")).isEqualTo(GlobalStatus.SUBMITTED);
        assertThat(store.findBranches("Unfinished")).hasSize(4);
    }

    @Test
    void eachStepRemovesAtMostOneBatch() {
        for (int i = 0; i < 5; i++) {
            saga("Batch" + i);
        }
        clock.advance(WEEK.plusSeconds(1));

        assertThat(coordinator.purgeOnce(WEEK, 2)).isEqualTo(2);
        assertThat(coordinator.purgeOnce(WEEK, 2)).isEqualTo(2);
        assertThat(coordinator.purgeOnce(WEEK, 2)).isEqualTo(1);
        assertThat(coordinator.purgeOnce(WEEK, 2)).isZero();
    }

    @Test
    void aSchedulerRunWorksOffTheBacklogInBatches() {
        for (int i = 0; i < 5; i++) {
            saga("Run" + i);
        }
        saga("Young");
        clock.advance(Duration.ofHours(2));
        try (RetentionScheduler scheduler = RetentionScheduler.start(coordinator, Duration.ofHours(1),
                Duration.ofDays(1), 2)) {
            assertThat(scheduler.runOnce()).isEqualTo(6);
            assertThat(scheduler.runOnce()).isZero();
        }
    }

    @Test
    void badArgumentsAreRefused() {
        assertThatThrownBy(() -> coordinator.purgeOnce(Duration.ofSeconds(-1), 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("olderThan");
        assertThatThrownBy(() -> coordinator.purgeOnce(WEEK, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batch must be 1 to 10000, got 0");
        assertThatThrownBy(() -> RetentionScheduler.start(coordinator, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retention must be positive");
        assertThatThrownBy(() -> RetentionScheduler.start(coordinator, WEEK, Duration.ofMinutes(1), 10_001))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
