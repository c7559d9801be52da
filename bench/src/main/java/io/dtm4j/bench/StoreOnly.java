package io.dtm4j.bench;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.BranchUpdate;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionUpdate;
import io.dtm4j.core.spi.TransactionStore;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Store-only saga shapes (spec performance.md 3.3, 3.4, 4.3): a happy 2-branch saga's store calls without any
 * coordinator, HTTP or JSON, through our stores' real code paths (SPI calls, so group commit, scripts by SHA and
 * prepared statements apply to both shapes alike):
 * <ul>
 *   <li>{@link #dtmShaped}: DTM's synchronous shape, 4 writes: insert (global + 4 branch rows), one update per
 *       branch success, the final status change;</li>
 *   <li>{@link #ours}: dtm4j's shape, 2 writes: insert, then the final status with both branch statuses.</li>
 * </ul>
 * Their rates measured in the same run are the ceilings the coordinator is compared with ({@link RawCeiling} is a
 * rawer one still).
 */
final class StoreOnly {
    private static final byte[] BODY = Workload.BODY.getBytes(StandardCharsets.UTF_8);
    private static final Duration RETRY = Duration.ofSeconds(10);
    /** Stored, never called: the rows have the size of real ones. */
    private static final String BUSI = "http://127.0.0.1:8083/api/busi";

    private StoreOnly() {
    }

    /** DTM's 4 writes per saga. */
    static LoadDriver.Tx dtmShaped(TransactionStore store) {
        return gid -> {
            Instant now = Instant.now();
            require(store.insert(global(gid, now), branches(gid, now)), gid, "insert");
            require(store.update(TransactionUpdate.of(gid, GlobalStatus.SUBMITTED, now)
                    .branches(List.of(succeeded("01"))).build()), gid, "branch 01");
            require(store.update(TransactionUpdate.of(gid, GlobalStatus.SUBMITTED, now)
                    .branches(List.of(succeeded("02"))).build()), gid, "branch 02");
            require(store.update(TransactionUpdate.of(gid, GlobalStatus.SUBMITTED, now).status(GlobalStatus.SUCCEED)
                    .build()), gid, "final status");
        };
    }

    /** dtm4j's 2 writes per saga. */
    static LoadDriver.Tx ours(TransactionStore store) {
        return gid -> {
            Instant now = Instant.now();
            require(store.insert(global(gid, now), branches(gid, now)), gid, "insert");
            require(store.update(TransactionUpdate.of(gid, GlobalStatus.SUBMITTED, now).status(GlobalStatus.SUCCEED)
                    .branches(List.of(succeeded("01"), succeeded("02"))).build()), gid, "outcome");
        };
    }

    private static void require(boolean applied, String gid, String what) {
        if (!applied) {
            throw new IllegalStateException("gid=" + gid + ": " + what + " was not applied");
        }
    }

    private static BranchUpdate succeeded(String branchId) {
        return new BranchUpdate(branchId, BranchOp.ACTION, BranchStatus.SUCCEED);
    }

    private static GlobalTransaction global(String gid, Instant now) {
        return new GlobalTransaction(0, gid, TransType.SAGA, GlobalStatus.SUBMITTED, "", "http", now, now,
                Optional.empty(), Optional.empty(), TransOptions.builder().waitResult(true).build(), "", RETRY,
                now.plus(RETRY), "", "", "", "");
    }

    private static List<Branch> branches(String gid, Instant now) {
        return List.of(
                Branch.prepared(gid, "01", BranchOp.COMPENSATE, BUSI + "/TransOutCom", BODY, now),
                Branch.prepared(gid, "01", BranchOp.ACTION, BUSI + "/TransOut", BODY, now),
                Branch.prepared(gid, "02", BranchOp.COMPENSATE, BUSI + "/TransInCom", BODY, now),
                Branch.prepared(gid, "02", BranchOp.ACTION, BUSI + "/TransIn", BODY, now));
    }
}
