package io.dtm4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtm4j.client.DtmClient;
import io.dtm4j.core.spi.CrashPoints;
import io.dtm4j.server.CrashPointWorkload.Kind;
import io.dtm4j.server.CrashPointWorkload.Plan;
import io.dtm4j.server.CrashPointWorkload.Sent;
import io.dtm4j.server.DtmHttp.Query;
import io.dtm4j.server.DtmHttp.Reply;
import io.dtm4j.server.LedgerBusi.Call;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The coordinator halted at each named crash point ({@link CrashPoints}, spec ops-reliability-security C1 and C2
 * scenario 1): a standalone server in a child JVM started with {@code -Ddtm4j.crashAt=<point>#<n>} takes bank
 * transfers (sagas, TCCs or XAs of {@link CrashPointWorkload}) against {@link LedgerBusi}, whose branches move
 * balances in MariaDB and PostgreSQL behind the branch barrier, until it halts itself with exit status 137; a
 * second server then starts on the same store without the property. Within {@link #CONVERGE_BOUND}:
 * <ul>
 *   <li>every transfer the client was acknowledged for is in the store and ends in the status it was
 *   acknowledged with (succeed, or failed for a transfer that bounces on purpose): nothing acknowledged is
 *   lost;</li>
 *   <li>every transaction in the store, acknowledged or not, ends succeed or failed;</li>
 *   <li>each account holds its start balance plus exactly the transfers that succeeded, so the total is
 *   unchanged; no barrier key has two rows and no business change ran twice for one branch op (repeated calls
 *   after the restart were absorbed by the barrier, and are counted).</li>
 * </ul>
 * Each case prints one line: store, point, transactions, and how long after the restarted server answered
 * everything was final.
 *
 * <p>Cases: every point on every store, 24 in all. Each costs two server JVM starts and about 8 s on two cores,
 * so the whole suite stays near three minutes; a point is driven with the few transfers (two to four) that put
 * acknowledged, unacknowledged and bounced transfers around the halt, not with a load. For a quicker run,
 * {@code -Ddtm.crashpoint.stores=SQLITE,REDIS} and {@code -Ddtm.crashpoint.points=after-intent,during-tcc-confirm}
 * narrow it.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class CrashPointIT {
    private static final int RETRY_INTERVAL = 2;
    /** TCC and XA: long enough for a transfer to finish normally, short against the bound. */
    private static final int TIMEOUT_TO_FAIL = 10;
    private static final Duration HALT_BOUND = Duration.ofSeconds(60);
    /** RetryInterval, the 2 s recovery poll and the timeout of a transaction left prepared, with slack. */
    private static final Duration CONVERGE_BOUND = Duration.ofSeconds(60);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final int USERS = 4;
    private static final long START_BALANCE = 10_000;
    private static final String STORE_PLACE = "it_crashpoint";
    private static final String BANK_SCHEMA = "it_crashpoint_bank";
    /** Not the shared fault-test database index: other suites flush theirs. */
    private static final int REDIS_DB = 12;
    private static final String GID_PREFIX = "cp-";

    /** How a point is driven: the n-th arrival, and the transfers sent. */
    private record Scenario(int nth, Kind kind, int transfers, Set<Integer> failing) {
    }

    private static final Map<String, Scenario> SCENARIOS = Map.of(
            // two sagas acknowledged and running in the background, the third halts right after its insert
            CrashPoints.AFTER_INTENT, new Scenario(3, Kind.SAGA, 6, Set.of()),
            // the second saga's TransIn answered: both of its branches ran, the store knows of neither
            CrashPoints.AFTER_BRANCH_CALL, new Scenario(4, Kind.SAGA_WAIT, 4, Set.of()),
            // the second saga is succeed in the store, its client gets no reply
            CrashPoints.AFTER_OUTCOME_BEFORE_REPLY, new Scenario(2, Kind.SAGA_WAIT, 4, Set.of()),
            // the third saga (bounced) refunded its first step, unrecorded
            CrashPoints.DURING_COMPENSATION, new Scenario(4, Kind.SAGA_WAIT, 4, Set.of(0, 2)),
            // the third TCC's TransIn confirm (a credit) answered, unrecorded; the second TCC bounced
            CrashPoints.DURING_TCC_CONFIRM, new Scenario(3, Kind.TCC, 4, Set.of(1)),
            // the third XA is submitted, both branches prepared in their databases, none committed
            CrashPoints.BETWEEN_XA_PREPARE_AND_COMMIT, new Scenario(3, Kind.XA, 4, Set.of(1)));

    private static final List<String> SUMMARY = Collections.synchronizedList(new ArrayList<>());
    private static long suiteStarted;

    /** The store the servers of a case run on. */
    enum Store {
        SQLITE, POSTGRES, MARIADB, REDIS
    }

    @TempDir
    Path dir;

    private final List<DtmChild> children = new ArrayList<>();
    private LedgerBusi busi;
    private DtmClient client;

    static Stream<Arguments> cases() {
        String stores = System.getProperty("dtm.crashpoint.stores", "").toUpperCase(Locale.ROOT);
        String points = System.getProperty("dtm.crashpoint.points", "");
        List<Arguments> out = new ArrayList<>();
        for (Store store : Store.values()) {
            for (String point : CrashPoints.ALL) {
                boolean chosen = (stores.isEmpty() || List.of(stores.split(",")).contains(store.name()))
                        && (points.isEmpty() || List.of(points.split(",")).contains(point));
                if (chosen) {
                    out.add(Arguments.of(store, point));
                }
            }
        }
        return out.stream();
    }

    @BeforeAll
    static void startClock() {
        suiteStarted = System.nanoTime();
    }

    @AfterAll
    static void printSummary() {
        System.out.printf("CrashPointIT: %d cases in %d s%n", SUMMARY.size(), ms(System.nanoTime() - suiteStarted)
                / 1000);
        SUMMARY.forEach(line -> System.out.println("  " + line));
    }

    @AfterEach
    void tearDown() throws Exception {
        children.forEach(DtmChild::close);
        if (client != null) {
            client.close();
        }
        if (busi != null) {
            busi.close();
        }
        rollBackLeftoverXa();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void aServerHaltedAtTheCrashPointLosesNothingAndAppliesEachBranchOnce(Store store, String point)
            throws Exception {
        Scenario scenario = SCENARIOS.get(point);
        String prefix = GID_PREFIX + store.name().toLowerCase(Locale.ROOT).charAt(0) + "-"
                + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36) + "-";
        List<String> config = config(store);
        rollBackLeftoverXa();
        busi = new LedgerBusi(ItStore.MARIADB.shared(), ItStore.POSTGRES.shared(), BANK_SCHEMA, USERS, START_BALANCE,
                0);
        String spec = point + "#" + scenario.nth();
        DtmChild armed = start("armed", config, List.of("-D" + CrashPoints.PROPERTY + "=" + spec));
        client = DtmClient.builder().serverUrl(armed.dtm.prefix()).timeout(Duration.ofSeconds(20)).build();
        busi.xa(client);

        long sending = System.nanoTime();
        List<Plan> plans = CrashPointWorkload.plans(prefix, scenario.kind(), scenario.transfers(),
                scenario.failing(), USERS);
        List<Sent> sent = new CrashPointWorkload(busi).runUntilNoReply(plans, armed, client);
        awaitHalt(armed, spec, sent);
        long halted = System.nanoTime();

        DtmChild restarted = start("restarted", config, List.of());
        long ready = System.nanoTime();
        Map<String, Query> finals = awaitFinal(restarted, sent);
        long converged = System.nanoTime();

        Map<String, String> stored = storedStatuses(restarted);
        long absorbed = busi.calls().stream().filter(c -> c.outcome().equals("DUPLICATE_OR_HANGING")).count();
        String line = String.format("store=%s point=%s: %d transfers sent (%s), %d acknowledged, %d in the store "
                        + "(%s); halted %d ms after the first request; restarted server answered %d ms after the "
                        + "halt; all final %d ms after that; repeated calls absorbed by the barrier: %d",
                store, spec, sent.size(), scenario.kind(), sent.stream().filter(s -> s.ack().acknowledged()).count(),
                stored.size(), countByValue(stored), ms(halted - sending), ms(ready - halted), ms(converged - ready),
                absorbed);
        SUMMARY.add(line);
        System.out.println("CrashPointIT " + line);

        SoftAssertions soft = new SoftAssertions();
        assertAcknowledgedKept(soft, sent, finals, stored);
        assertBalances(soft, sent, stored);
        assertBranchesRanOnce(soft);
        soft.assertAll();
    }

    /** The armed server halts itself with 137 within {@link #HALT_BOUND}, after at most one unanswered request. */
    private static void awaitHalt(DtmChild armed, String spec, List<Sent> sent) throws InterruptedException {
        boolean exited = armed.process.waitFor(HALT_BOUND.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(exited).as("server armed with %s still running %s after the last request; sent %s; log:%n%s",
                spec, HALT_BOUND, sent, armed.logTail()).isTrue();
        assertThat(armed.process.exitValue()).as("exit status of the server armed with %s; log:%n%s", spec,
                armed.logTail()).isEqualTo(CrashPoints.EXIT_STATUS);
        assertThat(sent).as("what the client saw before the halt at %s", spec)
                .allSatisfy(s -> assertThat(s.ack()).as(s.toString()).isNotEqualTo(CrashPointWorkload.Ack.OTHER));
    }

    /**
     * Polls the restarted server until every transfer that was sent is either final or absent (never stored),
     * at most {@link #CONVERGE_BOUND}; returns the last query of each stored one.
     */
    private static Map<String, Query> awaitFinal(DtmChild server, List<Sent> sent) throws InterruptedException {
        Map<String, Query> done = new TreeMap<>();
        Map<String, String> pending = new LinkedHashMap<>();
        sent.forEach(s -> pending.put(s.plan().gid(), "not queried"));
        long deadline = System.nanoTime() + CONVERGE_BOUND.toNanos();
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            assertThat(server.alive()).as("restarted server alive; log:%n%s", server.logTail()).isTrue();
            for (String gid : List.copyOf(pending.keySet())) {
                Query q;
                try {
                    q = server.dtm.query(gid);
                } catch (UncheckedIOException | AssertionError e) {
                    pending.put(gid, "query failed: " + e.getMessage());
                    continue;
                }
                if (!q.exists() || q.status().equals("succeed") || q.status().equals("failed")) {
                    pending.remove(gid);
                    if (q.exists()) {
                        done.put(gid, q);
                    }
                } else {
                    pending.put(gid, q.status() + " " + q.branchOps() + " " + q.branchStatuses());
                }
            }
            Thread.sleep(POLL.toMillis());
        }
        assertThat(pending).as("transactions not final %s after the restart; log:%n%s", CONVERGE_BOUND,
                server.logTail()).isEmpty();
        return done;
    }

    /** Every transaction in the store (its place is fresh per case), gid to status. */
    private static Map<String, String> storedStatuses(DtmChild server) {
        Reply r = server.dtm.get("all?limit=100");
        assertThat(r.status()).as("all: %s", r).isEqualTo(200);
        Map<String, String> out = new TreeMap<>();
        for (JsonNode t : r.json().path("transactions")) {
            out.put(t.path("gid").asText(), t.path("status").asText());
        }
        return out;
    }

    private static void assertAcknowledgedKept(SoftAssertions soft, List<Sent> sent, Map<String, Query> finals,
                                               Map<String, String> stored) {
        Set<String> sentGids = sent.stream().map(s -> s.plan().gid()).collect(Collectors.toSet());
        soft.assertThat(sentGids).as("transactions in the store that the client sent").containsAll(stored.keySet());
        soft.assertThat(stored.values()).as("statuses in the store").allMatch(s -> s.equals("succeed")
                || s.equals("failed"));
        for (Sent s : sent) {
            if (s.ack().acknowledged()) {
                Query q = finals.get(s.plan().gid());
                soft.assertThat(q).as("acknowledged %s (%s) is in the store", s.plan().gid(), s.ack()).isNotNull();
                if (q != null) {
                    soft.assertThat(q.status()).as("final status of acknowledged %s", s.plan())
                            .isEqualTo(s.plan().expectedStatus());
                }
            }
        }
    }

    /** Start balances plus exactly the transfers that succeeded; the total across both databases is unchanged. */
    private void assertBalances(SoftAssertions soft, List<Sent> sent, Map<String, String> stored) throws SQLException {
        Map<String, Long> expected = new TreeMap<>();
        for (String db : List.of(LedgerBusi.MARIADB, LedgerBusi.POSTGRES)) {
            for (int u = 1; u <= USERS; u++) {
                expected.put(db + "/" + u, START_BALANCE);
            }
        }
        for (Sent s : sent) {
            Plan p = s.plan();
            if ("succeed".equals(stored.get(p.gid()))) {
                expected.merge(p.fromDb() + "/" + p.fromUser(), -p.amount(), Long::sum);
                expected.merge(p.toDb() + "/" + p.toUser(), p.amount(), Long::sum);
            }
        }
        Map<String, Long> actual = new TreeMap<>();
        for (String key : expected.keySet()) {
            String[] dbUser = key.split("/");
            actual.put(key, busi.balance(dbUser[0], Integer.parseInt(dbUser[1])));
        }
        soft.assertThat(actual).as("balances (start %d each, plus the succeeded transfers %s)", START_BALANCE,
                stored).isEqualTo(expected);
        soft.assertThat(busi.total(LedgerBusi.MARIADB) + busi.total(LedgerBusi.POSTGRES)).as("total balance")
                .isEqualTo(2 * USERS * START_BALANCE);
    }

    /** No barrier key twice; no business change ran twice for one branch op (XA phase two is idempotent itself). */
    private void assertBranchesRanOnce(SoftAssertions soft) throws SQLException {
        for (String db : List.of(LedgerBusi.MARIADB, LedgerBusi.POSTGRES)) {
            soft.assertThat(busi.duplicateBarrierKeys(db)).as("duplicate barrier keys in %s", db).isEmpty();
        }
        Map<String, Long> executed = busi.calls().stream()
                .filter(c -> c.outcome().equals("EXECUTED") || c.outcome().equals("XA_ACTION"))
                .collect(Collectors.groupingBy(c -> c.route() + " " + c.key(), TreeMap::new, Collectors.counting()));
        soft.assertThat(executed.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList())
                .as("branch ops whose business change ran more than once; calls: %s", callsByGid())
                .isEmpty();
    }

    private Map<String, List<String>> callsByGid() {
        return busi.calls().stream().collect(Collectors.groupingBy(Call::gid, TreeMap::new,
                Collectors.mapping(c -> c.route() + ":" + c.op() + "=" + c.outcome(), Collectors.toList())));
    }

    private DtmChild start(String name, List<String> config, List<String> jvmArgs) throws Exception {
        DtmChild c = DtmChild.start(dir, name, config, jvmArgs);
        children.add(c);
        return c;
    }

    /** The server's config on a fresh place in the store. */
    private List<String> config(Store store) throws Exception {
        List<String> lines = new ArrayList<>(List.of("HTTPServer:", "  Address: 127.0.0.1",
                "RetryInterval: " + RETRY_INTERVAL, "TimeoutToFail: " + TIMEOUT_TO_FAIL, "RequestTimeout: 5"));
        switch (store) {
            case SQLITE -> lines.addAll(List.of("Store:", "  Driver: sqlite", "  DataDir: "
                    + Files.createDirectories(dir.resolve("sqlite")).toAbsolutePath()));
            case POSTGRES, MARIADB -> {
                ItStore s = store == Store.POSTGRES ? ItStore.POSTGRES : ItStore.MARIADB;
                ItStore.Endpoint e = s.shared();
                s.reset(e, STORE_PLACE);
                lines.addAll(s.configLines(e, STORE_PLACE));
            }
            case REDIS -> {
                ItStore.Endpoint e = ItStore.REDIS.shared();
                // a prefix of its own per case: nothing to flush, nothing shared with other suites
                lines.addAll(List.of("Store:", "  Driver: redis", "  Host: " + e.host(), "  Port: " + e.port(),
                        "  Db: " + REDIS_DB, "  RedisPrefix: '{cp" + Long.toString(System.nanoTime(), 36) + "}'"));
            }
            default -> throw new IllegalStateException(store.name());
        }
        return lines;
    }

    /**
     * Rolls back XA transactions of this suite left prepared in the bank databases by a failed case: they would
     * hold row locks, and MariaDB would not drop the bank database under them.
     */
    private static void rollBackLeftoverXa() throws SQLException {
        rollBackPrepared(ItStore.MARIADB, "xa recover", rs -> rs.getString("data"), xid -> "xa rollback '" + xid + "'");
        rollBackPrepared(ItStore.POSTGRES, "select gid from pg_prepared_xacts", rs -> rs.getString(1),
                xid -> "rollback prepared '" + xid + "'");
    }

    /** Reads one column of a result row. */
    private interface Column {
        String read(ResultSet rs) throws SQLException;
    }

    private static void rollBackPrepared(ItStore db, String list, Column xidColumn, Function<String, String> rollback)
            throws SQLException {
        ItStore.Endpoint e = db.shared();
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(e, "dtm"), e.user(), e.password());
             Statement st = c.createStatement()) {
            List<String> xids = new ArrayList<>();
            try (ResultSet rs = st.executeQuery(list)) {
                while (rs.next()) {
                    String xid = xidColumn.read(rs);
                    if (xid != null && xid.startsWith(GID_PREFIX) && xid.matches("[A-Za-z0-9_.:@-]+")) {
                        xids.add(xid);
                    }
                }
            }
            for (String xid : xids) {
                st.execute(rollback.apply(xid));
                System.out.println("CrashPointIT rolled back a leftover prepared XA transaction " + xid + " in " + db);
            }
        }
    }

    private static Map<String, Long> countByValue(Map<String, String> m) {
        return m.values().stream().collect(Collectors.groupingBy(v -> v, TreeMap::new, Collectors.counting()));
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
