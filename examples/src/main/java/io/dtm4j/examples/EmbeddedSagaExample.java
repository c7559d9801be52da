package io.dtm4j.examples;

import io.dtm4j.client.DtmClient;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The bank transfer as a saga on a coordinator inside this process: no DTM server to run. TransOut takes
 * 30 from user 1, TransIn gives 30 to user 2; had TransIn failed, TransOutRevert would have undone
 * TransOut.
 *
 * <p>Run: {@code mvn -q -pl examples exec:java -Dexec.mainClass=io.dtm4j.examples.EmbeddedSagaExample}.
 * Optional argument: the directory of the store (default a temporary one, deleted at the end). Exits 0
 * when the money moved, 1 when it did not, 2 on an error.
 */
public final class EmbeddedSagaExample {
    private EmbeddedSagaExample() {
    }

    /** Runs the example; see the class comment for the argument and the exit code. */
    public static void main(String[] args) {
        Examples.mainEmbedded("EmbeddedSagaExample", args, EmbeddedSagaExample::run);
    }

    /**
     * Starts the bank and an embedded coordinator with its store in {@code storeDir}, runs the saga with
     * {@code waitResult} and returns the balances before and after.
     *
     * @throws IOException when the bank's HTTP server cannot start
     */
    public static TransferResult run(Path storeDir) throws IOException {
        try (BankService bank = BankService.start();             EmbeddedNode node = EmbeddedNode.open(storeDir);             DtmClient dtm = DtmClient.embedded(node.coordinator())) {
            Map<Integer, Long> before = bank.balances();
            String gid = dtm.saga()
                    .add(bank.url("TransOut"), bank.url("TransOutRevert"), TransferRequest.of(Examples.AMOUNT))
                    .add(bank.url("TransIn"), bank.url("TransInRevert"), TransferRequest.of(Examples.AMOUNT))
                    .waitResult()
                    .submit();
            String status = node.status(gid);
            return new TransferResult(gid, status, before, bank.balances());
        }
    }
}
