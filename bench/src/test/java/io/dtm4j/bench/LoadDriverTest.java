package io.dtm4j.bench;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Counts, gids and errors of the load loops (their timing is what the benchmarks measure, never asserted). */
class LoadDriverTest {

    @Test
    void closedLoopGivesEveryTransactionItsOwnGidAndCountsErrors() {
        Set<String> gids = ConcurrentHashMap.newKeySet();
        AtomicInteger calls = new AtomicInteger();
        LoadResult r = LoadDriver.closed(gid -> {
            gids.add(gid);
            if (calls.incrementAndGet() % 10 == 0) {
                throw new IllegalStateException("every tenth fails");
            }
        }, 3, Duration.ofMillis(100), "t");

        assertThat(r.completed() + r.errors()).isEqualTo(calls.get()).isEqualTo(gids.size());
        assertThat(r.errors()).isEqualTo(calls.get() / 10);
        assertThat(r.inWindow()).isLessThanOrEqualTo(r.completed());
        assertThat(r.latency().getTotalCount()).isEqualTo(r.inWindow());
        assertThat(r.firstError()).contains("every tenth fails");
        assertThat(gids).allMatch(g -> g.matches("t-[0-2]-[0-9]+"));
    }

    @Test
    void openLoopStartsTransactionsAtTheRateAndWaitsForAll() {
        AtomicInteger calls = new AtomicInteger();
        LoadResult r = LoadDriver.open(gid -> calls.incrementAndGet(), 200, Duration.ofMillis(100), 4, "o");

        // 200/s for 100 ms: transactions 0..19 are due inside the window
        assertThat(calls.get()).isEqualTo(20);
        assertThat(r.completed()).isEqualTo(20);
        assertThat(r.errors()).isZero();
        assertThat(r.latency().getTotalCount()).isEqualTo(20);
    }
}
