package io.dtm4j.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.client.workflow.WorkflowHandler;
import io.dtm4j.client.workflow.WorkflowOptions;
import io.dtm4j.client.workflow.Workflows;
import io.dtm4j.core.Gids;
import io.dtm4j.core.TransType;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The {@link Workflows} of one {@link DtmClient}: the registered handlers, and a {@link WorkflowRun} per execution
 * over the client's transport. Thread-safe.
 */
final class WorkflowRegistry implements Workflows, AutoCloseable {
    /** A registered workflow. */
    private record Registered(WorkflowHandler handler, WorkflowOptions options) {
    }

    private final ConcurrentMap<String, Registered> registered = new ConcurrentHashMap<>();
    private final DtmTransport transport;
    private final ObjectMapper mapper;
    private final String resumeUrl;
    private final WorkflowHttp http;

    /**
     * @param timeout   timeout of each HTTP call of a step
     * @param resumeUrl the URL the coordinator calls to resume a workflow; empty when the client has none
     */
    WorkflowRegistry(DtmTransport transport, ObjectMapper mapper, Duration timeout, String resumeUrl) {
        this.transport = transport;
        this.mapper = mapper;
        this.resumeUrl = resumeUrl;
        this.http = new WorkflowHttp(timeout);
    }

    @Override
    public Workflows register(String name, WorkflowHandler handler) {
        return register(name, handler, WorkflowOptions.DEFAULT);
    }

    @Override
    public Workflows register(String name, WorkflowHandler handler, WorkflowOptions options) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a workflow name must not be blank");
        }
        Registered r = new Registered(Objects.requireNonNull(handler, "handler"),
                Objects.requireNonNull(options, "options"));
        if (registered.putIfAbsent(name, r) != null) {
            throw new IllegalStateException("a workflow named '" + name + "' is already registered");
        }
        return this;
    }

    @Override
    public byte[] execute(String name, String gid, byte[] input) {
        Objects.requireNonNull(name, "name");
        Gids.requireValid(gid);
        Registered r = registered.get(name);
        if (r == null) {
            throw new IllegalArgumentException("workflow '" + name + "' is not registered; register every workflow "
                    + "at start-up, before a resume for it can arrive");
        }
        if (resumeUrl.isEmpty()) {
            throw new IllegalStateException("gid=" + gid + ": workflows need a resume URL, the endpoint of this "
                    + "service that the coordinator calls to resume them; set "
                    + "DtmClient.builder().workflowResumeUrl(...), or LocalWorkflowInvoker.LOCAL_RESUME_URL with an "
                    + "embedded coordinator whose invoker is a LocalWorkflowInvoker");
        }
        byte[] in = input == null ? new byte[0] : input;
        return new WorkflowRun(transport, http, mapper, resumeUrl, name, gid, r.options()).run(r.handler(), in);
    }

    @Override
    public byte[] resume(Map<String, String> queryParams, byte[] body) {
        Objects.requireNonNull(queryParams, "queryParams");
        String gid = queryParams.getOrDefault("gid", "");
        String name = queryParams.getOrDefault("op", "");
        String type = queryParams.getOrDefault("trans_type", "");
        if (gid.isEmpty() || name.isEmpty()) {
            throw new IllegalArgumentException("a workflow resume call carries the query parameters gid and op (the "
                    + "workflow name); got " + queryParams.keySet());
        }
        if (!type.isEmpty() && !type.equals(TransType.WORKFLOW.wireName())) {
            throw new IllegalArgumentException("gid=" + gid + ": a workflow resume call has trans_type=workflow, got '"
                    + type + "'");
        }
        return execute(name, gid, body);
    }

    /** The URL the coordinator calls to resume this client's workflows; empty when the client has none. */
    String resumeUrl() {
        return resumeUrl;
    }

    @Override
    public void close() {
        http.close();
    }

    @Override
    public String toString() {
        return "Workflows[" + registered.size() + " registered, resume at " + resumeUrl + "]";
    }
}
