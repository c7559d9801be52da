package io.dtm4j.core.testing;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.spi.TransactionStore;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A coordinator on a counting in-memory store, a scripted branch service, a mutable clock and a recording events
 * listener, with everything run on the calling thread: the engine's scenarios without threads, sockets or sleeps.
 */
public final class EngineHarness implements AutoCloseable {
    /** Base URL of the fake branch service; any URL works with the scripted invoker. */
    public static final String BUSI = "http://busi.test/api/busi";

    public final MutableClock clock = MutableClock.startingAtEpochOf2026();
    public final ScriptedBranchInvoker busi = new ScriptedBranchInvoker();
    public final RecordingEvents events = new RecordingEvents();
    public final CountingTransactionStore store;
    public final Coordinator coordinator;

    public EngineHarness() {
        this(new InMemoryTransactionStore());
    }

    public EngineHarness(TransactionStore backing) {
        this.store = new CountingTransactionStore(backing);
        this.coordinator = Coordinator.builder().store(store).invoker(busi).clock(clock)
                .executor(new DirectExecutorService()).events(events).build();
    }

    /** A 2-step TransOut/TransIn saga request. */
    public static TransRequest.Builder transferSaga(String gid) {
        return TransRequest.builder(gid, TransType.SAGA)
                .step(Map.of("action", BUSI + "/TransOut", "compensate", BUSI + "/TransOutRevert"), body(30))
                .step(Map.of("action", BUSI + "/TransIn", "compensate", BUSI + "/TransInRevert"), body(30));
    }

    /** A 2-step TransOut/TransIn msg request with a back-check URL. */
    public static TransRequest.Builder transferMsg(String gid) {
        return TransRequest.builder(gid, TransType.MSG)
                .step(Map.of("action", BUSI + "/TransOut"), body(30))
                .step(Map.of("action", BUSI + "/TransIn"), body(30))
                .queryPrepared(BUSI + "/QueryPrepared");
    }

    public static byte[] body(int amount) {
        return ("{\"amount\":" + amount + "}").getBytes(StandardCharsets.UTF_8);
    }

    public static TransOptions waitResult() {
        return TransOptions.builder().waitResult(true).build();
    }

    /** The stored global. */
    public GlobalTransaction global(String gid) {
        return store.findGlobal(gid).orElseThrow();
    }

    /** The stored branch statuses in row order, e.g. [prepared, succeed, prepared, succeed]. */
    public List<BranchStatus> statuses(String gid) {
        return store.findBranches(gid).stream().map(Branch::status).toList();
    }

    /** Moves the clock forward and runs one recovery step. */
    public void recoverAfter(Duration d) {
        clock.advance(d);
        coordinator.recoverOnce();
    }

    @Override
    public void close() {
        coordinator.close();
    }
}
