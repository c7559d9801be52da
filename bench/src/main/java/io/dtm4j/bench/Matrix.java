package io.dtm4j.bench;

import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The short matrix (spec performance.md 4.6, issue 8), in the order that lets later parts use earlier results:
 * <ol>
 *   <li>no-dtm; then per store: the store-only shapes (DTM's 4 writes, our 2), the raw write rate, the embedded
 *       coordinator on empty-URL sagas, no-dtm again (the baseline of that store's ratios), the embedded coordinator
 *       and the standalone server on HTTP sagas, all at C;</li>
 *   <li>(full) DTM's overhead condition on MariaDB and PostgreSQL: each branch runs 2 SQL on the store's server,
 *       no-dtm, embedded and server;</li>
 *   <li>store work per transaction: every workload at C=1 on every store, the engine's store calls counted;</li>
 *   <li>(full) TCC and msg throughput on SQLite;</li>
 *   <li>open loop at 50% of the measured maximum, server and embedded, on SQLite;</li>
 *   <li>the smallest server heap that keeps 90% of the 256 MiB rate, on SQLite;</li>
 *   <li>crash recovery on the profile's stores.</li>
 * </ol>
 * A cell that fails is recorded with its error and the run goes on. Not thread-safe.
 */
final class Matrix {
    /** The server heap of every cell but the memory bisection. */
    static final int HEAP_MIB = 256;
    /** The share of the 256 MiB rate a heap must keep. */
    static final double HEAP_KEEP = 0.9;
    /** Closed-loop concurrency levels of the sweep. */
    static final List<Integer> SWEEP = List.of(1, 10, 20, 64);

    private final Profile p;
    private final List<StoreKind> stores;
    private final CellRunner runner;
    private final Recovery recovery;
    final List<CellResult> results = new ArrayList<>();
    /** The sweep's cells and DTM's replayed tests, in the order they ran (also in {@link #results}). */
    final List<CellResult> sweep = new ArrayList<>();
    final List<Recovery.Result> recoveries = new ArrayList<>();
    /** Server rate by heap (MiB), SQLite. */
    final Map<Integer, Double> heapTps = new TreeMap<>();
    private int cells;

    Matrix(Profile p, List<StoreKind> stores, CellRunner runner, Recovery recovery) {
        this.p = p;
        this.stores = stores;
        this.runner = runner;
        this.recovery = recovery;
    }

    void run() {
        try {
            runCells();
        } finally {
            runner.stopServers();
        }
    }

    private void runCells() {
        int c = p.concurrency();
        warmUp(c);
        cell("no_dtm", Mode.NO_DTM, Workload.SAGA, StoreKind.MEM, c, false);
        for (StoreKind s : stores) {
            if (s != StoreKind.MEM) {
                storeCell("store_dtm_" + s.id(), Mode.STORE_DTM, s, c);
                storeCell("store_ours_" + s.id(), Mode.STORE_OURS, s, c);
            }
            if (RawCeiling.supports(s)) {
                storeCell("raw_" + s.id(), Mode.RAW, s, c);
            }
            cell("emb_empty_" + s.id(), Mode.EMBEDDED, Workload.SAGA_EMPTY, s, c, false);
            if (s != StoreKind.MEM) {
                // the no-dtm baseline again, right before the cells it is compared with: on a shared machine the
                // rate of the first cell can differ from one measured minutes later by more than the ratio's margin
                cell("no_dtm_" + s.id(), Mode.NO_DTM, Workload.SAGA, s, c, false);
            }
            cell("emb_saga_" + s.id(), Mode.EMBEDDED, Workload.SAGA, s, c, false);
            cell("srv_saga_" + s.id(), Mode.SERVER, Workload.SAGA, s, c, false);
        }
        if (p.moreWorkloads()) {
            for (StoreKind s : stores) {
                if (s == StoreKind.MARIADB || s == StoreKind.POSTGRES) {
                    cell("no_dtm_sql_" + s.id(), Mode.NO_DTM, Workload.SAGA_SQL, s, c, false);
                    cell("emb_sql_" + s.id(), Mode.EMBEDDED, Workload.SAGA_SQL, s, c, false);
                    cell("srv_sql_" + s.id(), Mode.SERVER, Workload.SAGA_SQL, s, c, false);
                }
            }
        }
        if (p.moreWorkloads()) {
            sweep();
        }
        // the servers kept so far would poll their stores during the store-work counts
        runner.stopServers();
        for (StoreKind s : stores) {
            for (Workload w : List.of(Workload.SAGA, Workload.TCC, Workload.MSG, Workload.SAGA_FAIL)) {
                run(new CellSpec(name("count_" + w.id().replace('-', '_') + "_" + s.id()), Mode.EMBEDDED, w, s, 1,
                        p.countWindow().dividedBy(2), p.countWindow(), 0, HEAP_MIB, true));
            }
        }
        if (p.moreWorkloads() && stores.contains(StoreKind.SQLITE)) {
            cell("emb_tcc_sqlite", Mode.EMBEDDED, Workload.TCC, StoreKind.SQLITE, c, false);
            cell("emb_msg_sqlite", Mode.EMBEDDED, Workload.MSG, StoreKind.SQLITE, c, false);
        }
        if (stores.contains(StoreKind.SQLITE)) {
            openLoop(Mode.SERVER);
            openLoop(Mode.EMBEDDED);
            heaps();
            runner.stopServers();
        }
        for (StoreKind s : p.recoveryStores()) {
            if (stores.contains(s)) {
                recover(s);
            }
        }
    }

    /**
     * Spec performance.md 4.6's concurrency levels (1: the latency floor, 10 and 20: DTM's Redis and MySQL tests, 64:
     * the group-commit regime) for the saga on the embedded default store, embedded and server; then DTM's two
     * published tests replayed on the server: empty-URL sagas at C=10 on Redis, 2-branch sagas at C=20 on MariaDB.
     */
    private void sweep() {
        if (stores.contains(StoreKind.SQLITE)) {
            for (int c : SWEEP) {
                if (c != p.concurrency()) {
                    sweep.add(cell("emb_saga_sqlite_c" + c, Mode.EMBEDDED, Workload.SAGA, StoreKind.SQLITE, c, false));
                    sweep.add(cell("srv_saga_sqlite_c" + c, Mode.SERVER, Workload.SAGA, StoreKind.SQLITE, c, false));
                }
            }
        }
        if (stores.contains(StoreKind.REDIS)) {
            sweep.add(cell("dtm_redis_test", Mode.SERVER, Workload.SAGA_EMPTY, StoreKind.REDIS, 10, false));
        }
        if (stores.contains(StoreKind.MARIADB)) {
            sweep.add(cell("dtm_mysql_test", Mode.SERVER, Workload.SAGA, StoreKind.MARIADB, 20, false));
        }
    }

    /** The closed-loop cell of {@code mode} and {@code workload} on {@code store} at C, if it ran. */
    Optional<CellResult> find(Mode mode, Workload workload, StoreKind store) {
        return results.stream().filter(r -> r.spec().mode() == mode && r.spec().store() == store
                && (r.spec().workload() == workload || mode == Mode.STORE_DTM || mode == Mode.STORE_OURS
                || mode == Mode.RAW)
                && r.spec().concurrency() == p.concurrency() && r.spec().openRate() == 0
                && r.spec().heapMib() == HEAP_MIB && !r.spec().countSpi()).findFirst();
    }

    /** The C=1 store-work cell of {@code workload} on {@code store}, if it ran. */
    Optional<CellResult> count(Workload workload, StoreKind store) {
        return results.stream().filter(r -> r.spec().countSpi() && r.spec().workload() == workload
                && r.spec().store() == store).findFirst();
    }

    /** Open-loop cells. */
    List<CellResult> openLoops() {
        return results.stream().filter(r -> r.spec().openRate() > 0).toList();
    }

    private void openLoop(Mode mode) {
        String base = "open_" + mode.name().toLowerCase() + "_sqlite";
        find(mode, Workload.SAGA, StoreKind.SQLITE).filter(r -> r.tps() > 0).ifPresent(max -> run(max.spec()
                .withOpenRate(Math.max(1, Math.round(max.tps() / 2)), name(base))));
    }

    /**
     * Bisection over the profile's heaps: halves where 90% of the 256 MiB rate is kept or lost. The 256 MiB rate is
     * measured again right before, so that the cells compared are neighbours in time.
     */
    private void heaps() {
        Optional<CellResult> server = find(Mode.SERVER, Workload.SAGA, StoreKind.SQLITE);
        if (server.isEmpty() || server.get().tps() <= 0) {
            return;
        }
        CellResult ref = run(server.get().spec().withHeap(HEAP_MIB, name("heap_" + HEAP_MIB + "_sqlite")));
        if (ref.tps() <= 0) {
            return;
        }
        heapTps.put(HEAP_MIB, ref.tps());
        List<Integer> heaps = p.heaps();
        int lo = 0;
        int hi = heaps.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) / 2;
            int mib = heaps.get(mid);
            CellResult r = run(ref.spec().withHeap(mib, name("heap_" + mib + "_sqlite")));
            heapTps.put(mib, r.tps());
            if (r.tps() >= HEAP_KEEP * ref.tps() && r.load().errors() == 0) {
                hi = mid - 1;
            } else {
                lo = mid + 1;
            }
        }
    }

    private void recover(StoreKind s) {
        double steady = find(Mode.SERVER, Workload.SAGA, s).map(CellResult::tps).orElse(Double.NaN);
        Duration bound = Duration.ofSeconds(Math.max(60, p.recoveryN() / 50));
        log("recovery on " + s.title() + ": " + p.recoveryN() + " in flight");
        try {
            Recovery.Result r = recovery.run(s, p.recoveryN(), p.concurrency(), steady, bound);
            recoveries.add(r);
            log(String.format("recovery on %s: %d in flight, drained in %d ms (first after %d ms), %.0f tx/s",
                    s.title(), r.inFlight(), r.drainMillis(), r.firstMillis(), r.recoveryTps()));
        } catch (RuntimeException e) {
            recoveries.add(new Recovery.Result(s, 0, -1, -1, -1, steady, 0, 0, 0, "failed: " + e.getMessage()));
            log("recovery on " + s.title() + " failed: " + e);
        }
    }

    /** Untimed, unreported load through every code path of this JVM, so the first cells do not pay for the JIT. */
    private void warmUp(int c) {
        log("warming up this JVM (untimed)");
        for (Mode mode : List.of(Mode.NO_DTM, Mode.EMBEDDED)) {
            try {
                runner.run(new CellSpec("warmup_" + mode.name().toLowerCase(), mode, Workload.SAGA, StoreKind.MEM, c,
                        p.warmup(), p.warmup(), 0, HEAP_MIB, false));
            } catch (Exception e) {
                log("warm-up " + mode.title() + " failed: " + e);
            }
        }
    }

    private void storeCell(String base, Mode mode, StoreKind s, int c) {
        run(new CellSpec(name(base), mode, Workload.SAGA, s, c, p.storeWarmup(), p.storeMeasure(), 0, HEAP_MIB,
                false));
    }

    private CellResult cell(String base, Mode mode, Workload w, StoreKind s, int c, boolean countSpi) {
        Duration warmup = mode == Mode.SERVER ? p.serverWarmup() : p.warmup();
        return run(new CellSpec(name(base), mode, w, s, c, warmup, p.measure(), 0, HEAP_MIB, countSpi));
    }

    private String name(String base) {
        return String.format("c%02d_%s", ++cells, base);
    }

    private CellResult run(CellSpec spec) {
        CellResult r;
        try {
            r = runner.run(spec);
        } catch (Exception | AssertionError e) {
            r = new CellResult(spec, new LoadResult(0, 0, 0, 0, new Histogram(2), ""), Map.of(), Map.of(),
                    Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, "cell failed: " + e);
        }
        results.add(r);
        log(String.format("%s  %s: %.0f tx/s, %d errors%s", spec.name(), spec.title(), r.tps(), r.load().errors(),
                r.note().isEmpty() ? "" : " (" + r.note() + ")"));
        return r;
    }

    static void log(String msg) {
        System.err.printf("[bench %tT] %s%n", System.currentTimeMillis(), msg);
    }
}
