package io.dtm4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs the benchmark matrix and writes {@code BENCHMARKS.md}. {@code scripts/bench.sh} builds the modules, starts
 * the stores and calls this; run it alone with:
 * <pre>
 * java -cp bench/target/classes:$(cat bench/target/classpath.txt) io.dtm4j.bench.BenchMain \
 *     [--quick|--full] [--stores mem,sqlite,postgres,mariadb,redis] [--out BENCHMARKS.md]
 *     [--dtm-jar dtm-server-embedded/target/dtm.jar] [--recovery-n 10000] [--concurrency 64]
 *     [--commit abc1234] [--command 'scripts/bench.sh --full']
 * </pre>
 * Networked stores are found through the variables of {@code services-up.sh}'s {@code env.sh}; a store that does
 * not answer is left out and named in the report. Exit 0 when the report was written (targets may be missed), 1 on
 * a failure of the harness, 2 on a usage error.
 */
public final class BenchMain {
    private static final String USAGE = "usage: BenchMain [--quick|--full] [--stores a,b] [--out FILE] [--dtm-jar JAR]"
            + " [--recovery-n N] [--concurrency C] [--commit SHA] [--command TEXT]";

    private BenchMain() {
    }

    public static void main(String[] args) {
        try {
            System.exit(run(args));
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
        } catch (Exception e) {
            System.err.println("bench failed: " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }

    static int run(String[] args) throws Exception {
        Map<String, String> opts = parse(args);
        Profile profile = opts.containsKey("quick") ? Profile.quick() : Profile.full();
        if (opts.containsKey("recovery-n")) {
            profile = profile.withRecoveryN(Integer.parseInt(opts.get("recovery-n")));
        }
        if (opts.containsKey("concurrency")) {
            profile = profile.withConcurrency(Integer.parseInt(opts.get("concurrency")));
        }
        Path out = Path.of(opts.getOrDefault("out", "BENCHMARKS.md"));
        Path jar = Path.of(opts.getOrDefault("dtm-jar", "dtm-server-embedded/target/dtm.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("no server jar at " + jar + "; build it (scripts/bench.sh does) or pass "
                    + "--dtm-jar");
        }
        StoreEnv env = StoreEnv.fromEnvironment();
        List<StoreKind> stores = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (String id : opts.getOrDefault("stores", "mem,sqlite,postgres,mariadb,redis").split(",")) {
            StoreKind k = StoreKind.of(id);
            if (env.available(k)) {
                stores.add(k);
            } else {
                skipped.add(k.id() + ": its server does not answer (start it with scripts/services-up.sh)");
            }
        }
        long started = System.nanoTime();
        String date = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        Path work = Files.createTempDirectory("dtm-bench-");
        try {
            return measure(opts, profile, stores, skipped, env, jar, work, out, started, date);
        } finally {
            FileTrees.deleteTree(work);
        }
    }

    private static int measure(Map<String, String> opts, Profile profile, List<StoreKind> stores, List<String> skipped,
                               StoreEnv env, Path jar, Path work, Path out, long started, String date)
            throws Exception {
        Matrix.log("profile " + profile.name() + ", stores " + stores + ", work dir " + work);
        Map<String, String> machine = Machine.describe();
        int fsyncs = profile.name().equals("quick") ? 500 : 2000;
        Machine.Fsync before = Machine.fsync(work, fsyncs);
        Set<StoreKind> kinds = stores.isEmpty() ? EnumSet.noneOf(StoreKind.class) : EnumSet.copyOf(stores);
        try (StoreAdmin admin = StoreAdmin.open(env, kinds); BusiStub busi = BusiStub.start(64)) {
            Map<StoreKind, Map<String, String>> settings = new LinkedHashMap<>();
            stores.forEach(s -> settings.put(s, admin.settings(s)));
            CellRunner runner = new CellRunner(admin, busi, jar, work, profile.settleStats(),
                    profile.serverWarmupMax());
            Matrix matrix = new Matrix(profile, stores, runner, new Recovery(admin, busi, jar, work));
            matrix.run();
            Machine.Fsync after = Machine.fsync(work, fsyncs);
            List<Verdict> verdicts = Figures.all(matrix, stores, settings);
            double minutes = (System.nanoTime() - started) / 60e9;
            Report.Run run = new Report.Run(opts.getOrDefault("command", "scripts/bench.sh --" + profile.name()),
                    profile.name(), date, opts.getOrDefault("commit", "unknown"), minutes, machine, before, after,
                    settings, stores, skipped);
            Files.writeString(out, Report.render(run, matrix, verdicts));
            Matrix.log(String.format("wrote %s in %.1f minutes", out, minutes));
            for (Verdict v : verdicts) {
                System.out.printf("%-60s %-28s %-14s %s%n", v.figure(), v.scope(), v.measured(), v.status());
            }
            return 0;
        }
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--quick", "--full" -> m.put(a.substring(2), "");
                case "--stores", "--out", "--dtm-jar", "--recovery-n", "--concurrency", "--commit", "--command" -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException(a + " needs a value");
                    }
                    m.put(a.substring(2), args[++i]);
                }
                default -> throw new IllegalArgumentException("unknown argument '" + a + "'");
            }
        }
        if (m.containsKey("quick") && m.containsKey("full")) {
            throw new IllegalArgumentException("--quick and --full exclude each other");
        }
        return m;
    }
}
