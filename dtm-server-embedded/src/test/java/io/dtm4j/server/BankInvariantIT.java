package io.dtm4j.server;

import io.dtm4j.client.DtmClient;
import io.dtm4j.client.workflow.WorkflowOptions;
import io.dtm4j.server.BankHistory.Transfer;
import io.dtm4j.server.BankHistory.Type;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bank invariant (issue 7; spec {@code ops-reliability-security.md} C1, Jepsen's "bank"): concurrent transfers
 * of random amounts between accounts in a real database, as saga, TCC, msg ({@code doAndSubmitDb}), XA and
 * workflow transactions mixed, every branch behind the sub-transaction barrier in the same local transaction as its
 * balance change ({@link BankService}); the coordinator is the standalone server in a child JVM on a SQLite store,
 * the SDK talks to it over HTTP ({@link BankCoordinator}); a nemesis kills and restarts the coordinator, pauses it,
 * makes branches answer 500 or ONGOING, holds them past their timeout, drops replies after the commit and delays
 * TCC tries past the client's timeout, at moments drawn from the seed ({@link BankNemesis}). Some transfers fail
 * for real (insufficient balance, a closed account) so that every rollback path runs ({@link BankWorkload}).
 *
 * <p>After the nemesis stopped and the clients are done, {@link BankChecker} waits (bounded) until every transfer
 * is final and checks: the total is unchanged and each account holds exactly its succeeded transfers, nothing is
 * left frozen, no transaction is stuck, what a client was told holds, and no barrier row is duplicated. The history
 * summary starts with the seed.
 *
 * <p>The short version (default suite): {@value #SHORT_TRANSFERS} transfers on 6 workers with
 * {@value #SHORT_FAULTS} faults (every kind once), on MariaDB and PostgreSQL. The long version:
 * <pre>
 * ./mvnw -B -q verify -pl dtm-server-embedded -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dit.test=BankInvariantIT -Ddtm.it.required=true -Ddtm.bank.long=true
 * </pre>
 * ({@value #LONG_TRANSFERS} transfers on 8 workers, {@value #LONG_FAULTS} faults, several minutes per database;
 * the bank's database is then an instance of the test's own, under {@code /tmp/dtm-services-bank}, which the
 * nemesis also freezes with SIGSTOP: {@code -Ddtm.bank.freezeDb=true|false} chooses in either version).
 * Other knobs: {@code -Ddtm.bank.seed=<seed>} replays a run's plan and fault schedule (the interleaving of threads
 * still differs), {@code -Ddtm.bank.transfers=N}, {@code -Ddtm.bank.faults=N}, {@code -Ddtm.bank.threads=N},
 * {@code -Ddtm.bank.types=saga,tcc,msg,xa,workflow}, {@code -Ddtm.bank.kinds=kill_coordinator,...} (the fault
 * kinds of {@link BankNemesis.Kind}), {@code -Ddtm.bank.db=mariadb|postgres} (run one only),
 * {@code -Ddtm.bank.store=postgres|mariadb|redis} (the coordinator's store instead of SQLite). The coordinator's
 * log is kept in {@code target/bank-invariant/<db>-<seed>.log}.
 */
@Timeout(value = 3600)
class BankInvariantIT {
    /** The prefix of every gid (and so every XA xid) of this test. */
    static final String GID_PREFIX = "bank-";
    static final int SHORT_TRANSFERS = 100;
    static final int SHORT_FAULTS = 8;
    static final int LONG_TRANSFERS = 3000;
    static final int LONG_FAULTS = 120;
    private static final int ACCOUNTS = 10;
    private static final long START_BALANCE = 10_000;
    private static final String SCHEMA = "it_bank";
    /** The coordinator's place in a production store, with {@code -Ddtm.bank.store}. */
    private static final String STORE_PLACE = "it_bank_store";
    private static final boolean LONG = Boolean.getBoolean("dtm.bank.long");
    /**
     * The bank's database is an instance of its own ({@link #OWN_DB}), which the nemesis freezes now and then; on by
     * default in the long version, {@code -Ddtm.bank.freezeDb=true|false} to choose. The shared databases of
     * {@code scripts/services-up.sh} are never frozen: other suites use them at the same time.
     */
    private static final boolean FREEZE_DB = Boolean.parseBoolean(System.getProperty("dtm.bank.freezeDb",
            Boolean.toString(LONG)));
    /** The database instance of this test when it freezes it (ports other fault tests do not use). */
    private static final StoreServices OWN_DB = StoreServices.ownInstance("bank", 6395, 5445, 3315);
    private static final Set<ItStore> STARTED = EnumSet.noneOf(ItStore.class);
    /**
     * The transfer workflow compensates a branch whose action answered FAILURE too. Needed: an action may be
     * delivered more than once (a resume overlapping a run whose coordinator was killed, a request still in flight
     * from a run that gave up on it), and a FAILURE from one delivery does not stop another from committing later;
     * only the compensation's barrier rows do (as a saga compensates its failed step). That is the SDK's default
     * (decision 007); with DTM's, {@code -Ddtm.bank.compensateErrorBranch=false}, the long run lost such a debit
     * (seed 5992905348720).
     */
    private static final boolean COMPENSATE_ERROR_BRANCH = Boolean.parseBoolean(
            System.getProperty("dtm.bank.compensateErrorBranch", "true"));
    /** Clients repeat a saga, msg or workflow call that got no answer; {@code -Ddtm.bank.retries=false} to not. */
    private static final boolean RETRIES = Boolean.parseBoolean(System.getProperty("dtm.bank.retries", "true"));
    /** After the nemesis stopped: how long every transfer may take to become final. */
    private static final Duration QUIET_BOUND = Duration.ofSeconds(LONG ? 300 : 150);

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ItStore.class, names = {"MARIADB", "POSTGRES"})
    void totalIsKeptAndEveryTransferEndsUnderFaults(ItStore db) throws Exception {
        String only = System.getProperty("dtm.bank.db", "");
        Assumptions.assumeTrue(only.isEmpty() || only.equalsIgnoreCase(db.service),
                "-Ddtm.bank.db=" + only);
        long seed = Long.getLong("dtm.bank.seed", System.nanoTime() ^ System.currentTimeMillis());
        System.out.println("BankInvariantIT " + db.service + " seed=" + seed + " (replay: -Ddtm.bank.seed=" + seed
                + ")");
        Random rnd = new Random(seed);
        int transfers = Integer.getInteger("dtm.bank.transfers", LONG ? LONG_TRANSFERS : SHORT_TRANSFERS);
        int faults = Integer.getInteger("dtm.bank.faults", LONG ? LONG_FAULTS : SHORT_FAULTS);
        int threads = Integer.getInteger("dtm.bank.threads", LONG ? 8 : 6);
        Set<Type> types = enums(Type.class, "dtm.bank.types");
        String prefix = GID_PREFIX + Long.toString(seed & 0xffffffffL, 36) + "-" + db.service.charAt(0);
        List<Transfer> plan = BankWorkload.plan(rnd, transfers, ACCOUNTS, START_BALANCE, types, prefix);
        Set<BankNemesis.Kind> kinds = enums(BankNemesis.Kind.class, "dtm.bank.kinds");
        if (!FREEZE_DB) {
            kinds.remove(BankNemesis.Kind.FREEZE_DATABASE);
        }
        List<BankNemesis.Step> schedule = BankNemesis.schedule(rnd, transfers, faults, kinds);
        BankHistory history = new BankHistory(seed, plan);
        ItStore store = coordinatorStore();
        String setting = String.format(Locale.ROOT, "db=%s store=%s accounts=%d x %d transfers=%d threads=%d "
                + "faults=%d of %s types=%s retries=%s freezeDb=%s compensateErrorBranch=%s long=%s", db.service,
                store == null ? "sqlite" : store.service, ACCOUNTS, START_BALANCE, transfers, threads, faults, kinds,
                types, RETRIES, FREEZE_DB, COMPENSATE_ERROR_BRANCH, LONG);

        try (BankService bank = new BankService(db, bankDatabase(db), SCHEMA, ACCOUNTS, START_BALANCE);
             BankCoordinator coordinator = BankCoordinator.start(dir, coordinatorConfig(store));
             DtmClient dtm = DtmClient.builder().serverUrl(coordinator.apiUrl()).timeout(Duration.ofSeconds(5))
                     .workflowResumeUrl(bank.url("WorkflowResume")).build()) {
            bank.attach(dtm, WorkflowOptions.DEFAULT.withCompensateErrorBranch(COMPENSATE_ERROR_BRANCH));
            BankWorkload workload = new BankWorkload(dtm, bank, coordinator, history, RETRIES);
            BankNemesis nemesis = new BankNemesis(schedule, coordinator, bank, history, workload,
                    millis -> freeze(db, millis));
            nemesis.start();
            try {
                workload.run(threads, Duration.ofSeconds(30));
            } finally {
                nemesis.stop();
            }
            assertThat(nemesis.failure()).as("nemesis; coordinator log:%n%s", coordinator.logTail()).isNull();
            BankChecker.Result result = BankChecker.check(bank, coordinator, history, START_BALANCE, QUIET_BOUND);
            Path kept = keepLog(db, seed);
            System.out.println(history.summary(setting, result, bank.counts()) + "  coordinator log: " + kept);
            assertThat(result.violations()).as("invariants (seed %d; coordinator log %s)", seed, kept).isEmpty();
        }
    }

    /**
     * The coordinator's settings: DTM's timing scaled down (RetryInterval 2 s, RequestTimeout 3 s, TimeoutToFail
     * 10 s) so that recovery happens within the run; the store is SQLite in the test's directory unless
     * {@code -Ddtm.bank.store} names a production store (its {@value #STORE_PLACE} place is emptied first).
     */
    private List<String> coordinatorConfig(ItStore store) throws Exception {
        List<String> lines = new ArrayList<>(List.of("HTTPServer:", "  Address: 127.0.0.1", "RetryInterval: 2",
                "TimeoutToFail: 10", "RequestTimeout: 3"));
        if (store == null) {
            lines.addAll(List.of("Store:", "  Driver: sqlite", "  DataDir: "
                    + Files.createDirectories(dir.resolve("store"))));
        } else {
            store.reset(store.shared(), STORE_PLACE);
            lines.addAll(store.configLines(store.shared(), STORE_PLACE));
        }
        return lines;
    }

    /** The shared database, or with {@link #FREEZE_DB} this test's own instance (started if needed). */
    private static ItStore.Endpoint bankDatabase(ItStore db) throws Exception {
        if (!FREEZE_DB) {
            return db.shared();
        }
        OWN_DB.up(db);
        STARTED.add(db);
        return OWN_DB.endpoint(db);
    }

    @AfterAll
    static void stopOwnDatabases() throws Exception {
        for (ItStore db : STARTED) {
            OWN_DB.stop(db);
        }
    }

    /** SIGSTOP of the bank's own database server for {@code millis}, then SIGCONT, whatever happens. */
    private static void freeze(ItStore db, long millis) throws Exception {
        try {
            OWN_DB.freeze(db);
            Thread.sleep(millis);
        } finally {
            OWN_DB.thaw(db);
        }
    }

    /** {@code -Ddtm.bank.store=postgres|mariadb|redis}; null for SQLite (the default). */
    private static ItStore coordinatorStore() {
        String s = System.getProperty("dtm.bank.store", "sqlite").trim().toLowerCase(Locale.ROOT);
        for (ItStore st : ItStore.values()) {
            if (st.service.equals(s)) {
                return st;
            }
        }
        if (!s.equals("sqlite")) {
            throw new IllegalArgumentException("-Ddtm.bank.store=" + s + ": one of sqlite, postgres, mariadb, redis");
        }
        return null;
    }

    /** Copies the coordinator's log (all its lives) to {@code target/bank-invariant/}, which outlives the test. */
    private Path keepLog(ItStore db, long seed) throws IOException {
        Path out = Paths.get("target", "bank-invariant", db.service + "-" + seed + ".log").toAbsolutePath();
        Files.createDirectories(out.getParent());
        Files.copy(dir.resolve("dtm.log"), out, StandardCopyOption.REPLACE_EXISTING);
        return out;
    }

    /** The values named, comma-separated, by a system property; all of them when it is not set. */
    private static <E extends Enum<E>> Set<E> enums(Class<E> type, String property) {
        String s = System.getProperty(property, "");
        if (s.isBlank()) {
            return EnumSet.allOf(type);
        }
        Set<E> out = EnumSet.noneOf(type);
        for (String t : s.split(",")) {
            out.add(Enum.valueOf(type, t.trim().toUpperCase(Locale.ROOT)));
        }
        return out;
    }
}
