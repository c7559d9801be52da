package io.dtm4j.bench;

import java.util.Map;

/**
 * What a cell measured. Per-transaction figures divide counter deltas over the whole measured run by
 * {@link LoadResult#completed()}; NaN when not measured.
 *
 * @param spec          the cell
 * @param load          throughput, latency and errors
 * @param storePerTx    the store's own counters per transaction ({@link StoreAdmin})
 * @param busiPerTx     busi stub calls per transaction, by endpoint
 * @param spiWritesPerTx the engine's store writes per transaction, as it asked for them (when counted)
 * @param spiReadsPerTx  the engine's store reads per transaction (when counted)
 * @param cpuMicrosPerTx CPU of the coordinator's process per transaction: the server JVM, or this JVM without the
 *                      busi stub's threads (embedded, store-only, no-dtm: then it includes the load loop)
 * @param storeCpuMicrosPerTx CPU of the store server's processes per transaction
 * @param allocBytesPerTx bytes allocated per transaction by the coordinator's JVM (same scope as the CPU)
 * @param note          anything the reader must know (a probe that failed, errors)
 */
record CellResult(CellSpec spec, LoadResult load, Map<String, Double> storePerTx, Map<String, Double> busiPerTx,
                  double spiWritesPerTx, double spiReadsPerTx, double cpuMicrosPerTx, double storeCpuMicrosPerTx,
                  double allocBytesPerTx, String note) {

    double tps() {
        return load.tps();
    }

    /** A store counter per transaction, NaN when not read. */
    double store(String counter) {
        return storePerTx.getOrDefault(counter, Double.NaN);
    }
}
