package io.dtm4j.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.core.Gids;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A saga being built: steps of (action, compensation) called in order by the coordinator, compensated in
 * reverse when an action answers FAILURE. Get one from {@link DtmClient#saga()}, add steps, then
 * {@link #submit()}; the request is exactly what DTM's Go SDK sends, so it works against any DTM server.
 *
 * <pre>{@code
 * String gid = client.saga()
 *         .add(busi + "/TransOut", busi + "/TransOutRevert", Map.of("amount", 30))
 *         .add(busi + "/TransIn", busi + "/TransInRevert", Map.of("amount", 30))
 *         .submit();
 * }</pre>
 *
 * <p>Not thread-safe: build and submit it on one thread.
 */
public final class Saga {
    private final DtmTransport transport;
    private final ObjectMapper mapper;
    private final String gid;
    private final List<Map<String, String>> steps = new ArrayList<>();
    private final List<byte[]> payloads = new ArrayList<>();
    private final TreeMap<Integer, int[]> orders = new TreeMap<>();
    private final TransSettings settings = new TransSettings();

    Saga(DtmTransport transport, ObjectMapper mapper, String gid) {
        this.transport = transport;
        this.mapper = mapper;
        this.gid = Gids.requireValid(gid);
    }

    /** Returns this saga's global id. */
    public String gid() {
        return gid;
    }

    /**
     * Appends a step. Either URL may be empty: an empty op counts as an instant success (e.g. a step
     * without compensation).
     *
     * @param actionUrl     called forward, e.g. {@code http://busi:8081/api/busi/TransOut}
     * @param compensateUrl called on rollback, also when this step's action failed
     * @param payload       the request body of both ops: a {@code String} of JSON text, a {@code byte[]}, or
     *                      any object Jackson serialises; {@code ""} for none (the branch is then called with GET)
     * @throws IllegalArgumentException when a URL is neither empty nor http(s), or the payload is unusable
     */
    public Saga add(String actionUrl, String compensateUrl, Object payload) {
        String action = Urls.branchUrl("actionUrl", actionUrl);
        String compensate = Urls.branchUrl("compensateUrl", compensateUrl);
        byte[] body = Payloads.toBytes(payload, mapper);
        steps.add(Map.of("action", action, "compensate", compensate));
        payloads.add(body);
        return this;
    }

    /**
     * Lets step {@code step} start only after the actions of {@code preSteps} succeeded (0-based indexes;
     * only earlier steps). Orders are sent with {@link #concurrent()} only, as DTM's Go SDK does; calling it
     * again for the same step replaces its prerequisites.
     *
     * @throws IllegalArgumentException when the step was not added yet or a prerequisite is not earlier
     */
    public Saga addBranchOrder(int step, int... preSteps) {
        if (step < 0 || step >= steps.size()) {
            throw new IllegalArgumentException("addBranchOrder(" + step + ", ...): the saga has " + steps.size()
                    + " steps (indexes 0 to " + (steps.size() - 1) + "); add the steps first");
        }
        int[] pre = preSteps == null ? new int[0] : preSteps.clone();
        for (int p : pre) {
            if (p < 0 || p >= step) {
                throw new IllegalArgumentException("addBranchOrder(" + step + ", " + Arrays.toString(pre)
                        + "): a step may only wait for earlier steps (0 to " + (step - 1) + "), not " + p);
            }
        }
        orders.put(step, pre);
        return this;
    }

    /** Runs the actions in parallel, subject to {@link #addBranchOrder}; default sequential. */
    public Saga concurrent() {
        settings.concurrent();
        return this;
    }

    /**
     * Makes {@link #submit()} return only after the coordinator ran the saga once: it returns if the saga
     * succeeded and throws {@link DtmFailureException} (with the rollback reason) otherwise, also when a
     * branch is still being retried. Default: submit returns once the saga is durably accepted.
     */
    public Saga waitResult() {
        settings.waitResult();
        return this;
    }

    /** Rolls the saga back if it has not succeeded this long after submit; whole seconds; default never. */
    public Saga timeoutToFail(Duration timeout) {
        settings.timeoutToFail(timeout);
        return this;
    }

    /** Sets the base retry interval (doubled after each error); whole seconds; default the coordinator's (10 s). */
    public Saga retryInterval(Duration interval) {
        settings.retryInterval(interval);
        return this;
    }

    /** Sets the timeout of each branch call; whole seconds; default the coordinator's (3 s). */
    public Saga requestTimeout(Duration timeout) {
        settings.requestTimeout(timeout);
        return this;
    }

    /**
     * Retries an action that answered ONGOING or an error at once, up to {@code limit} times in total within
     * one round, then rolls the saga back; default 0 (no immediate retries: retried later, for ever).
     */
    public Saga retryLimit(int limit) {
        settings.retryLimit(limit);
        return this;
    }

    /** Replaces the extra HTTP headers the coordinator adds to every branch call. */
    public Saga branchHeaders(Map<String, String> headers) {
        settings.branchHeaders(headers);
        return this;
    }

    /** Adds one extra HTTP header the coordinator adds to every branch call. */
    public Saga branchHeader(String name, String value) {
        settings.branchHeader(name, value);
        return this;
    }

    /**
     * Submits the saga ({@code POST /submit}) and returns its gid. Submitting again while it is running is
     * harmless; submitting a finished saga throws {@link DtmFailureException}.
     *
     * @throws DtmFailureException   refused, or with {@link #waitResult()} not succeeded
     * @throws DtmOngoingException   with {@link #waitResult()}: outcome not known yet
     * @throws DtmServerException    another coordinator error
     * @throws DtmTransportException the server did not answer (HTTP mode)
     */
    public String submit() {
        transport.submit(toRequest());
        return gid;
    }

    /** The request {@link #submit()} sends. */
    TransRequest toRequest() {
        TransRequest.Builder b = TransRequest.builder(gid, TransType.SAGA)
                .options(settings.toOptions(false));
        for (int i = 0; i < steps.size(); i++) {
            b.step(steps.get(i), payloads.get(i));
        }
        if (settings.isConcurrent()) {
            b.customData(customData());
        }
        return b.build();
    }

    /**
     * DTM's saga custom data as the Go SDK writes it ({@code encoding/json} sorts map keys as strings):
     * {@code {"concurrent":true,"orders":{"1":[0]}}}.
     */
    private String customData() {
        StringBuilder sb = new StringBuilder("{\"concurrent\":true,\"orders\":{");
        String sep = "";
        List<Map.Entry<Integer, int[]>> sorted = new ArrayList<>(orders.entrySet());
        sorted.sort(Comparator.comparing(e -> String.valueOf(e.getKey())));
        for (Map.Entry<Integer, int[]> e : sorted) {
            sb.append(sep).append('"').append(e.getKey()).append("\":[");
            int[] pre = e.getValue();
            for (int i = 0; i < pre.length; i++) {
                sb.append(i == 0 ? "" : ",").append(pre[i]);
            }
            sb.append(']');
            sep = ",";
        }
        return sb.append("}}").toString();
    }

    @Override
    public String toString() {
        return "Saga[gid=" + gid + ", steps=" + steps.size() + "]";
    }
}
