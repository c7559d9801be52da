package io.dtm4j.bench;

import java.time.Duration;

/**
 * One cell of the matrix.
 *
 * @param name        unique in the run: lower-case letters, digits and {@code _}; names the store namespace and
 *                    prefixes the gids
 * @param mode        how the store is reached
 * @param workload    what each transaction is (ignored by the store-only and raw modes)
 * @param store       the store
 * @param concurrency closed loop: load threads; open loop: most transactions running at once
 * @param warmup      untimed load first, at the same concurrency or rate
 * @param measure     the timed window
 * @param openRate    transactions per second for an open loop; 0 for a closed loop
 * @param heapMib     the standalone server's heap ({@code -Xms = -Xmx})
 * @param countSpi    count the engine's store calls (embedded mode; a wrapper on the store)
 */
record CellSpec(String name, Mode mode, Workload workload, StoreKind store, int concurrency, Duration warmup,
                Duration measure, double openRate, int heapMib, boolean countSpi) {

    CellSpec {
        if (!name.matches("[a-z0-9_]{1,40}")) {
            throw new IllegalArgumentException("cell name must be 1 to 40 of [a-z0-9_], got '" + name + "'");
        }
    }

    /** A short title for the report, e.g. {@code server, 2-branch saga, SQLite, C=64}. */
    String title() {
        String load = openRate > 0 ? String.format("open loop %.0f/s", openRate) : "C=" + concurrency;
        if (mode == Mode.NO_DTM && workload == Workload.SAGA && store != StoreKind.MEM) {
            return mode.title() + ", 2 busi calls, no store: the baseline of the " + store.title() + " cells, " + load;
        }
        String what = switch (mode) {
            case STORE_DTM, STORE_OURS, RAW -> mode.title();
            case NO_DTM -> mode.title() + (workload == Workload.SAGA_SQL ? ", 2 busi calls of 2 SQL each"
                    : ", 2 busi calls");
            default -> mode.title() + ", " + workload.title();
        };
        return what + ", " + store.title() + ", " + load;
    }

    CellSpec withHeap(int mib, String newName) {
        return new CellSpec(newName, mode, workload, store, concurrency, warmup, measure, openRate, mib, countSpi);
    }

    CellSpec withOpenRate(double rate, String newName) {
        return new CellSpec(newName, mode, workload, store, concurrency, warmup, measure, rate, heapMib, countSpi);
    }
}
