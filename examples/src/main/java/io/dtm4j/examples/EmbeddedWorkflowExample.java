package io.dtm4j.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.client.DtmClient;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.client.workflow.WorkflowHandler;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The bank transfer as a workflow on a coordinator inside this process: plain sequential code whose steps,
 * TransOut then TransIn, the coordinator records as they finish; each step first registers its compensation
 * (TransOutRevert, TransInRevert), run newest first should the workflow fail. The bank also serves the
 * workflow resume endpoint: had a run stopped half-way (a step in error or ONGOING), the coordinator would
 * call it, and the workflow would run again from the top, skipping the steps already recorded.
 *
 * <p>Run: {@code mvn -q -pl examples exec:java -Dexec.mainClass=io.dtm4j.examples.EmbeddedWorkflowExample}.
 * Optional argument: the directory of the store (default a temporary one, deleted at the end). Exits 0
 * when the money moved, 1 when it did not, 2 on an error.
 */
public final class EmbeddedWorkflowExample {
    /** The workflow's name: registered at start-up, it is how a resume call finds the code to run. */
    static final String WORKFLOW = "transfer";
    private static final ObjectMapper JSON = new ObjectMapper();

    private EmbeddedWorkflowExample() {
    }

    /** Runs the example; see the class comment for the argument and the exit code. */
    public static void main(String[] args) {
        Examples.mainEmbedded("EmbeddedWorkflowExample", args, EmbeddedWorkflowExample::run);
    }

    /**
     * Starts the bank and an embedded coordinator with its store in {@code storeDir}, registers the workflow,
     * serves its resume endpoint, executes it and returns the balances before and after.
     *
     * @throws IOException when the bank's HTTP server cannot start
     */
    public static TransferResult run(Path storeDir) throws IOException {
        try (BankService bank = BankService.start();             EmbeddedNode node = EmbeddedNode.open(storeDir);             DtmClient dtm = DtmClient.builder().coordinator(node.coordinator())
                     .workflowResumeUrl(bank.url(BankService.WORKFLOW_RESUME)).build()) {
            dtm.workflows().register(WORKFLOW, transfer(bank));
            bank.serveWorkflowResume(dtm.workflows());
            Map<Integer, Long> before = bank.balances();
            String gid = dtm.newGid();
            try {
                dtm.workflows().execute(WORKFLOW, gid, input(TransferRequest.of(Examples.AMOUNT)));
            } catch (DtmFailureException e) {
                // a step failed for good: the compensations of the steps before it ran, the workflow failed
            }
            String status = node.status(gid);
            return new TransferResult(gid, status, before, bank.balances());
        }
    }

    /**
     * The workflow: TransOut, then TransIn, each with its compensation registered before it runs, so that it
     * is undone even when the step's outcome is in doubt. The input, DTM's {@code ReqHTTP}, is every step's body.
     */
    static WorkflowHandler transfer(BankService bank) {
        return (wf, input) -> {
            wf.branch().onRollback(ctx -> ctx.call(bank.url("TransOutRevert"), input))
                    .call(bank.url("TransOut"), input);
            wf.branch().onRollback(ctx -> ctx.call(bank.url("TransInRevert"), input))
                    .call(bank.url("TransIn"), input);
            return null;
        };
    }

    /** The workflow's input: the request as JSON. */
    static byte[] input(TransferRequest request) {
        try {
            return JSON.writeValueAsBytes(request);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + request, e);
        }
    }
}
