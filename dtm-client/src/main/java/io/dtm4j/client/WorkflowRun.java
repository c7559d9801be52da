package io.dtm4j.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.client.workflow.BranchCallback;
import io.dtm4j.client.workflow.Workflow;
import io.dtm4j.client.workflow.WorkflowBranch;
import io.dtm4j.client.workflow.WorkflowException;
import io.dtm4j.client.workflow.WorkflowHandler;
import io.dtm4j.client.workflow.WorkflowOptions;
import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One run of a workflow (DTM's {@code workflow.process}): fetch the recorded progress, run the handler with
 * recorded steps replayed instead of executed, run the commit or rollback callbacks newest first, submit the
 * outcome. Not thread-safe: one run lives on the thread of {@link WorkflowRegistry#execute}.
 */
final class WorkflowRun implements Workflow {
    private static final Logger LOG = LoggerFactory.getLogger(WorkflowRun.class);
    /** DTM's branch-id generator stops at 99. */
    private static final int MAX_BRANCHES = 99;
    /** DTM's {@code rollback_reason} column holds 1024 characters. */
    private static final int MAX_REASON_CHARS = 1024;
    private static final byte[] NONE = new byte[0];

    private final DtmTransport transport;
    private final WorkflowHttp http;
    private final ObjectMapper mapper;
    private final String resumeUrl;
    private final String name;
    private final String gid;
    private final WorkflowOptions options;
    /** Recorded outcomes by {@code <branch id>-<op>}, DTM's progress map. */
    private final Map<String, WorkflowStep> progress = new HashMap<>();
    private final WorkflowCallbacks callbacks = new WorkflowCallbacks();
    private int branches;
    private boolean finishing;

    WorkflowRun(DtmTransport transport, WorkflowHttp http, ObjectMapper mapper, String resumeUrl, String name,
                String gid, WorkflowOptions options) {
        this.transport = transport;
        this.http = http;
        this.mapper = mapper;
        this.resumeUrl = resumeUrl;
        this.name = name;
        this.gid = gid;
        this.options = options;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String gid() {
        return gid;
    }

    @Override
    public WorkflowBranch branch() {
        requireRunning("wf.branch()");
        if (branches == MAX_BRANCHES) {
            throw new IllegalStateException("gid=" + gid + ": a workflow has at most " + MAX_BRANCHES + " branches");
        }
        branches++;
        return new WorkflowRunBranch(this, String.format("%02d", branches));
    }

    /** Runs the workflow as described in {@link io.dtm4j.client.workflow.Workflows}; returns its result. */
    byte[] run(WorkflowHandler handler, byte[] input) {
        TransactionView view = transport.prepareWorkflow(prepareRequest(input));
        GlobalTransaction g = view.global();
        if (g.transType() != TransType.WORKFLOW) {
            throw new DtmFailureException("gid=" + gid + ": is a " + g.transType().wireName()
                    + " transaction, not a workflow (" + g.status().wireName() + ")");
        }
        if (g.status() == GlobalStatus.SUCCEED) {
            LOG.debug("gid={}: workflow {} already succeeded; returning its stored result", gid, name);
            return decode(g.result());
        }
        if (g.status() == GlobalStatus.FAILED) {
            throw new DtmFailureException("gid=" + gid + ": workflow " + name + " failed: " + g.rollbackReason()
                    + " (failed)");
        }
        loadProgress(view.branches());
        byte[] result = NONE;
        DtmFailureException failure = null;
        try {
            byte[] r = handler.run(this, input.clone());
            result = r == null ? NONE : r;
        } catch (DtmFailureException e) {
            failure = e;
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw wrap("gid=" + gid + ": workflow " + name, e);
        }
        finish(failure == null);
        submit(failure, result);
        if (failure != null) {
            throw failure;
        }
        return result;
    }

    private TransRequest prepareRequest(byte[] input) {
        String customData = mapper.createObjectNode()
                .put("data", Base64.getEncoder().encodeToString(input))
                .put("name", name)
                .toString();
        return TransRequest.builder(gid, TransType.WORKFLOW).queryPrepared(resumeUrl).protocol("http")
                .customData(customData).build();
    }

    private void loadProgress(List<Branch> rows) {
        for (Branch b : rows) {
            if (b.status() == BranchStatus.SUCCEED) {
                progress.put(key(b.branchId(), b.op()), WorkflowStep.succeed(b.binData()));
            } else if (b.status() == BranchStatus.FAILED) {
                progress.put(key(b.branchId(), b.op()), WorkflowStep.failed(b.binData(), null));
            }
        }
        LOG.debug("gid={}: running workflow {} with {} recorded steps", gid, name, progress.size());
    }

    /** Phase 2: the commit callbacks, or the rollback callbacks, newest first; each one recorded. */
    private void finish(boolean commit) {
        finishing = true;
        callbacks.finish(this, commit, options.compensateErrorBranch());
    }

    private void submit(DtmFailureException failure, byte[] result) {
        String reason = failure == null || failure.getMessage() == null ? "" : failure.getMessage();
        if (reason.length() > MAX_REASON_CHARS) {
            reason = reason.substring(0, MAX_REASON_CHARS);
        }
        TransRequest request = TransRequest.builder(gid, TransType.WORKFLOW)
                .reqExtra("status", (failure == null ? GlobalStatus.SUCCEED : GlobalStatus.FAILED).wireName())
                .reqExtra("rollback_reason", reason)
                .reqExtra("result", Base64.getEncoder().encodeToString(result))
                .build();
        try {
            transport.submit(request);
        } catch (DtmFailureException e) {
            throw new WorkflowException("gid=" + gid + ": the coordinator refused to finish workflow " + name
                    + ": " + e.getMessage() + "; another run may have finished it, execute it again to get its outcome",
                    e);
        }
    }

    /**
     * Runs a step unless its outcome is recorded, records a new succeed/failed outcome, and returns its data
     * or throws its failure. A step body that throws records nothing.
     */
    byte[] recorded(String branchId, BranchOp op, WorkflowStep.Body body) {
        String key = key(branchId, op);
        WorkflowStep step = progress.get(key);
        if (step != null) {
            LOG.debug("gid={} branch={} op={}: recorded {}, not run again", gid, branchId, op.wireName(),
                    step.status().wireName());
        } else {
            step = execute(branchId, op, body);
            record(branchId, op, step);
            progress.put(key, step);
        }
        if (step.status() == BranchStatus.FAILED) {
            if (op == BranchOp.ACTION) {
                callbacks.actionFailed(branchId);
            }
            throw failure(branchId, op, step);
        }
        return step.data();
    }

    /** The exception of a failed step; its message becomes the rollback reason when the handler lets it go. */
    DtmFailureException failure(String branchId, BranchOp op, WorkflowStep step) {
        return new DtmFailureException(where(branchId, op) + "FAILURE: " + WorkflowStep.shorten(step.text()),
                step.cause());
    }

    private WorkflowStep execute(String branchId, BranchOp op, WorkflowStep.Body body) {
        try {
            return Objects.requireNonNull(body.run(), "step outcome");
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw wrap(where(branchId, op).trim(), e);
        }
    }

    private void record(String branchId, BranchOp op, WorkflowStep step) {
        BranchRegistration registration = new BranchRegistration(gid, TransType.WORKFLOW, branchId, step.data(),
                Map.of("op", op.wireName(), "status", step.status().wireName()));
        try {
            transport.registerBranch(registration);
        } catch (DtmFailureException e) {
            throw new WorkflowException(where(branchId, op) + "the coordinator refused to record the outcome ("
                    + step.status().wireName() + "): " + e.getMessage() + "; another run of this workflow may be "
                    + "active, or it was finished; it is resumed later", e);
        }
        LOG.debug("gid={} branch={} op={}: recorded {}", gid, branchId, op.wireName(), step.status().wireName());
    }

    /** An HTTP call of a step, classified by the workflow's mapper; ONGOING and errors throw, unrecorded. */
    WorkflowStep call(String branchId, BranchOp op, String url, Object payload) {
        String target = Urls.requiredUrl("url", url);
        byte[] body = Payloads.toBytes(payload, mapper);
        return http.step(target, body, gid, branchId, op.wireName(), options.httpResultMapper(), where(branchId, op));
    }

    void addCommit(String branchId, BranchCallback callback) {
        requireRunning("onCommit");
        callbacks.addCommit(branchId, callback);
    }

    /** Adds a rollback callback; {@code always}: it runs even when the branch's action failed for good. */
    void addRollback(String branchId, BranchCallback callback, boolean always) {
        requireRunning("onRollback");
        callbacks.addRollback(branchId, callback, always);
    }

    /** True when the step {@code (branchId, op)} is recorded, by this run or an earlier one. */
    boolean isRecorded(String branchId, BranchOp op) {
        return progress.containsKey(key(branchId, op));
    }

    /**
     * Records a marker step {@code (branchId, op)} as succeeded without running anything (an XA step's
     * {@code business} marker).
     *
     * @throws WorkflowException the coordinator refused to record it
     */
    void recordMarker(String branchId, BranchOp op) {
        WorkflowStep marker = WorkflowStep.succeed(NONE);
        record(branchId, op, marker);
        progress.put(key(branchId, op), marker);
    }

    /** Branches, actions and callbacks are added while the handler runs, not from commit or rollback callbacks. */
    void requireRunning(String what) {
        if (finishing) {
            throw new IllegalStateException("gid=" + gid + ": " + what + " cannot be called from a commit or "
                    + "rollback callback");
        }
    }

    String where(String branchId, BranchOp op) {
        return "gid=" + gid + " branch=" + branchId + " op=" + op.wireName() + ": ";
    }

    private static String key(String branchId, BranchOp op) {
        return branchId + "-" + op.wireName();
    }

    private byte[] decode(String result) {
        try {
            return Base64.getDecoder().decode(result);
        } catch (IllegalArgumentException e) {
            throw new DtmServerException(500, "gid=" + gid + ": the stored result of workflow " + name
                    + " is not base64", e);
        }
    }

    private static WorkflowException wrap(String where, Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        return new WorkflowException(where + " threw " + e + "; it runs again when the workflow is resumed", e);
    }

    @Override
    public String toString() {
        return "Workflow[name=" + name + ", gid=" + gid + "]";
    }
}
