package io.dtm4j.client.workflow;

import java.util.Map;

/**
 * Runs workflows: named business functions whose steps (HTTP calls, local steps, XA steps, commit and rollback
 * callbacks) are recorded in the coordinator as they finish, so that an interrupted run is resumed where it
 * stopped, as with DTM's Go {@code workflow} package. Get it from {@link io.dtm4j.client.DtmClient#workflows()}.
 *
 * <p>At start-up, register every workflow the service runs ({@link #register}) and serve the client's
 * {@code workflowResumeUrl} with an endpoint that hands its query parameters and body to {@link #resume}: the
 * coordinator calls it to finish a workflow whose run stopped early (a crash, an error, ONGOING). With an embedded
 * coordinator, a {@link io.dtm4j.client.LocalWorkflowInvoker} serves those calls in-process instead, no endpoint
 * needed.
 *
 * <pre>{@code
 * DtmClient dtm = DtmClient.builder().serverUrl("http://dtm:36789/api/dtmsvr")
 *         .workflowResumeUrl("http://me:8080/api/workflow/resume").build();
 * dtm.workflows().register("transfer", (wf, input) -> {
 *     wf.branch().onRollback(ctx -> ctx.call(busi + "/TransOutRevert", input)).call(busi + "/TransOut", input);
 *     wf.branch().onRollback(ctx -> ctx.call(busi + "/TransInRevert", input)).call(busi + "/TransIn", input);
 *     return "done".getBytes(StandardCharsets.UTF_8);
 * });
 * byte[] result = dtm.workflows().execute("transfer", gid, input);
 * }</pre>
 *
 * <p>A run: the coordinator creates the workflow (or returns its recorded progress); a workflow that already
 * {@code succeed}ed returns its stored result, one that {@code failed} throws
 * {@link io.dtm4j.client.DtmFailureException} with its reason, and neither runs anything. Otherwise the handler
 * runs; a step whose outcome is recorded is not executed again, its recorded outcome is returned. The handler
 * returning normally commits (the {@code onCommit} callbacks, newest first); throwing
 * {@link io.dtm4j.client.DtmFailureException} rolls back (the {@code onRollback} callbacks, newest first); then
 * the outcome and result are submitted. Anything else the handler throws leaves the workflow {@code prepared}:
 * the coordinator resumes it later.
 *
 * <p>Thread-safe. Runs of different gids may go on in parallel; one gid should have one run at a time (a second
 * run finds its steps recorded by the first, or fails to record them, and stops with a {@link WorkflowException}).
 */
public interface Workflows {

    /**
     * Registers a workflow with the default options; see {@link #register(String, WorkflowHandler, WorkflowOptions)}.
     */
    Workflows register(String name, WorkflowHandler handler);

    /**
     * Registers a workflow. Names are unique per client and must be registered before a resume for them can
     * arrive, i.e. at start-up.
     *
     * @param name    the workflow name: not blank; it is the {@code op} of the coordinator's resume call
     * @param handler the business function
     * @param options its options
     * @return this
     * @throws IllegalArgumentException when the name is blank
     * @throws IllegalStateException    when a workflow of that name is already registered
     */
    Workflows register(String name, WorkflowHandler handler, WorkflowOptions options);

    /**
     * Runs (or resumes) the workflow {@code name} with id {@code gid}, and returns its result.
     *
     * @param input the input handed to the handler; stored (base64) with the workflow for resumes
     * @return the handler's result, or the stored result of a workflow that already succeeded
     * @throws IllegalArgumentException               no workflow of that name is registered
     * @throws IllegalStateException                  the client has no {@code workflowResumeUrl}
     * @throws io.dtm4j.core.InvalidRequestException   the gid is not valid
     * @throws io.dtm4j.client.DtmFailureException     the workflow failed (now or before) and was rolled back
     * @throws io.dtm4j.client.DtmOngoingException     a step answered ONGOING; the workflow is resumed later
     * @throws WorkflowException                       a step or callback ended in an error, or could not be
     *                                                recorded; the workflow is resumed later
     * @throws io.dtm4j.core.DtmException              the coordinator could not be reached or refused a call
     *                                                ({@link io.dtm4j.client.DtmServerException},
     *                                                {@link io.dtm4j.client.DtmTransportException}); resumed later
     * @throws RuntimeException                        whatever else the handler threw; resumed later
     */
    byte[] execute(String name, String gid, byte[] input);

    /**
     * Handles the coordinator's resume call (DTM's {@code ExecuteByQS}): runs the workflow named by the query
     * parameter {@code op} with the gid of {@code gid} and the request body as input, like {@link #execute}.
     * An endpoint answers 200 when it returns, 409 for {@link io.dtm4j.client.DtmFailureException}, 425 for
     * {@link io.dtm4j.client.DtmOngoingException} and 500 otherwise.
     *
     * @param queryParams the query parameters of the call: {@code gid}, {@code op}, {@code trans_type},
     *                    {@code branch_id}
     * @param body        the request body: the workflow's input (empty for a GET)
     * @throws IllegalArgumentException when {@code gid} or {@code op} is missing, or {@code trans_type} is not
     *                                  {@code workflow}
     */
    byte[] resume(Map<String, String> queryParams, byte[] body);
}
