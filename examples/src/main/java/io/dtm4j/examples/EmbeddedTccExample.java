package io.dtm4j.examples;

import io.dtm4j.client.DtmClient;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.client.TccTransaction;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The bank transfer as TCC on a coordinator inside this process: this program calls the tries itself
 * (TransOutTry reserves 30 of user 1, TransInTry announces 30 to user 2), then submits, and the coordinator
 * confirms both (the 30 move). Had a try failed, the coordinator would have cancelled both reservations.
 *
 * <p>Run: {@code mvn -q -pl examples exec:java -Dexec.mainClass=io.dtm4j.examples.EmbeddedTccExample}.
 * Optional argument: the directory of the store (default a temporary one, deleted at the end). Exits 0
 * when the money moved, 1 when it did not, 2 on an error.
 */
public final class EmbeddedTccExample {

    private EmbeddedTccExample() {
    }

    /** Runs the example; see the class comment for the argument and the exit code. */
    public static void main(String[] args) {
        Examples.mainEmbedded("EmbeddedTccExample", args, EmbeddedTccExample::run);
    }

    /**
     * Starts the bank and an embedded coordinator with its store in {@code storeDir}, runs the TCC with
     * {@code waitResult} and returns the balances before and after.
     *
     * @throws IOException when the bank's HTTP server cannot start
     */
    public static TransferResult run(Path storeDir) throws IOException {
        return run(storeDir, false);
    }

    /**
     * Like {@link #run(Path)}; with {@code failTransIn} the TransIn try answers FAILURE, so the transaction
     * rolls back: its status is {@code failed} and the balances do not change.
     *
     * @throws IOException when the bank's HTTP server cannot start
     */
    public static TransferResult run(Path storeDir, boolean failTransIn) throws IOException {
        try (BankService bank = BankService.start()) {
            return run(bank, storeDir, failTransIn);
        }
    }

    /** Runs the TCC against a bank the caller started (and closes), so that it can inspect the bank after. */
    static TransferResult run(BankService bank, Path storeDir, boolean failTransIn) {
        try (EmbeddedNode node = EmbeddedNode.open(storeDir);             DtmClient dtm = DtmClient.embedded(node.coordinator())) {
            Map<Integer, Long> before = bank.balances();
            // a forced FAILURE of TransIn's try, as DTM's http_tcc_rollback example sends
            TransferRequest request = new TransferRequest(Examples.AMOUNT, failTransIn ? "FAILURE" : "", "");
            TccTransaction tcc = dtm.tcc().waitResult();
            try {
                tcc.execute(t -> {
                    t.callBranch(request, bank.url("TransOutTry"), bank.url("TransOutConfirm"),
                            bank.url("TransOutCancel"));
                    t.callBranch(request, bank.url("TransInTry"), bank.url("TransInConfirm"),
                            bank.url("TransInCancel"));
                    return null;
                });
            } catch (DtmFailureException e) {
                // a try refused: execute aborted the transaction, and the coordinator cancelled every branch
            }
            String status = node.status(tcc.gid());
            return new TransferResult(tcc.gid(), status, before, bank.balances());
        }
    }
}
