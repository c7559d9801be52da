package io.dtm4j.store.jdbc;

import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.ScriptedBranchInvoker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SqliteBackupTest {
    @TempDir
    Path dir;

    @Test
    void copiesAConsistentStoreWhileItIsOpenAndTheCopyOpensAsAStore() {
        Path data = dir.resolve("data");
        try (JdbcTransactionStore store = JdbcTransactionStore.sqlite(data)) {
            for (int i = 0; i < 3; i++) {
                insert(store, "backup-" + i);
            }
            SqliteBackup.Result r = SqliteBackup.copy(data, dir.resolve("backups/dtm-1.db"));
            assertThat(r.transactions()).isEqualTo(3);
            assertThat(r.bytes()).isPositive().isEqualTo(fileSize(r.target()));
            insert(store, "after-the-backup"); // the store is still usable, and this one is not in the copy
        }
        Path restored = dir.resolve("restored");
        copyInto(dir.resolve("backups/dtm-1.db"), restored);
        try (JdbcTransactionStore store = JdbcTransactionStore.sqlite(restored)) {
            assertThat(store.statusOf("backup-2")).contains(GlobalStatus.SUCCEED);
            assertThat(store.findBranches("backup-2")).hasSize(2); // action and compensate rows
            assertThat(store.findGlobal("after-the-backup")).isEmpty();
        }
    }

    @Test
    void refusesToOverwriteAndNamesAMissingStore() throws Exception {
        Path data = dir.resolve("data");
        JdbcTransactionStore.sqlite(data).close();
        Path existing = Files.writeString(dir.resolve("taken.db"), "x");
        assertThatThrownBy(() -> SqliteBackup.copy(data, existing)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already exists; give a new file name");
        assertThat(Files.readString(existing)).isEqualTo("x");
        assertThatThrownBy(() -> SqliteBackup.copy(dir.resolve("nowhere"), dir.resolve("b.db")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no SQLite store at " + dir.resolve("nowhere").toAbsolutePath().resolve("dtm.db"));
    }

    /** Submits a one-step saga through a coordinator; the scripted branch succeeds at once. */
    private static void insert(JdbcTransactionStore store, String gid) {
        try (Coordinator c = Coordinator.builder().store(store).invoker(new ScriptedBranchInvoker())
                .executor(new DirectExecutorService()).build()) {
            c.submit(TransRequest.builder(gid, TransType.SAGA)
                    .step(Map.of("action", "http://busi/TransIn", "compensate", "http://busi/TransInRevert"),
                            new byte[] {1}).build());
        }
    }

    private static long fileSize(Path p) {
        try {
            return Files.size(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void copyInto(Path file, Path directory) {
        try {
            Files.createDirectories(directory);
            Files.copy(file, directory.resolve(JdbcTransactionStore.DATABASE_FILE));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
