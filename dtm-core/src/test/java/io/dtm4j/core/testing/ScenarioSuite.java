package io.dtm4j.core.testing;

import io.dtm4j.core.spi.TransactionStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;

/**
 * Base of the engine scenario suites ({@link SagaScenarios}, {@link MsgScenarios}, {@link TccXaScenarios},
 * {@link WorkflowScenarios}, {@link RecoveryScenarios}): each test gets an {@link EngineHarness} on a store
 * from {@link #newStore()}, wrapped in a {@link CountingTransactionStore} so that the suites can assert the
 * durable writes the engine asks for. Every store runs the same suites: in-memory in dtm-core, SQLite,
 * PostgreSQL and MariaDB in dtm-store-jdbc, Redis in dtm-store-redis.
 *
 * <p>The store must be <b>fresh and empty</b> for each test: the gids are DTM's test names and repeat across
 * stores and runs (a row left in a shared database points at its test), and {@code recoverOnce()} claims every
 * due transaction in the store, so a transaction left by an earlier test would be driven by the next one. A
 * store on a shared server gets a namespace of its own (schema, database, key prefix) in {@link #newStore()}
 * ({@link #testName()} is set by then) and drops it in {@link #cleanUp()}. Not thread-safe: JUnit runs one test
 * per instance.
 */
public abstract class ScenarioSuite {

    /** The coordinator, fake branch service, clock and counting store of the running test. */
    protected EngineHarness h;
    private TransactionStore store;
    private String testName;

    /** Returns a new, empty store for one test; the suite closes it after the test, then calls {@link #cleanUp}. */
    protected abstract TransactionStore newStore();

    /** Runs after the test's store is closed, also when the test failed. Default: nothing. */
    protected void cleanUp() {
    }

    /** The running test's method name, e.g. {@code normalSagaSucceedsWithTwoDurableWrites}. */
    protected final String testName() {
        return testName;
    }

    @BeforeEach
    void openHarness(TestInfo info) {
        testName = info.getTestMethod().orElseThrow().getName();
        store = newStore();
        h = new EngineHarness(store);
    }

    @AfterEach
    void closeHarness() {
        // newStore() may have failed or skipped the test (no server): close what was opened
        try {
            if (h != null) {
                h.close();
            }
        } finally {
            try {
                if (store != null) {
                    store.close();
                }
            } finally {
                cleanUp();
            }
        }
    }
}
