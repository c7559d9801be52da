package io.dtm4j.client;

import io.dtm4j.client.workflow.Workflows;
import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.TransType;
import io.dtm4j.core.spi.BranchCall;
import io.dtm4j.core.spi.BranchInvoker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link BranchInvoker} for an embedded coordinator that resumes workflows in this process: it hands the
 * coordinator's workflow resume calls to {@link Workflows#resume} directly, without an HTTP endpoint, and passes
 * every other call (saga, msg, TCC and XA branches, msg back-checks) to the invoker it wraps.
 *
 * <p>A call is served here when its trans type is {@code workflow}, its branch id {@code 00} and its URL either
 * starts with {@code local:} (such as {@link #LOCAL_RESUME_URL}) or is the {@code workflowResumeUrl} of the
 * client whose workflows are {@linkplain #serve served}. Its answer is what an HTTP resume endpoint would give:
 * SUCCESS when the resumed run returns, FAILURE for {@link DtmFailureException}, ONGOING for
 * {@link DtmOngoingException}, ERROR for any other exception (with its message as detail). A {@code local:} call
 * that arrives before {@link #serve} is an ERROR, and the coordinator tries again later. The call's timeout does
 * not apply: the run goes on on the coordinator's thread until it ends.
 *
 * <p>The coordinator needs its invoker before the client exists, so the workflows are attached afterwards:
 *
 * <pre>{@code
 * OkHttpBranchInvoker http = OkHttpBranchInvoker.builder().build();
 * LocalWorkflowInvoker invoker = LocalWorkflowInvoker.wrapping(http);
 * Coordinator coordinator = Coordinator.builder().store(store).invoker(invoker).build();
 * DtmClient dtm = DtmClient.builder().coordinator(coordinator)
 *         .workflowResumeUrl(LocalWorkflowInvoker.LOCAL_RESUME_URL).build();
 * dtm.workflows().register("transfer", transfer);   // at start-up, before recovery runs
 * invoker.serve(dtm.workflows());
 * RecoveryScheduler recovery = RecoveryScheduler.start(coordinator, Duration.ofSeconds(3));
 * }</pre>
 *
 * <p>Thread-safe. It does not own the wrapped invoker: close that one yourself.
 */
public final class LocalWorkflowInvoker implements BranchInvoker {
    private static final Logger LOG = LoggerFactory.getLogger(LocalWorkflowInvoker.class);

    /** A resume URL that only this invoker serves; give it to {@link DtmClient.Builder#workflowResumeUrl}. */
    public static final String LOCAL_RESUME_URL = "local://workflows";
    /** The scheme of resume URLs served in-process whatever the client's resume URL. */
    static final String LOCAL_SCHEME = "local:";
    /** The branch id of the coordinator's workflow resume calls (and msg back-checks). */
    private static final String RESUME_BRANCH_ID = "00";

    private final BranchInvoker delegate;
    private final AtomicReference<Workflows> served = new AtomicReference<>();

    private LocalWorkflowInvoker(BranchInvoker delegate) {
        this.delegate = delegate;
    }

    /** Returns an invoker that passes every call it does not serve to {@code delegate}. */
    public static LocalWorkflowInvoker wrapping(BranchInvoker delegate) {
        return new LocalWorkflowInvoker(Objects.requireNonNull(delegate, "delegate"));
    }

    /**
     * Serves the resume calls of {@code workflows} from now on: calls to a {@code local:} URL, and calls to the
     * {@code workflowResumeUrl} of the {@link DtmClient} they come from.
     *
     * @return this
     * @throws IllegalStateException when it serves other workflows already (serving the same again is a no-op)
     */
    public LocalWorkflowInvoker serve(Workflows workflows) {
        Objects.requireNonNull(workflows, "workflows");
        if (!served.compareAndSet(null, workflows) && served.get() != workflows) {
            throw new IllegalStateException("this LocalWorkflowInvoker serves " + served.get() + " already; one "
                    + "invoker serves the workflows of one DtmClient");
        }
        return this;
    }

    @Override
    public BranchOutcome invoke(BranchCall call) {
        if (call.transType() != TransType.WORKFLOW || !RESUME_BRANCH_ID.equals(call.branchId())) {
            return delegate.invoke(call);
        }
        Workflows workflows = served.get();
        boolean local = call.url().startsWith(LOCAL_SCHEME);
        if (workflows == null) {
            return local ? BranchOutcome.of(BranchResult.ERROR, "gid=" + call.gid() + ": no workflows are served "
                    + "in-process yet (LocalWorkflowInvoker.serve)") : delegate.invoke(call);
        }
        if (!local && !isResumeUrlOf(workflows, call.url())) {
            return delegate.invoke(call);
        }
        return resume(workflows, call);
    }

    private static boolean isResumeUrlOf(Workflows workflows, String url) {
        return workflows instanceof WorkflowRegistry registry && registry.resumeUrl().equals(url);
    }

    /** Runs the resume as an HTTP resume endpoint would, and answers as it would. */
    private static BranchOutcome resume(Workflows workflows, BranchCall call) {
        LOG.debug("gid={}: resuming workflow {} in-process", call.gid(), call.op());
        Map<String, String> query = Map.of("gid", call.gid(), "trans_type", call.transType().wireName(),
                "branch_id", call.branchId(), "op", call.op());
        try {
            workflows.resume(query, call.body());
            return BranchOutcome.success();
        } catch (DtmFailureException e) {
            return BranchOutcome.of(BranchResult.FAILURE, e.getMessage());
        } catch (DtmOngoingException e) {
            return BranchOutcome.of(BranchResult.ONGOING, e.getMessage());
        } catch (RuntimeException e) {
            LOG.debug("gid={}: in-process resume of workflow {} stopped: {}", call.gid(), call.op(), e.toString());
            return BranchOutcome.of(BranchResult.ERROR, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    @Override
    public String toString() {
        Workflows w = served.get();
        return "LocalWorkflowInvoker[" + (w == null ? "serving nothing yet" : "serving " + w) + ", else " + delegate
                + "]";
    }
}
