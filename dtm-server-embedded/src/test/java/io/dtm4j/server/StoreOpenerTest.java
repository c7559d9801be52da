package io.dtm4j.server;

import io.dtm4j.core.StoreIncompatibleException;
import io.dtm4j.core.StoreUnavailableException;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.spi.TransactionStore;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The start-up wait for a networked store, on a fake clock: no real sleeping, no real store. */
class StoreOpenerTest {
    private static final String PASSWORD = "pg-Secret-42";

    private final AtomicLong nanos = new AtomicLong();
    private final List<String> lines = new ArrayList<>();
    private final AtomicInteger attempts = new AtomicInteger();

    private static StoreConfig postgres(Duration startupTimeout) {
        return new StoreConfig("postgres", Path.of("unused"), "127.0.0.1", 5432, "dtm", PASSWORD, "dtm", "public",
                StoreConfig.NOT_SET, StoreConfig.NOT_SET, Duration.ofMinutes(5), Duration.ofSeconds(5),
                Duration.ofDays(7), Duration.ofDays(1), "{a}", "", Duration.ofDays(7), startupTimeout);
    }

    /** A store that is down for the first {@code failures} attempts; each attempt takes 100 ms. */
    private Function<StoreConfig, TransactionStore> downFor(int failures) {
        return cfg -> {
            nanos.addAndGet(Duration.ofMillis(100).toNanos());
            if (attempts.incrementAndGet() <= failures) {
                throw new StoreUnavailableException("Connection to 127.0.0.1:5432 refused (password " + PASSWORD
                        + " was not tried)");
            }
            return new InMemoryTransactionStore();
        };
    }

    private StoreOpener opener(StoreConfig cfg, Function<StoreConfig, TransactionStore> factory) {
        return new StoreOpener(cfg, factory, nanos::get, d -> nanos.addAndGet(d.toNanos()), lines::add);
    }

    @Test
    void retriesEvery3SecondsWithOneLinePerAttemptUntilTheStoreAnswers() {
        TransactionStore store = opener(postgres(Duration.ofSeconds(60)), downFor(3)).openWaiting();

        assertThat(store).isInstanceOf(InMemoryTransactionStore.class);
        assertThat(attempts).hasValue(4);
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).isEqualTo("store not reachable: is PostgreSQL running at 127.0.0.1:5432? retrying "
                + "in 3 s (attempt 1, giving up after 60 s): Connection to 127.0.0.1:5432 refused (password *** was "
                + "not tried)");
        assertThat(lines.get(2)).contains("(attempt 3,");
        assertThat(Duration.ofNanos(nanos.get())).isEqualTo(Duration.ofMillis(3 * 3000 + 4 * 100));
    }

    @Test
    void givesUpAfterTheStartupTimeoutWithOneLineForTheOperator() {
        StoreOpener opener = opener(postgres(Duration.ofSeconds(60)), downFor(Integer.MAX_VALUE));

        assertThatThrownBy(opener::openWaiting).isInstanceOf(StoreUnavailableException.class)
                .hasMessage("store not reachable: is PostgreSQL running at 127.0.0.1:5432? gave up after 20 attempts "
                        + "(Store.StartupTimeout 60 s): Connection to 127.0.0.1:5432 refused (password *** was not "
                        + "tried)");
        assertThat(attempts).as("attempts start at 0, 3.1, 6.2 ... 58.9 s; the next one would start after 60 s")
                .hasValue(20);
        assertThat(lines).hasSize(19).allSatisfy(l -> assertThat(l).doesNotContain(PASSWORD).doesNotContain("\n"));
        assertThat(Duration.ofNanos(nanos.get())).isLessThanOrEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void aStoreWhoseDataCannotBeUsedFailsAtOnceWithoutRetrying() {
        StoreOpener opener = opener(postgres(Duration.ofSeconds(60)), cfg -> {
            attempts.incrementAndGet();
            throw new StoreIncompatibleException("postgres://127.0.0.1:5432/dtm?schema=public: the database has schema "
                    + "version 99 but this dtm4j knows versions up to 1, so a newer dtm4j wrote it; upgrade dtm4j");
        });

        assertThatThrownBy(opener::openWaiting).isInstanceOf(StoreIncompatibleException.class)
                .hasMessage("cannot use the store: postgres://127.0.0.1:5432/dtm?schema=public: the database has "
                        + "schema version 99 but this dtm4j knows versions up to 1, so a newer dtm4j wrote it; "
                        + "upgrade dtm4j");
        assertThat(attempts).hasValue(1);
        assertThat(lines).isEmpty();
    }

    @Test
    void aZeroStartupTimeoutTriesOnce() {
        StoreOpener opener = opener(postgres(Duration.ZERO), downFor(1));

        assertThatThrownBy(opener::openWaiting).isInstanceOf(StoreUnavailableException.class)
                .hasMessageStartingWith("store not reachable: is PostgreSQL running at 127.0.0.1:5432? gave up after "
                        + "1 attempt (Store.StartupTimeout 0 s): Connection to");
        assertThat(lines).isEmpty();
    }

    @Test
    void aStoreThatOpensButDoesNotAnswerIsClosedAndRetried() {
        AtomicInteger closed = new AtomicInteger();
        AtomicBoolean answer = new AtomicBoolean();
        Function<StoreConfig, TransactionStore> factory = cfg -> (TransactionStore) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[]{TransactionStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("ping") && !answer.getAndSet(true)) {
                        throw new StoreUnavailableException("no answer");
                    }
                    if (method.getName().equals("close")) {
                        closed.incrementAndGet();
                    }
                    return null;
                });

        TransactionStore store = opener(postgres(Duration.ofSeconds(10)), factory).openWaiting();

        assertThat(closed).as("the store of the failed attempt").hasValue(1);
        assertThat(lines).singleElement().asString().endsWith("): no answer");
        store.ping();
    }

    @Test
    void theStoresOwnRepeatOfTheHintIsLeftOut() {
        StoreOpener opener = opener(postgres(Duration.ZERO), cfg -> {
            throw new StoreUnavailableException("open failed: postgres://127.0.0.1:5432/dtm?schema=public: cannot "
                    + "reach PostgreSQL at 127.0.0.1:5432 (ConnectException: Connection refused); is PostgreSQL "
                    + "running at 127.0.0.1:5432? check the host, port and firewall");
        });
        assertThatThrownBy(opener::openWaiting).hasMessage("store not reachable: is PostgreSQL running at "
                + "127.0.0.1:5432? gave up after 1 attempt (Store.StartupTimeout 0 s): open failed: "
                + "postgres://127.0.0.1:5432/dtm?schema=public: cannot reach PostgreSQL at 127.0.0.1:5432 "
                + "(ConnectException: Connection refused)");
    }

    @Test
    void otherProblemsAreNotRetried() {
        StoreOpener opener = opener(postgres(Duration.ofSeconds(60)), cfg -> {
            attempts.incrementAndGet();
            throw new IllegalArgumentException("maxIdleConns must not exceed maxOpenConns");
        });
        assertThatThrownBy(opener::openWaiting).isInstanceOf(IllegalArgumentException.class);
        assertThat(attempts).hasValue(1);
        assertThat(lines).isEmpty();
    }

    @Test
    void theEmbeddedStoresAreOpenedOnceWithoutWaiting() {
        StoreConfig mem = StoreConfig.defaults();
        StoreConfig sqlite = new StoreConfig("sqlite", Path.of("x"), "", 0, "", "", "dtm", "public", -1, -1,
                mem.connMaxLifetime(), mem.connectTimeout(), mem.dataExpire(), mem.finishedDataExpire(), "{a}", "",
                mem.finishedRetention(), Duration.ofSeconds(60));
        StoreOpener opener = opener(sqlite, downFor(5));

        assertThatThrownBy(opener::openWaiting).isInstanceOf(StoreUnavailableException.class)
                .hasMessageStartingWith("cannot open the store: Connection to");
        assertThat(attempts).hasValue(1);
        assertThat(lines).isEmpty();
    }

    @Test
    void hintsNameWhatRunsWhere() {
        assertThat(opener(postgres(Duration.ZERO), downFor(0)).hint())
                .isEqualTo("is PostgreSQL running at 127.0.0.1:5432?");
        StoreConfig d = postgres(Duration.ZERO);
        StoreConfig cluster = new StoreConfig("redis", d.dataDir(), "r1:7000,r2:7001", 0, "", "", "dtm", "public",
                -1, -1, d.connMaxLifetime(), d.connectTimeout(), d.dataExpire(), d.finishedDataExpire(), "{a}", "",
                d.finishedRetention(), d.startupTimeout());
        assertThat(opener(cluster, downFor(0)).hint()).isEqualTo("is Redis Cluster running at r1:7000,r2:7001?");
        StoreConfig mariadb = new StoreConfig("mariadb", d.dataDir(), "db", 3307, "u", "", "dtm", "public",
                -1, -1, d.connMaxLifetime(), d.connectTimeout(), d.dataExpire(), d.finishedDataExpire(), "{a}", "",
                d.finishedRetention(), d.startupTimeout());
        assertThat(opener(mariadb, downFor(0)).hint()).isEqualTo("is MariaDB running at db:3307?");
    }
}
