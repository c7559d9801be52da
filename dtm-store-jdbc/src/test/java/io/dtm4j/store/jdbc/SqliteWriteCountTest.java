package io.dtm4j.store.jdbc;

import io.dtm4j.core.testing.HappySagas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Durable writes of a happy 2-branch saga on the SQLite store, counted by SQLite itself: the commit frames in
 * {@code dtm.db-wal} (in WAL mode every commit appends a frame whose "database size after commit" field is
 * non-zero; with {@code synchronous=FULL} each commit is one fsync). Engine reads are plain SELECTs and never
 * reach the WAL. Spec performance.md 5.1: DTM writes 4 times, the minimum is 2 (intent, outcome).
 */
class SqliteWriteCountTest {

    private static final int CONCURRENT = 16;

    @TempDir
    Path dir;

    @Test
    void happySagaWithWaitResultCommitsTwiceInSqlite() throws IOException {
        try (JdbcTransactionStore sqlite = JdbcTransactionStore.sqlite(dir)) {
            Wal before = Wal.read(dir);
            long commitsBefore = sqlite.commits();

            HappySagas.SpiCalls spi = HappySagas.run(sqlite, "SqliteWriteCount", 1);

            assertThat(spi.writes()).as("SPI writes").isEqualTo(2);
            assertThat(Wal.read(dir).commitFramesSince(before)).as("WAL commit frames").isEqualTo(2);
            assertThat(sqlite.commits() - commitsBefore).as("writer commits").isEqualTo(2);
        }
    }

    /** Group commit: sagas running together share commits, so SQLite commits at most twice per saga. */
    @Test
    void concurrentSagasShareCommits() throws IOException {
        try (JdbcTransactionStore sqlite = JdbcTransactionStore.sqlite(dir)) {
            Wal before = Wal.read(dir);

            HappySagas.SpiCalls spi = HappySagas.run(sqlite, "SqliteWriteCountConcurrent", CONCURRENT);

            long frames = Wal.read(dir).commitFramesSince(before);
            System.out.printf("SQLite: %d concurrent happy sagas: %d WAL commits (%.2f per saga), %d SPI writes%n",
                    CONCURRENT, frames, (double) frames / CONCURRENT, spi.writes());
            assertThat(spi.writes()).isEqualTo(2 * CONCURRENT);
            assertThat(frames).isBetween(1L, 2L * CONCURRENT);
        }
    }

    /** The commit frames of a WAL file and the salt that tells the current generation of frames from old ones. */
    private record Wal(long salt, long commitFrames) {
        private static final int HEADER = 32;
        private static final int FRAME_HEADER = 24;

        static Wal read(Path dir) throws IOException {
            Path wal = dir.resolve(JdbcTransactionStore.DATABASE_FILE + "-wal");
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(wal));
            int pageSize = b.getInt(8);
            long salt = b.getLong(16);
            long commits = 0;
            for (int at = HEADER; at + FRAME_HEADER + pageSize <= b.limit(); at += FRAME_HEADER + pageSize) {
                if (b.getLong(at + 8) != salt) {
                    break; // a frame of an earlier generation: the valid log ends here
                }
                if (b.getInt(at + 4) != 0) {
                    commits++;
                }
            }
            return new Wal(salt, commits);
        }

        long commitFramesSince(Wal before) {
            assertThat(salt).as("the WAL was checkpointed and restarted during the measurement").isEqualTo(before.salt);
            return commitFrames - before.commitFrames;
        }
    }
}
