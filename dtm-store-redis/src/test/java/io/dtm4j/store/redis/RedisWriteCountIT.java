package io.dtm4j.store.redis;

import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.core.testing.HappySagas;
import io.dtm4j.core.testing.ItEnvironment;
import io.dtm4j.core.testing.RedisProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Durable writes of a happy 2-branch saga on Redis, counted by Redis: the {@code EVALSHA}/{@code EVAL} calls of
 * {@code INFO commandstats} (every write of the store is one script, so it is atomic). Spec performance.md 5.1:
 * DTM runs 4 EVALs per such saga, the minimum is 2 (intent, outcome).
 *
 * <p>Method. {@code commandstats} is server-wide and other tests may share the server, so a {@code MONITOR}
 * connection watches each measurement window (between two {@code ECHO} markers of this class). The store's
 * connections are the clients whose commands name this class's key prefix; the window is quiet when no other
 * client (other than this class's probe) sent anything. Asserted: the store's own scripts as {@code MONITOR}
 * shows them (exact whatever else runs), and the {@code commandstats} delta of a quiet window (measured again,
 * for at most a minute, until one is quiet; not asserted if none was). Commands that scripts run inside Redis
 * ({@code lua}) are not round trips and are not counted.
 */
class RedisWriteCountIT {

    /** The store's own key prefix, new for each run, so that runs of several engineers never meet. */
    private static final String PREFIX = "{wc-" + UUID.randomUUID().toString().substring(0, 8) + "}";
    private static final Set<String> SCRIPTS = Set.of("EVALSHA", "EVAL", "EVALSHA_RO", "EVAL_RO", "FCALL");
    private static final int CONCURRENT = 16;
    /** How long to keep measuring while other clients keep the server busy. */
    private static final Duration QUIET_WAIT = Duration.ofSeconds(60);
    private static final Duration PAUSE = Duration.ofMillis(50);
    private static final Duration MONITOR_WAIT = Duration.ofSeconds(10);

    private static RedisProbe probe;
    private static RedisProbe monitorConnection;
    private static RedisProbe.Monitor monitor;
    private static String probeAddress;
    private static TransactionStore store;
    private static final AtomicInteger MARKS = new AtomicInteger();

    @BeforeAll
    static void openStore() {
        probe = RedisProbe.connect(ItEnvironment.redisHost(), ItEnvironment.redisPort());
        probeAddress = probe.clientAddress();
        monitorConnection = RedisProbe.connect(ItEnvironment.redisHost(), ItEnvironment.redisPort());
        monitor = monitorConnection.monitor();
        store = RedisTransactionStore.builder().standalone(ItEnvironment.redisHost(), ItEnvironment.redisPort())
                .prefix(PREFIX).build();
        // loads the scripts and warms up the JIT and the connection
        HappySagas.run(store, "RedisWriteCountWarmup", 1);
    }

    @AfterAll
    static void closeStore() {
        if (store != null) {
            store.close();
        }
        if (monitorConnection != null) {
            monitorConnection.close();
        }
        if (probe != null) {
            try {
                probe.deleteKeys(PREFIX + "*");
            } finally {
                probe.close();
            }
        }
    }

    @Test
    void happySagaWithWaitResultRunsTwoScriptsInRedis() throws InterruptedException {
        AtomicInteger n = new AtomicInteger();
        long deadline = System.nanoTime() + QUIET_WAIT.toNanos();
        Window<HappySagas.SpiCalls> saga;
        do {
            saga = measure(() -> HappySagas.run(store,
                    "happySagaWithWaitResultRunsTwoScriptsInRedis-" + n.incrementAndGet(), 1));
            assertThat(saga.result.writes()).as("SPI writes").isEqualTo(2);
            assertThat(saga.storeScripts()).as("scripts the store sent (MONITOR)").isEqualTo(2);
            if (!saga.quiet) {
                Thread.sleep(PAUSE.toMillis()); // another client is busy: give it a moment
            }
        } while (!saga.quiet && System.nanoTime() < deadline);
        System.out.printf("Redis: happy saga: store commands %s, commandstats delta %s (quiet: %s), SPI writes %d,"
                + " SPI reads %d%n", saga.storeCommands, saga.commandstats, saga.quiet, saga.result.writes(),
                saga.result.reads());
        // commandstats is server-wide: it says something only about a window in which no one else talked
        if (saga.quiet) {
            assertThat(saga.commandstatsScripts()).as("EVALSHA + EVAL calls in INFO commandstats").isEqualTo(2);
        }
    }

    /** Reported, not asserted beyond the SPI count: a store may batch several sagas' writes in one script. */
    @Test
    void concurrentSagasRunTwoScriptsEachAtMost() throws InterruptedException {
        Window<HappySagas.SpiCalls> sagas = measure(() -> HappySagas.run(store,
                "concurrentSagasRunTwoScriptsEachAtMost", CONCURRENT));
        System.out.printf("Redis: %d concurrent happy sagas: store commands %s (%.2f scripts per saga), commandstats"
                + " delta %s (quiet: %s), SPI writes %d%n", CONCURRENT, sagas.storeCommands,
                sagas.storeScripts() / (double) CONCURRENT, sagas.commandstats, sagas.quiet, sagas.result.writes());
        assertThat(sagas.result.writes()).isEqualTo(2 * CONCURRENT);
        assertThat(sagas.storeScripts()).isBetween(1L, 2L * CONCURRENT);
    }

    private record Window<T>(Map<String, Long> storeCommands, Map<String, Long> commandstats, boolean quiet,
                             T result) {
        long storeScripts() {
            return storeCommands.entrySet().stream().filter(e -> SCRIPTS.contains(e.getKey()))
                    .mapToLong(Map.Entry::getValue).sum();
        }

        long commandstatsScripts() {
            return commandstats.getOrDefault("evalsha", 0L) + commandstats.getOrDefault("eval", 0L);
        }
    }

    private static <T> Window<T> measure(Supplier<T> work) throws InterruptedException {
        String start = "write-count-start-" + MARKS.incrementAndGet();
        probe.call("ECHO", start);
        monitor.until(start, MONITOR_WAIT); // what ran before this window
        Map<String, Long> before = probe.commandCalls();
        T result = work.get();
        Map<String, Long> after = probe.commandCalls();
        String end = "write-count-end-" + MARKS.incrementAndGet();
        probe.call("ECHO", end);
        List<RedisProbe.Command> seen = monitor.until(end, MONITOR_WAIT);

        Set<String> storeClients = new HashSet<>();
        seen.stream().filter(c -> !c.client().equals("lua") && c.mentions(PREFIX))
                .forEach(c -> storeClients.add(c.client()));
        Map<String, Long> storeCommands = new TreeMap<>();
        boolean quiet = true;
        for (RedisProbe.Command c : seen) {
            if (storeClients.contains(c.client())) {
                storeCommands.merge(c.name(), 1L, Long::sum);
            } else if (!c.client().equals("lua") && !c.client().equals(probeAddress)) {
                quiet = false;
            }
        }
        Map<String, Long> commandstats = new TreeMap<>();
        after.forEach((k, v) -> {
            long d = v - before.getOrDefault(k, 0L);
            if (d != 0) {
                commandstats.put(k, d);
            }
        });
        return new Window<>(storeCommands, commandstats, quiet, result);
    }
}
