package io.dtm4j.examples;

import io.dtm4j.client.DtmClient;
import io.dtm4j.client.Msg;

import java.io.IOException;
import java.util.Map;

/**
 * The bank transfer as a two-phase message on a running DTM server (dtm4j's or DTM's own): the local
 * transaction takes 30 from user 1, the server then calls TransIn (and, if the outcome is in doubt, the
 * bank's QueryPrepared back-check), so it must be able to reach this machine.
 *
 * <p>Run: {@code mvn -q -pl examples exec:java -Dexec.mainClass=io.dtm4j.examples.RemoteMsgExample
 * -Dexec.args="http://127.0.0.1:36789/api/dtmsvr 127.0.0.1"}. Arguments, both optional: the server URL
 * (default {@code http://127.0.0.1:36789/api/dtmsvr}) and the address the server reaches this machine at (default
 * 127.0.0.1). Exits 0 when the money moved, 1 when it did not, 2 on an error such as an unreachable
 * server.
 */
public final class RemoteMsgExample {

    private RemoteMsgExample() {
    }

    /** Runs the example; see the class comment for the arguments and the exit code. */
    public static void main(String[] args) {
        String server = Examples.arg(args, 0, Examples.DEFAULT_SERVER);
        String host = Examples.arg(args, 1, "127.0.0.1");
        System.exit(Examples.runAndReport("RemoteMsgExample", "server " + server, () -> run(server, host),
                System.out, System.err));
    }

    /**
     * Starts the bank on {@code bankHost}, sends the message through {@code serverUrl} with
     * {@code doAndSubmit} and {@code waitResult} (which returns only once TransIn succeeded) and returns
     * the balances before and after.
     *
     * @throws IOException when the bank's HTTP server cannot start
     */
    public static TransferResult run(String serverUrl, String bankHost) throws IOException {
        try (BankService bank = BankService.start(bankHost, 0);
             DtmClient dtm = DtmClient.http(serverUrl)) {
            Map<Integer, Long> before = bank.balances();
            Msg msg = dtm.msg()
                    .add(bank.url("TransIn"), TransferRequest.of(Examples.AMOUNT))
                    .waitResult();
            String gid = msg.doAndSubmit(bank.url("QueryPrepared"),
                    () -> bank.transOutLocally(msg.gid(), Examples.AMOUNT));
            return new TransferResult(gid, "succeed", before, bank.balances());
        }
    }
}
