package io.dtm4j.examples;

import io.dtm4j.client.DtmClient;
import io.dtm4j.client.Msg;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The bank transfer as a two-phase message on a coordinator inside this process: the local transaction
 * takes 30 from user 1, and the message, sent if and only if that commits, gives 30 to user 2 through
 * TransIn. Should the local commit end in doubt, the bank's {@code QueryPrepared} back-check decides.
 *
 * <p>Run: {@code mvn -q -pl examples exec:java -Dexec.mainClass=io.dtm4j.examples.EmbeddedMsgExample}.
 * Optional argument: the directory of the store (default a temporary one, deleted at the end). Exits 0
 * when the money moved, 1 when it did not, 2 on an error.
 */
public final class EmbeddedMsgExample {

    private EmbeddedMsgExample() {
    }

    /** Runs the example; see the class comment for the argument and the exit code. */
    public static void main(String[] args) {
        Examples.mainEmbedded("EmbeddedMsgExample", args, EmbeddedMsgExample::run);
    }

    /**
     * Starts the bank and an embedded coordinator with its store in {@code storeDir}, runs the message with
     * {@code doAndSubmit} and {@code waitResult}, and returns the balances before and after.
     *
     * @throws IOException when the bank's HTTP server cannot start
     */
    public static TransferResult run(Path storeDir) throws IOException {
        try (BankService bank = BankService.start();             EmbeddedNode node = EmbeddedNode.open(storeDir);             DtmClient dtm = DtmClient.embedded(node.coordinator())) {
            Map<Integer, Long> before = bank.balances();
            Msg msg = dtm.msg()
                    .add(bank.url("TransIn"), TransferRequest.of(Examples.AMOUNT))
                    .waitResult();
            String gid = msg.doAndSubmit(bank.url("QueryPrepared"),
                    () -> bank.transOutLocally(msg.gid(), Examples.AMOUNT));
            String status = node.status(gid);
            return new TransferResult(gid, status, before, bank.balances());
        }
    }
}
