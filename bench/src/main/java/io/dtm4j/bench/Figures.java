package io.dtm4j.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Issue 8's figures, each against its target, computed from one run's results. Every ratio compares cells of the
 * same run (spec performance.md 4.3: raw rates do not compare across sittings). Stateless.
 */
final class Figures {
    private static final String DTM_SAGA = " (DTM: 4)";

    private Figures() {
    }

    static List<Verdict> all(Matrix m, List<StoreKind> stores, Map<StoreKind, Map<String, String>> settings) {
        List<Verdict> v = new ArrayList<>();
        for (StoreKind s : stores) {
            v.add(writes(m, "durable writes per happy saga", Workload.SAGA, s, 2, DTM_SAGA));
            v.add(writes(m, "durable writes per TCC (2 branches)", Workload.TCC, s, 5, " (DTM: 7)"));
            v.add(writes(m, "durable writes per msg (2 branches)", Workload.MSG, s, 3, " (DTM: 5)"));
        }
        fsyncs(m, stores, settings, v);
        for (StoreKind s : stores) {
            if (s == StoreKind.MEM) {
                continue;
            }
            double ratio = ratio(m.find(Mode.EMBEDDED, Workload.SAGA_EMPTY, s), m.find(Mode.STORE_DTM, null, s));
            Verdict r = Verdict.atLeast("embedded empty-URL saga / DTM-shaped store-only ceiling", s.title(), 1.3,
                    " (DTM: 0.72)", ratio);
            v.add(s == StoreKind.REDIS || s == StoreKind.POSTGRES ? r : r.withNote("target set for Redis and "
                    + "PostgreSQL only"));
        }
        for (StoreKind s : stores) {
            // each store's cells against the no-dtm cell measured right before them
            Optional<CellResult> noDtm = m.find(Mode.NO_DTM, Workload.SAGA, s);
            v.add(Verdict.atLeast("embedded / no-dtm throughput", s.title(), 0.7, " (DTM: 0.47)",
                    ratio(m.find(Mode.EMBEDDED, Workload.SAGA, s), noDtm)));
            v.add(Verdict.atLeast("server / no-dtm throughput", s.title(), 0.5, " (DTM: 0.47)",
                    ratio(m.find(Mode.SERVER, Workload.SAGA, s), noDtm)));
        }
        for (StoreKind s : stores) {
            Optional<CellResult> noDtmSql = m.find(Mode.NO_DTM, Workload.SAGA_SQL, s);
            if (noDtmSql.isPresent()) {
                String scope = s.title() + ", busi 2 SQL per branch on it";
                v.add(Verdict.atLeast("embedded / no-dtm throughput, DTM's condition", scope, 0.7, " (DTM: 0.47)",
                        ratio(m.find(Mode.EMBEDDED, Workload.SAGA_SQL, s), noDtmSql)));
                v.add(Verdict.atLeast("server / no-dtm throughput, DTM's condition", scope, 0.5, " (DTM: 0.47)",
                        ratio(m.find(Mode.SERVER, Workload.SAGA_SQL, s), noDtmSql)));
            }
        }
        v.add(heap(m));
        for (Recovery.Result r : m.recoveries) {
            Verdict rec = Verdict.atLeast("recovery rate / steady server rate", r.store().title() + ", "
                    + r.inFlight() + " in flight", 0.5, " (DTM: one per poll)", r.ratio());
            v.add(r.note().startsWith("failed") ? Verdict.notMeasured(rec.figure(), rec.scope(), rec.target(),
                    r.note()) : rec);
        }
        for (CellResult r : m.openLoops()) {
            v.add(Verdict.reported("p50 / p99 of submit with wait_result at 50% of max", r.spec().mode().title()
                    + ", " + r.spec().store().title(), Verdict.num(r.load().percentileMillis(50)) + " / "
                    + Verdict.num(r.load().percentileMillis(99)) + " ms at " + Verdict.num(r.spec().openRate())
                    + "/s"));
        }
        return v;
    }

    /**
     * The store's count against the target; when it differs from the engine's count of writes that changed something,
     * says so (DTM's counts leave out its own store calls that change nothing, such as submit's insert attempt on a
     * prepared transaction).
     */
    private static Verdict writes(Matrix m, String figure, Workload w, StoreKind s, double limit, String dtm) {
        Verdict v = Verdict.atMost(figure, s.title(), limit, dtm, durableWrites(m, w, s));
        double spi = m.count(w, s).map(CellResult::spiWritesPerTx).orElse(Double.NaN);
        double store = durableWrites(m, w, s);
        if (!Double.isNaN(spi) && !Double.isNaN(store) && Math.abs(spi - store) > 0.005) {
            return v.withNote("engine writes that changed something: " + Verdict.num(spi) + "; the rest are store "
                    + "calls that changed nothing, e.g. submit's insert attempt on a prepared transaction");
        }
        return v;
    }

    /**
     * Durable writes per transaction at C=1, as the store counts them: SQLite's writer commits (one fsync each),
     * PostgreSQL's transaction ids (write transactions only), MariaDB's {@code Com_commit}, Redis's scripts; the
     * engine's own count for the in-memory store.
     */
    static double durableWrites(Matrix m, Workload w, StoreKind s) {
        Optional<CellResult> c = m.count(w, s).filter(r -> r.load().completed() > 0 && r.load().errors() == 0);
        if (c.isEmpty()) {
            return Double.NaN;
        }
        CellResult r = c.get();
        return switch (s) {
            case MEM -> r.spiWritesPerTx();
            case SQLITE -> r.store("commits");
            case POSTGRES -> r.store("xids");
            case MARIADB -> r.store("Com_commit");
            case REDIS -> r.store("evalsha") + r.store("eval");
        };
    }

    private static void fsyncs(Matrix m, List<StoreKind> stores, Map<StoreKind, Map<String, String>> settings,
                               List<Verdict> v) {
        String figure = "fsyncs per transaction, embedded saga, C=64";
        if (stores.contains(StoreKind.SQLITE)) {
            v.add(Verdict.atMost(figure, StoreKind.SQLITE.title(), 0.1, " (DTM's boltdb: 8)",
                    m.find(Mode.EMBEDDED, Workload.SAGA, StoreKind.SQLITE).map(r -> r.store("commits"))
                            .orElse(Double.NaN)).withNote("writer commits; WAL checkpoints not counted"));
        }
        if (stores.contains(StoreKind.POSTGRES)) {
            // each committed write transaction flushes the WAL at most once (synchronous_commit=on); PostgreSQL's
            // own group commit can only merge flushes, so write transactions per saga bound the fsyncs per saga
            boolean fsyncOn = "on".equals(settings.getOrDefault(StoreKind.POSTGRES, Map.of()).get("fsync"));
            v.add(Verdict.atMost(figure, StoreKind.POSTGRES.title(), 0.1, " (DTM: 4 commits)",
                    m.find(Mode.EMBEDDED, Workload.SAGA, StoreKind.POSTGRES).map(r -> r.store("xids"))
                            .orElse(Double.NaN)).withNote("upper bound: write transactions (transaction ids) per saga,"
                    + " each at most one WAL flush" + (fsyncOn ? "" : "; this instance runs fsync=off, so "
                    + "pg_stat_wal.wal_sync cannot count them")));
        }
    }

    private static Verdict heap(Matrix m) {
        String figure = "smallest server -Xmx keeping 90% of the 256 MiB rate";
        String scope = "server, saga, SQLite";
        Double ref = m.heapTps.get(Matrix.HEAP_MIB);
        if (ref == null || ref <= 0) {
            return Verdict.notMeasured(figure, scope, "<= 128 MiB", "no server rate on SQLite");
        }
        int smallest = Matrix.HEAP_MIB;
        for (Map.Entry<Integer, Double> e : m.heapTps.entrySet()) {
            if (e.getValue() >= Matrix.HEAP_KEEP * ref && e.getKey() < smallest) {
                smallest = e.getKey();
            }
        }
        return Verdict.atMost(figure, scope, 128, " MiB", smallest).withMeasured(smallest + " MiB");
    }

    private static double ratio(Optional<CellResult> a, Optional<CellResult> b) {
        // errors show in the cell table; a failed transaction is never counted in a rate
        if (a.isEmpty() || b.isEmpty() || b.get().tps() <= 0 || a.get().load().completed() == 0) {
            return Double.NaN;
        }
        return a.get().tps() / b.get().tps();
    }
}
