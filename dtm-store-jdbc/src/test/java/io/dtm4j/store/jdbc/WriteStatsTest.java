package io.dtm4j.store.jdbc;

import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransType;
import io.dtm4j.core.testing.HappySagas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store's own counters that the benchmarks read ({@code bench} module): commits of the group-commit writer and
 * the writes they held, whose ratio is the mean batch size.
 */
class WriteStatsTest {

    private static final int QUEUED = 8;
    private static final long WAIT_SECONDS = 30;

    @TempDir
    Path dir;

    @Test
    void aHappySagaIsTwoWritesInTwoCommits() {
        try (JdbcTransactionStore sqlite = JdbcTransactionStore.sqlite(dir)) {
            long commits = sqlite.commits();
            long writes = sqlite.committedWrites();

            HappySagas.run(sqlite, "WriteStatsHappySaga", 1);

            assertThat(sqlite.commits() - commits).isEqualTo(2);
            assertThat(sqlite.committedWrites() - writes).isEqualTo(2);
        }
    }

    /** Writes queued behind a held writer share one commit; a lost insert (duplicate gid) is still a write. */
    @Test
    void writesQueuedTogetherAreCountedInOneCommit() throws Exception {
        try (JdbcTransactionStore sqlite = JdbcTransactionStore.sqlite(dir)) {
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Void> held = sqlite.holdWriter(release);
            long commits = sqlite.commits();
            long writes = sqlite.committedWrites();
            ExecutorService pool = Executors.newFixedThreadPool(QUEUED);
            List<Future<Boolean>> inserts = new ArrayList<>();
            try {
                for (int i = 0; i < QUEUED; i++) {
                    // the last one repeats the first gid: it commits nothing but is one write of the batch
                    String gid = "WriteStats-" + (i == QUEUED - 1 ? 0 : i);
                    inserts.add(pool.submit(() -> sqlite.insert(saga(gid), List.of())));
                }
                while (sqlite.pendingWrites() < QUEUED) {
                    Thread.sleep(5);
                }
                release.countDown();
                held.get(WAIT_SECONDS, TimeUnit.SECONDS);
                int inserted = 0;
                for (Future<Boolean> f : inserts) {
                    inserted += f.get(WAIT_SECONDS, TimeUnit.SECONDS) ? 1 : 0;
                }
                assertThat(inserted).isEqualTo(QUEUED - 1);
            } finally {
                pool.shutdownNow();
            }

            // the held batch (one write), then one batch for everything queued behind it
            assertThat(sqlite.commits() - commits).isEqualTo(2);
            assertThat(sqlite.committedWrites() - writes).isEqualTo(1 + QUEUED);
        }
    }

    private static GlobalTransaction saga(String gid) {
        Instant now = Instant.now();
        return new GlobalTransaction(0, gid, TransType.SAGA, GlobalStatus.SUBMITTED, "", "http", now, now,
                Optional.empty(), Optional.empty(), TransOptions.DEFAULT, "", Duration.ofSeconds(10), now, "", "", "",
                "");
    }
}
