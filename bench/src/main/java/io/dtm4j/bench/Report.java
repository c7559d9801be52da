package io.dtm4j.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Writes {@code BENCHMARKS.md}: how the run was made, the machine, issue 8's figures against their targets, then
 * every cell in detail. Not thread-safe.
 */
final class Report {
    private final StringBuilder md = new StringBuilder();

    /** What the report needs besides the matrix. */
    record Run(String command, String profile, String date, String commit, double minutes,
               Map<String, String> machine, Machine.Fsync fsyncBefore, Machine.Fsync fsyncAfter,
               Map<StoreKind, Map<String, String>> settings, List<StoreKind> stores, List<String> skipped) {
    }

    static String render(Run run, Matrix m, List<Verdict> verdicts) {
        Report r = new Report();
        r.header(run);
        r.machine(run);
        r.targets(verdicts);
        r.cells(m);
        r.sweep(m);
        r.storeWork(m, run.stores());
        r.recovery(m);
        r.method(run);
        return r.md.toString();
    }

    private void header(Run run) {
        line("# Benchmarks");
        line("");
        line("Written by `" + run.command() + "` on " + run.date() + " (git " + run.commit() + ", "
                + String.format(Locale.ROOT, "%.1f", run.minutes()) + " minutes, profile " + run.profile() + ").");
        if (run.profile().equals("quick")) {
            line("**Quick profile: windows of a second or two on a shared machine. These numbers show that the "
                    + "harness works; they are not results.**");
        }
        line("");
        line("Reproduce: `scripts/bench.sh --full` (about 17 minutes on 2 cores, plus a minute of build; it builds "
                + "what it needs and starts the throwaway stores of `scripts/services-up.sh` when absent). Compare "
                + "figures only within one file: raw rates move 30-60% between sittings on a shared machine (spec "
                + "performance.md 3); ratios of cells of the same run, counts per transaction and CPU per "
                + "transaction are what carry over.");
        line("");
    }

    private void machine(Run run) {
        line("## Machine");
        line("");
        table(List.of("what", "value"));
        run.machine().forEach((k, v) -> row(k, v));
        row("fsync calibration before", fsync(run.fsyncBefore()));
        row("fsync calibration after", fsync(run.fsyncAfter()));
        double drift = Math.abs(run.fsyncAfter().perSecond() - run.fsyncBefore().perSecond())
                / run.fsyncBefore().perSecond();
        row("calibration drift", String.format(Locale.ROOT, "%.0f%%%s", 100 * drift,
                drift > 0.2 ? " (over 20%: a noisy sitting, spec 4.6)" : ""));
        run.settings().forEach((k, v) -> row(k.title(), v.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(", "))));
        if (!run.skipped().isEmpty()) {
            row("stores not run", String.join("; ", run.skipped()));
        }
        line("");
    }

    private static String fsync(Machine.Fsync f) {
        return String.format(Locale.ROOT, "%,.0f writes+fsync/s serial (4 KiB, %d), p50 %.0f µs, p99 %.0f µs",
                f.perSecond(), f.count(), f.p50Micros(), f.p99Micros());
    }

    private void targets(List<Verdict> verdicts) {
        line("## Figures and targets (issue 8)");
        line("");
        table(List.of("figure", "where", "target", "measured", "status"));
        for (Verdict v : verdicts) {
            row(v.figure(), v.scope(), v.target(), v.measured(), v.status());
        }
        long missed = verdicts.stream().filter(v -> v.status().startsWith("missed")).count();
        long met = verdicts.stream().filter(v -> v.status().startsWith("met")).count();
        line("");
        line(met + " met, " + missed + " missed. A missed figure stays as measured; what limits each one, from the cells "
                + "and from profiles, is in `docs/performance.md`.");
        line("");
    }

    private void cells(Matrix m) {
        line("## Every cell");
        line("");
        line("CPU is per transaction: for the server its whole JVM (`/proc/<pid>/stat`); in this JVM (embedded, "
                + "store-only, no-dtm) every thread but the busi stub's, so the load loop is included. Allocation: "
                + "`ThreadMXBean.getThreadAllocatedBytes` summed (the server's through JMX). Store counters are deltas "
                + "per transaction over the timed run.");
        line("");
        table(List.of("cell", "what", "tx/s", "p50 ms", "p99 ms", "CPU µs/tx", "store CPU µs/tx", "alloc KiB/tx",
                "store counters per tx", "busi calls per tx", "errors / note"));
        for (CellResult r : m.results) {
            row(r.spec().name(), r.spec().title(), Verdict.num(r.tps()), Verdict.num(r.load().percentileMillis(50)),
                    Verdict.num(r.load().percentileMillis(99)), Verdict.num(r.cpuMicrosPerTx()),
                    Verdict.num(r.storeCpuMicrosPerTx()), Verdict.num(r.allocBytesPerTx() / 1024),
                    counters(r.storePerTx()), counters(r.busiPerTx()),
                    r.load().errors() + (r.note().isEmpty() ? "" : "; " + r.note()));
        }
        line("");
        if (!m.heapTps.isEmpty()) {
            line("Server heap bisection (saga, SQLite, -Xms = -Xmx): " + m.heapTps.entrySet().stream()
                    .map(e -> e.getKey() + " MiB: " + Verdict.num(e.getValue()) + " tx/s")
                    .collect(Collectors.joining("; ")) + ".");
            line("");
        }
    }

    private void sweep(Matrix m) {
        List<CellResult> cells = m.sweep;
        if (cells.isEmpty()) {
            return;
        }
        line("## Concurrency and DTM's published tests");
        line("");
        line("The saga on the embedded default store at C = 1, 10, 20 and 64 (the C=64 rows are `emb_saga_sqlite` and "
                + "`srv_saga_sqlite` above), and DTM's two published tests replayed on the standalone server: "
                + "\"DTM Redis test\" (empty-URL 2-step sagas with wait_result, C=10; DTM published 10,875 sagas/s on "
                + "4 cores with Redis without AOF; here Redis runs AOF everysec and shares 2 cores with server and "
                + "driver) and \"DTM MySQL test\" (2-branch HTTP sagas, busi doing nothing, C=20; DTM published 935 "
                + "sagas/s on 4 cores with MySQL).");
        line("");
        table(List.of("cell", "what", "tx/s", "p50 ms", "p99 ms", "CPU µs/tx", "note"));
        for (CellResult r : cells) {
            row(r.spec().name(), r.spec().title(), Verdict.num(r.tps()), Verdict.num(r.load().percentileMillis(50)),
                    Verdict.num(r.load().percentileMillis(99)), Verdict.num(r.cpuMicrosPerTx()),
                    r.load().errors() + " errors" + (r.note().isEmpty() ? "" : "; " + r.note()));
        }
        line("");
    }

    private void storeWork(Matrix m, List<StoreKind> stores) {
        line("## Store work per transaction (C=1)");
        line("");
        line("Durable writes are counted by each store itself: SQLite the writer's commits (one fsync each), "
                + "PostgreSQL the transaction ids handed out (write transactions; `xact_commit` also counts reads), "
                + "MariaDB `Com_commit`, Redis `EVALSHA` + `EVAL` calls. SPI calls are what the engine asked of the "
                + "store.");
        line("");
        table(List.of("store", "workload", "durable writes", "SPI writes", "SPI reads", "store counters per tx",
                "busi calls per tx", "transactions"));
        for (StoreKind s : stores) {
            for (Workload w : List.of(Workload.SAGA, Workload.TCC, Workload.MSG, Workload.SAGA_FAIL)) {
                m.count(w, s).ifPresent(r -> row(s.title(), w.title(), Verdict.num(Figures.durableWrites(m, w, s)),
                        Verdict.num(r.spiWritesPerTx()), Verdict.num(r.spiReadsPerTx()), counters(r.storePerTx()),
                        counters(r.busiPerTx()), r.load().completed() + (r.load().errors() > 0
                                ? " (" + r.load().errors() + " errors: " + r.note() + ")" : "")));
            }
        }
        line("");
    }

    private void recovery(Matrix m) {
        if (m.recoveries.isEmpty()) {
            return;
        }
        line("## Crash recovery");
        line("");
        line("N sagas in flight on the server (busi answering ONGOING), SIGKILL, the busi stub turned to SUCCESS, "
                + "restart on the same store; `RetryInterval: 1`, recovery polls every 2 s. Times count from the "
                + "moment the restarted server answers.");
        line("");
        table(List.of("store", "in flight", "kill to answering ms", "first final ms", "all final ms", "recovery tx/s",
                "tx/s after the first", "steady server tx/s", "ratio", "duplicate calls", "compensations",
                "TransIn missing", "note"));
        for (Recovery.Result r : m.recoveries) {
            row(r.store().title(), Integer.toString(r.inFlight()), Long.toString(r.restartMillis()),
                    Long.toString(r.firstMillis()),
                    r.drainMillis() < 0 ? "not within bound" : Long.toString(r.drainMillis()),
                    Verdict.num(r.recoveryTps()), Verdict.num(r.tpsAfterFirst()), Verdict.num(r.steadyTps()),
                    Verdict.num(r.ratio()),
                    Long.toString(r.duplicates()), Long.toString(r.compensations()), Long.toString(r.missingTransIn()),
                    r.note());
        }
        line("");
    }

    private void method(Run run) {
        line("## Method and limits");
        line("");
        line("- Harness: module `bench` (`io.dtm4j.bench.BenchMain`), run by `scripts/bench.sh`. Busi stub: JDK "
                + "HttpServer with `sun.net.httpserver.nodelay=true`, constant SUCCESS bodies, in the driver JVM. "
                + "Closed loops with client-side gids and `wait_result`; open loops measure latency from the intended "
                + "send time (HdrHistogram).");
        line("- Modes: `server` = dtm.jar in a child JVM (-Xms = -Xmx = 256 MiB, G1, AlwaysPreTouch, LogLevel warn) "
                + "driven through the SDK over HTTP, warmed up until its rate stops rising (at most 30 s) and kept "
                + "for the next server cells on the same store and heap (each cell's note says which); `embedded` = "
                + "`Coordinator` in the driver JVM with the real `OkHttpBranchInvoker`; `empty-url` = steps with empty "
                + "URLs (coordinator + store only); `no-dtm` = the driver calls TransOut and TransIn itself with the "
                + "same invoker, measured again right before each store's cells.");
        line("- Store-only ceilings run through our stores' SPI (group commit, scripts by SHA and prepared "
                + "statements apply to both shapes), so the DTM-shaped ceiling is higher than DTM's own store code "
                + "would reach: the coordinator/ceiling ratio is conservative.");
        line("- PostgreSQL's transaction ids (`xids`: write transactions) are exact; its `xact_commit` and "
                + "`pg_stat_wal` counts are published lazily by each backend (after 1 s idle, up to 10 s when busy), "
                + "so their per-cell deltas are approximate. Redis `all_commands` includes the commands run inside "
                + "scripts; `evalsha` + `eval` are our store's round trips. `commits` and `writes` are our JDBC "
                + "store's own group-commit counters (mean batch = writes / commits).");
        line("- PostgreSQL's `pg_stat_wal`, its transaction ids, MariaDB's status and Redis's commandstats are "
                + "server-wide: other clients of the same servers during the run add to them. The stores are the "
                + "throwaway instances of `scripts/services-up.sh` (PostgreSQL fsync=off, MariaDB "
                + "innodb_flush_log_at_trx_commit=2, Redis AOF everysec), which decide what a commit costs.");
        line("- Not measured: fsyncs of the server-mode SQLite store (its counters live in the child JVM; store "
                + "work is a property of engine and store, measured in embedded mode); SQLite WAL checkpoint fsyncs; "
                + "fsyncs of MariaDB and Redis (both are configured not to fsync per commit here).");
        line("");
        line("Command: `" + run.command() + "`");
    }

    private static String counters(Map<String, Double> m) {
        if (m.isEmpty()) {
            return "-";
        }
        return m.entrySet().stream().map(e -> e.getKey() + " " + Verdict.num(e.getValue()))
                .collect(Collectors.joining(", "));
    }

    private void table(List<String> headers) {
        line("| " + String.join(" | ", headers) + " |");
        line("|" + " --- |".repeat(headers.size()));
    }

    private void row(String... cells) {
        line("| " + String.join(" | ", List.of(cells).stream().map(c -> c.replace("|", "/")).toList()) + " |");
    }

    private void line(String s) {
        md.append(s).append('\n');
    }
}
