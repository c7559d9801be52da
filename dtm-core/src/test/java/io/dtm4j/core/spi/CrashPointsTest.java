package io.dtm4j.core.spi;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CrashPointsTest {

    @Test
    void unarmedPointsReturnAtOnce() {
        assertThat(System.getProperty(CrashPoints.PROPERTY)).as("this test JVM arms no point").isNull();
        for (int i = 0; i < 3; i++) {
            CrashPoints.ALL.forEach(CrashPoints::reached); // still alive
        }
        CrashPoints.reached("no-such-point");
    }

    @Test
    void aPlainPointHaltsAtItsFirstArrival() {
        AtomicInteger halts = new AtomicInteger();
        CrashPoints armed = CrashPoints.parse(CrashPoints.AFTER_INTENT, halts::incrementAndGet);

        assertThat(armed).hasToString("after-intent#1");
        assertThat(armed.arrive(CrashPoints.AFTER_INTENT)).isTrue();
        assertThat(armed.arrive(CrashPoints.AFTER_INTENT)).as("only the first arrival").isFalse();
        assertThat(halts).hasValue(1);
    }

    @Test
    void theCountPicksTheNthArrivalAndOtherPointsAreNotCounted() {
        AtomicInteger halts = new AtomicInteger();
        CrashPoints armed = CrashPoints.parse(" after-branch-call#3 ", halts::incrementAndGet);

        assertThat(armed.arrive(CrashPoints.AFTER_BRANCH_CALL)).isFalse();
        assertThat(armed.arrive(CrashPoints.DURING_COMPENSATION)).isFalse();
        assertThat(armed.arrive(CrashPoints.AFTER_BRANCH_CALL)).isFalse();
        assertThat(armed.arrive(CrashPoints.DURING_TCC_CONFIRM)).isFalse();
        assertThat(halts).hasValue(0);
        assertThat(armed.arrive(CrashPoints.AFTER_BRANCH_CALL)).isTrue();
        assertThat(armed.arrive(CrashPoints.AFTER_BRANCH_CALL)).isFalse();
        assertThat(halts).hasValue(1);
    }

    @Test
    void everyPointCanBeArmed() {
        for (String point : CrashPoints.ALL) {
            AtomicInteger halts = new AtomicInteger();
            CrashPoints armed = CrashPoints.parse(point + "#2", halts::incrementAndGet);
            armed.arrive(point);
            armed.arrive(point);
            assertThat(halts).as(point).hasValue(1);
        }
    }

    @Test
    void badSpecsAreRefusedWithTheKnownPoints() {
        Runnable never = () -> {
            throw new AssertionError("halted");
        };
        assertThatThrownBy(() -> CrashPoints.parse("after-intnet", never))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dtm4j.crashAt='after-intnet' names no crash point")
                .hasMessageContaining(CrashPoints.BETWEEN_XA_PREPARE_AND_COMMIT);
        for (String bad : List.of("after-intent#0", "after-intent#-1", "after-intent#x", "after-intent#")) {
            assertThatThrownBy(() -> CrashPoints.parse(bad, never)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("the count after # must be a whole number from 1");
        }
        assertThatThrownBy(() -> CrashPoints.parse("#2", never)).isInstanceOf(IllegalArgumentException.class);
    }

    @RepeatedTest(5)
    void exactlyOneOfManyConcurrentArrivalsIsTheNth() throws Exception {
        AtomicInteger halts = new AtomicInteger();
        CrashPoints armed = CrashPoints.parse(CrashPoints.DURING_TCC_CONFIRM + "#7", halts::incrementAndGet);
        int threads = 16;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Boolean>> fired = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                fired.add(pool.submit(() -> {
                    start.await();
                    return armed.arrive(CrashPoints.DURING_TCC_CONFIRM);
                }));
            }
            start.countDown();
            int winners = 0;
            for (Future<Boolean> f : fired) {
                winners += f.get(10, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertThat(winners).isEqualTo(1);
            assertThat(halts).hasValue(1);
        } finally {
            pool.shutdownNow();
        }
    }
}
