package io.dtm4j.examples;

import io.dtm4j.client.DtmClient;

import java.io.IOException;
import java.util.Map;

/**
 * The bank transfer as a saga on a running DTM server (dtm4j's or DTM's own): the server calls back the
 * bank this example starts, so it must be able to reach it.
 *
 * <p>Run: {@code mvn -q -pl examples exec:java -Dexec.mainClass=io.dtm4j.examples.RemoteSagaExample
 * -Dexec.args="http://127.0.0.1:36789/api/dtmsvr 127.0.0.1"}. Arguments, both optional: the server URL
 * (default {@code http://127.0.0.1:36789/api/dtmsvr}) and the address the server reaches this machine at (default
 * 127.0.0.1; the bank listens there on a free port). Exits 0 when the money moved, 1 when it did not, 2 on
 * an error such as an unreachable server.
 */
public final class RemoteSagaExample {

    private RemoteSagaExample() {
    }

    /** Runs the example; see the class comment for the arguments and the exit code. */
    public static void main(String[] args) {
        String server = Examples.arg(args, 0, Examples.DEFAULT_SERVER);
        String host = Examples.arg(args, 1, "127.0.0.1");
        System.exit(Examples.runAndReport("RemoteSagaExample", "server " + server, () -> run(server, host),
                System.out, System.err));
    }

    /**
     * Starts the bank on {@code bankHost}, submits the saga to {@code serverUrl} with {@code waitResult}
     * (which returns only if it succeeded) and returns the balances before and after.
     *
     * @throws IOException when the bank's HTTP server cannot start
     */
    public static TransferResult run(String serverUrl, String bankHost) throws IOException {
        try (BankService bank = BankService.start(bankHost, 0);
             DtmClient dtm = DtmClient.http(serverUrl)) {
            Map<Integer, Long> before = bank.balances();
            String gid = dtm.saga()
                    .add(bank.url("TransOut"), bank.url("TransOutRevert"), TransferRequest.of(Examples.AMOUNT))
                    .add(bank.url("TransIn"), bank.url("TransInRevert"), TransferRequest.of(Examples.AMOUNT))
                    .waitResult()
                    .submit();
            return new TransferResult(gid, "succeed", before, bank.balances());
        }
    }
}
