package io.dtm4j.bench;

import io.dtm4j.client.DtmClient;
import io.dtm4j.client.OkHttpBranchInvoker;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.TransType;
import io.dtm4j.core.spi.BranchCall;
import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.core.testing.CountingTransactionStore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runs one cell: sets up its subject (coordinator, server, store-only shape), loads it untimed, then brackets the
 * timed run with snapshots of every counter (the store's, the busi stub's, CPU and allocation) and divides the
 * deltas by the transactions completed. Not thread-safe.
 */
final class CellRunner {
    private static final long SELF = ProcessHandle.current().pid();
    private static final Duration SERVER_CALL_TIMEOUT = Duration.ofSeconds(30);

    private final StoreAdmin admin;
    private final BusiStub busi;
    private final Path dtmJar;
    private final Path workDir;
    private final boolean settle;
    private final Duration serverWarmupMax;
    /**
     * Standalone servers kept between cells, by store and heap: a server JVM warms up once (up to 30 s) and then
     * serves the next server cells on the same store and heap, on the namespace of the cell that started it (gid
     * prefixes keep the cells apart). {@link #stopServers()} ends them.
     */
    private final Map<String, LiveServer> servers = new LinkedHashMap<>();

    /**
     * @param settle          wait for the store to publish lazily counted statistics before each snapshot
     * @param serverWarmupMax the longest warm-up of a server cell (see {@link #warmUp})
     */
    CellRunner(StoreAdmin admin, BusiStub busi, Path dtmJar, Path workDir, boolean settle, Duration serverWarmupMax) {
        this.admin = admin;
        this.busi = busi;
        this.dtmJar = dtmJar;
        this.workDir = workDir;
        this.settle = settle;
        this.serverWarmupMax = serverWarmupMax;
    }

    /**
     * What the timed run is applied to, and where its counters are read.
     *
     * @param tx          one transaction of the cell's workload
     * @param cpuPid      the process whose CPU is the coordinator's
     * @param probe       the coordinator JVM's threads; null when it could not be reached
     * @param localStore  our store in this process, or null
     * @param counting    the engine's store calls, or null when not counted
     * @param closeables  what the cell closes when it ends (nothing for a server kept for the next cell)
     */
    private record Subject(LoadDriver.Tx tx, long cpuPid, JvmProbe probe, TransactionStore localStore,
                           CountingTransactionStore counting, List<AutoCloseable> closeables) implements AutoCloseable {
        /** CPU of the coordinator's process so far, in microseconds. */
        long cpuMicros() {
            return ProcStat.cpuMicros(cpuPid);
        }

        @Override
        public void close() {
            closeAll(closeables);
        }
    }

    private record Snapshot(Map<String, Long> store, long cpuMicros, JvmProbe.Snapshot jvm, Map<String, Long> busi,
                            long storeCpuMicros, int spiWrites, int spiReads) {
    }

    /** Length of one warm-up slice of a server cell. */
    private static final Duration SLICE = Duration.ofSeconds(2);
    /** A slice this much above the best before it means the server's JIT is still paying off. */
    private static final double STILL_RISING = 0.05;

    CellResult run(CellSpec spec) throws SQLException {
        if (spec.workload() != Workload.SAGA_SQL) {
            return measure(spec);
        }
        // one connection per request thread of the stub
        try (BusiDb db = BusiDb.open(spec.store(), admin.env(), busi.threads())) {
            busi.sqlWork(db);
            return measure(spec);
        } finally {
            busi.sqlWork(null);
        }
    }

    private CellResult measure(CellSpec spec) throws SQLException {
        if (spec.mode() == Mode.SERVER) {
            String key = spec.store().id() + "/" + spec.heapMib();
            LiveServer live = servers.get(key);
            boolean warm = live != null;
            if (!warm) {
                live = LiveServer.start(this, spec);
                servers.put(key, live);
            }
            return measure(spec, live.subject(spec.workload().on(live.client, busi.url())), warm);
        }
        try (StoreSpace space = new StoreSpace(spec.store(), spec.name(), admin, workDir);
             Subject s = subject(spec, space)) {
            return measure(spec, s, false);
        }
    }

    /** Ends the servers kept between cells, and drops their namespaces. */
    void stopServers() {
        servers.values().forEach(LiveServer::close);
        servers.clear();
    }

    private CellResult measure(CellSpec spec, Subject s, boolean warm) {
        String warmed = warmUp(spec, s.tx(), warm);
        settle(spec.store());
        Snapshot before = snapshot(spec, s);
        LoadResult r = load(spec, s.tx(), spec.measure(), spec.name());
        settle(spec.store());
        Snapshot after = snapshot(spec, s);
        return result(spec, r, before, after, join(warmed,
                s.probe() == null ? "allocation not measured (no JMX)" : ""));
    }

    /**
     * Untimed load before the timed window. A server cell starts a new JVM whose JIT keeps improving well past the
     * profile's warm-up (an 8 s warm-up measured 588 µs of server CPU per saga, a 30 s one 346 µs): after the
     * profile's warm-up, it goes on in slices of {@link #SLICE} until the rate has stopped rising (two slices in a
     * row no more than {@link #STILL_RISING} above the best before them), for at most the profile's maximum in all
     * (spec performance.md 4.6 asks for 30 s). Returns a note on how long a server cell warmed up; empty otherwise.
     */
    private String warmUp(CellSpec spec, LoadDriver.Tx tx, boolean warm) {
        // a server kept from an earlier cell has its JIT warm: one slice, then as below
        Duration first = warm ? SLICE : spec.warmup();
        double firstTps = load(spec, tx, first, spec.name() + "w").tps();
        if (spec.mode() != Mode.SERVER || serverWarmupMax.compareTo(spec.warmup()) <= 0) {
            return "";
        }
        Duration spent = first;
        double best = firstTps;
        int flat = 0;
        int slice = 0;
        while (flat < 2 && spent.plus(SLICE).compareTo(serverWarmupMax) <= 0) {
            double tps = load(spec, tx, SLICE, spec.name() + "w" + ++slice).tps();
            spent = spent.plus(SLICE);
            flat = tps <= best * (1 + STILL_RISING) ? flat + 1 : 0;
            best = Math.max(best, tps);
        }
        return (warm ? "server kept from an earlier cell, warmed up " : "server warmed up ") + spent.toSeconds()
                + " s";
    }

    private void settle(StoreKind kind) {
        if (settle) {
            admin.settle(kind);
        }
    }

    private static LoadResult load(CellSpec spec, LoadDriver.Tx tx, Duration d, String prefix) {
        return spec.openRate() > 0 ? LoadDriver.open(tx, spec.openRate(), d, spec.concurrency(), prefix)
                : LoadDriver.closed(tx, spec.concurrency(), d, prefix);
    }

    private Snapshot snapshot(CellSpec spec, Subject s) {
        CountingTransactionStore c = s.counting();
        return new Snapshot(admin.counters(spec.store(), s.localStore()), s.cpuMicros(),
                s.probe() == null ? null : s.probe().snapshot(), busi.counts(), storeCpu(spec.store()),
                c == null ? 0 : c.writes(), c == null ? 0 : c.reads());
    }

    private static CellResult result(CellSpec spec, LoadResult r, Snapshot b, Snapshot a, String note) {
        double n = Math.max(1, r.completed());
        Map<String, Double> store = new TreeMap<>();
        a.store().forEach((k, v) -> store.put(k, (v - b.store().getOrDefault(k, 0L)) / n));
        Map<String, Double> calls = new TreeMap<>();
        a.busi().forEach((k, v) -> {
            long d = v - b.busi().getOrDefault(k, 0L);
            if (d > 0) {
                calls.put(k, d / n);
            }
        });
        double cpu = a.cpuMicros() - b.cpuMicros();
        double alloc = Double.NaN;
        if (a.jvm() != null && b.jvm() != null) {
            // in this JVM the busi stub's threads are not the coordinator's
            cpu -= (a.jvm().excludedCpuNanos() - b.jvm().excludedCpuNanos()) / 1000.0;
            alloc = JvmProbe.allocatedBetween(b.jvm(), a.jvm()) / n;
        }
        boolean counted = spec.countSpi();
        String notes = r.errors() > 0 ? join(note, r.errors() + " errors, first: " + r.firstError()) : note;
        return new CellResult(spec, r, store, calls, counted ? (a.spiWrites() - b.spiWrites()) / n : Double.NaN,
                counted ? (a.spiReads() - b.spiReads()) / n : Double.NaN, cpu / n,
                a.storeCpuMicros() < 0 ? Double.NaN : (a.storeCpuMicros() - b.storeCpuMicros()) / n, alloc, notes);
    }

    private static String join(String a, String b) {
        return a.isEmpty() ? b : b.isEmpty() ? a : a + "; " + b;
    }

    private static long storeCpu(StoreKind kind) {
        return switch (kind) {
            case POSTGRES -> ProcStat.cpuMicrosOf(Set.of("postgres"));
            case MARIADB -> ProcStat.cpuMicrosOf(Set.of("mariadbd"));
            case REDIS -> ProcStat.cpuMicrosOf(Set.of("redis-server"));
            default -> -1;
        };
    }

    private Subject subject(CellSpec spec, StoreSpace space) throws SQLException {
        return switch (spec.mode()) {
            case NO_DTM -> noDtm(spec.workload());
            case EMBEDDED -> embedded(spec, space);
            case SERVER -> throw new IllegalStateException("server cells run on a LiveServer");
            case STORE_DTM, STORE_OURS -> storeOnly(spec, space);
            case RAW -> raw(spec);
        };
    }

    private Subject noDtm(Workload w) {
        OkHttpBranchInvoker invoker = OkHttpBranchInvoker.builder().build();
        byte[] body = Workload.BODY.getBytes(StandardCharsets.UTF_8);
        String out = busi.url() + "/" + w.sagaActions().get(0);
        String in = busi.url() + "/" + w.sagaActions().get(1);
        LoadDriver.Tx tx = gid -> {
            call(invoker, new BranchCall(gid, TransType.SAGA, "01", "action", out, body, "http", Map.of(),
                    Coordinator.DEFAULT_REQUEST_TIMEOUT));
            call(invoker, new BranchCall(gid, TransType.SAGA, "02", "action", in, body, "http", Map.of(),
                    Coordinator.DEFAULT_REQUEST_TIMEOUT));
        };
        return local(tx, null, null, invoker);
    }

    private static void call(OkHttpBranchInvoker invoker, BranchCall call) {
        if (invoker.invoke(call).result() != BranchResult.SUCCESS) {
            throw new IllegalStateException("gid=" + call.gid() + ": busi call " + call.url() + " did not succeed");
        }
    }

    private Subject embedded(CellSpec spec, StoreSpace space) {
        TransactionStore raw = space.open();
        CountingTransactionStore counting = spec.countSpi() ? new CountingTransactionStore(raw) : null;
        OkHttpBranchInvoker invoker = OkHttpBranchInvoker.builder().build();
        Coordinator coordinator = Coordinator.builder().store(counting != null ? counting : raw).invoker(invoker)
                .build();
        DtmClient client = DtmClient.builder().coordinator(coordinator).branchInvoker(invoker).build();
        return local(spec.workload().on(client, busi.url()), raw, counting, client, coordinator, invoker, raw);
    }

    private Subject storeOnly(CellSpec spec, StoreSpace space) {
        TransactionStore store = space.open();
        LoadDriver.Tx tx = spec.mode() == Mode.STORE_DTM ? StoreOnly.dtmShaped(store) : StoreOnly.ours(store);
        return local(tx, store, null, store);
    }

    private Subject raw(CellSpec spec) throws SQLException {
        RawCeiling ceiling = RawCeiling.open(spec.store(), admin.env(), spec.name());
        return local(ceiling.tx(), null, null, ceiling);
    }

    /** A subject in this JVM; {@code closeables} close in order. */
    private static Subject local(LoadDriver.Tx tx, TransactionStore store, CountingTransactionStore counting,
                                 AutoCloseable... closeables) {
        return new Subject(tx, SELF, JvmProbe.local(), store, counting, List.of(closeables));
    }

    /** A standalone server, its namespace, and the SDK client and JMX probe the cells reach it with. */
    private static final class LiveServer implements AutoCloseable {
        final StoreSpace space;
        final ServerProcess process;
        final DtmClient client;
        final JvmProbe probe;

        private LiveServer(StoreSpace space, ServerProcess process, DtmClient client, JvmProbe probe) {
            this.space = space;
            this.process = process;
            this.client = client;
            this.probe = probe;
        }

        static LiveServer start(CellRunner r, CellSpec spec) {
            StoreSpace space = new StoreSpace(spec.store(), spec.name(), r.admin, r.workDir);
            ServerProcess server;
            try {
                server = ServerProcess.start(r.dtmJar, r.workDir, spec.name(), space.serverConfig(), List.of(),
                        spec.heapMib());
            } catch (RuntimeException e) {
                space.close();
                throw e;
            }
            DtmClient client = DtmClient.builder().serverUrl(server.apiUrl()).timeout(SERVER_CALL_TIMEOUT).build();
            JvmProbe attached;
            try {
                attached = JvmProbe.attach(server.pid());
            } catch (IOException | RuntimeException e) {
                attached = null;
            }
            return new LiveServer(space, server, client, attached);
        }

        /** The cell's view of this server; closing it leaves the server running. */
        Subject subject(LoadDriver.Tx tx) {
            return new Subject(tx, process.pid(), probe, null, null, List.of());
        }

        @Override
        public void close() {
            closeAll(probe == null ? List.of(client, process, space) : List.of(client, probe, process, space));
        }
    }

    private static void closeAll(List<AutoCloseable> closeables) {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                // the cell is over; what did not close goes with the JVM
            }
        }
    }
}
