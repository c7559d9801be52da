package io.dtm4j.examples;

import io.dtm4j.store.jdbc.JdbcTransactionStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs the embedded examples end to end: real HTTP to the bank, a real store, no DTM server. */
class ExamplesTest {

    @Test
    void embeddedSagaMovesThirtyFromUserOneToUserTwo(@TempDir Path dir) throws IOException {
        TransferResult r = EmbeddedSagaExample.run(dir);

        assertThat(r.status()).isEqualTo("succeed");
        assertThat(r.before()).containsEntry(1, 10_000L).containsEntry(2, 10_000L);
        assertThat(r.after()).containsEntry(1, 9_970L).containsEntry(2, 10_030L);
        assertThat(r.moved(30)).isTrue();
        try (JdbcTransactionStore reopened = JdbcTransactionStore.sqlite(dir)) {
            assertThat(reopened.findGlobal(r.gid())).get().extracting(g -> g.status().wireName())
                    .isEqualTo("succeed");
        }
    }

    @Test
    void embeddedMsgMovesThirtyFromUserOneToUserTwo(@TempDir Path dir) throws IOException {
        TransferResult r = EmbeddedMsgExample.run(dir);

        assertThat(r.status()).isEqualTo("succeed");
        assertThat(r.before()).containsEntry(1, 10_000L).containsEntry(2, 10_000L);
        assertThat(r.after()).containsEntry(1, 9_970L).containsEntry(2, 10_030L);
    }

    @Test
    void reportPrintsBalancesAndExitsZeroOnlyWhenTheMoneyMoved(@TempDir Path dir) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);

        int ok = Examples.runAndReport("EmbeddedSagaExample", "test", () -> EmbeddedSagaExample.run(dir), print,
                print);
        int notMoved = Examples.runAndReport("Nothing", "test", () -> new TransferResult("g", "failed",
                initial(), initial()), print, print);
        int threw = Examples.runAndReport("Broken", "test", () -> {
            throw new IOException("no server");
        }, print, print);

        assertThat(ok).isZero();
        assertThat(notMoved).isEqualTo(1);
        assertThat(threw).isEqualTo(2);
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("before: user 1 = 10000, user 2 = 10000")
                .contains("after:  user 1 = 9970, user 2 = 10030")
                .contains("EmbeddedSagaExample: OK")
                .contains("Broken: FAILED: java.io.IOException: no server");
    }

    @Test
    void remoteExampleWithoutServerFailsWithExitCodeTwo() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(err, true, StandardCharsets.UTF_8);

        int code = Examples.runAndReport("RemoteSagaExample", "test",
                () -> RemoteSagaExample.run("127.0.0.1:1", "127.0.0.1"), print, print);

        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("is the DTM server running");
    }

    /** Balances as the bank starts. */
    private static Map<Integer, Long> initial() {
        return Map.of(1, BankService.INITIAL_BALANCE, 2, BankService.INITIAL_BALANCE);
    }
}
