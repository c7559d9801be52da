package io.dtm4j.examples;

import io.dtm4j.client.DtmClient;

import java.io.IOException;
import java.util.Map;

/**
 * The bank transfer as TCC on a running DTM server (dtm4j's or DTM's own): this program calls the tries
 * itself, the server then calls the bank's confirms (or cancels), so it must be able to reach this machine.
 *
 * <p>Run: {@code mvn -q -pl examples exec:java -Dexec.mainClass=io.dtm4j.examples.RemoteTccExample
 * -Dexec.args="http://127.0.0.1:36789/api/dtmsvr 127.0.0.1"}. Arguments, both optional: the server URL
 * (default {@code http://127.0.0.1:36789/api/dtmsvr}) and the address the server reaches this machine at (default
 * 127.0.0.1; the bank listens there on a free port). Exits 0 when the money moved, 1 when it did not, 2 on
 * an error such as an unreachable server or a refused try.
 */
public final class RemoteTccExample {

    private RemoteTccExample() {
    }

    /** Runs the example; see the class comment for the arguments and the exit code. */
    public static void main(String[] args) {
        String server = Examples.arg(args, 0, Examples.DEFAULT_SERVER);
        String host = Examples.arg(args, 1, "127.0.0.1");
        System.exit(Examples.runAndReport("RemoteTccExample", "server " + server, () -> run(server, host),
                System.out, System.err));
    }

    /**
     * Starts the bank on {@code bankHost}, runs the TCC on {@code serverUrl} with {@code waitResult} (which
     * returns only once both confirms succeeded) and returns the balances before and after.
     *
     * @throws IOException when the bank's HTTP server cannot start
     */
    public static TransferResult run(String serverUrl, String bankHost) throws IOException {
        try (BankService bank = BankService.start(bankHost, 0);
             DtmClient dtm = DtmClient.http(serverUrl)) {
            Map<Integer, Long> before = bank.balances();
            TransferRequest request = TransferRequest.of(Examples.AMOUNT);
            String gid = dtm.tcc().waitResult().execute(tcc -> {
                tcc.callBranch(request, bank.url("TransOutTry"), bank.url("TransOutConfirm"),
                        bank.url("TransOutCancel"));
                tcc.callBranch(request, bank.url("TransInTry"), bank.url("TransInConfirm"),
                        bank.url("TransInCancel"));
                return tcc.gid();
            });
            return new TransferResult(gid, "succeed", before, bank.balances());
        }
    }
}
