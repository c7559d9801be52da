package io.dtm4j.bench;

import java.time.Duration;
import java.util.List;

/**
 * How long and how big a run is: {@code --quick} (a smoke of about 2 minutes, noisy) or {@code --full} (the short
 * matrix of the protocol, about 17 minutes on 2 cores, plus the build: each server JVM warms up to 30 s).
 *
 * @param name           quick or full
 * @param warmup         untimed load before each coordinator cell
 * @param serverWarmup   untimed load before each server cell (a new JVM: its JIT needs longer)
 * @param serverWarmupMax a server cell's warm-up goes on past {@code serverWarmup} while its rate still rises, up to
 *                       this (see {@link CellRunner})
 * @param measure        timed window of each coordinator cell
 * @param storeWarmup    untimed load before each store-only cell
 * @param storeMeasure   timed window of each store-only cell
 * @param countWindow    timed window of each C=1 store-work cell
 * @param concurrency    closed-loop concurrency of the throughput cells (64: the group-commit regime)
 * @param recoveryN      transactions in flight in the recovery test
 * @param recoveryStores stores the recovery test runs on
 * @param moreWorkloads  also TCC and msg throughput at {@code concurrency} on SQLite
 * @param heaps          server heaps (MiB, ascending) the memory bisection may try below 256 MiB
 * @param settleStats    wait for PostgreSQL to publish its statistics around each cell (1 s each side)
 */
record Profile(String name, Duration warmup, Duration serverWarmup, Duration serverWarmupMax, Duration measure,
               Duration storeWarmup, Duration storeMeasure, Duration countWindow, int concurrency, int recoveryN,
               List<StoreKind> recoveryStores, boolean moreWorkloads, List<Integer> heaps, boolean settleStats) {

    static Profile quick() {
        return new Profile("quick", Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(2),
                Duration.ofMillis(1500),
                Duration.ofMillis(300), Duration.ofSeconds(1), Duration.ofMillis(500), 64, 500,
                List.of(StoreKind.SQLITE), false, List.of(128), false);
    }

    static Profile full() {
        // the JVM is warmed up once at the start, so a cell's own warm-up mostly fills pools and caches; a server
        // cell starts a new JVM and warms up longer
        return new Profile("full", Duration.ofSeconds(3), Duration.ofSeconds(8), Duration.ofSeconds(30),
                Duration.ofSeconds(8),
                Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofMillis(1500), 64, 10_000,
                List.of(StoreKind.SQLITE, StoreKind.POSTGRES, StoreKind.REDIS), true, List.of(64, 96, 128, 192),
                true);
    }

    Profile withRecoveryN(int n) {
        return new Profile(name, warmup, serverWarmup, serverWarmupMax, measure, storeWarmup, storeMeasure,
                countWindow, concurrency, n, recoveryStores, moreWorkloads, heaps, settleStats);
    }

    Profile withConcurrency(int c) {
        return new Profile(name, warmup, serverWarmup, serverWarmupMax, measure, storeWarmup, storeMeasure,
                countWindow, c, recoveryN, recoveryStores, moreWorkloads, heaps, settleStats);
    }
}
