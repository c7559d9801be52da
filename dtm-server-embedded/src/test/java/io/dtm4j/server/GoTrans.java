package io.dtm4j.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds request bodies exactly as DTM's Go SDK ({@code dtmcli.Saga}, {@code dtmcli.Msg}) serialises its
 * {@code TransBase} (spec clients-and-barrier 1.2): keys in struct order, empty values omitted except
 * {@code "concurrent"} and {@code "protocol":""}, payloads as JSON strings, and for a concurrent saga
 * {@code custom_data} = {@code {"concurrent":true,"orders":{...}}} (Go sorts map keys). Not thread-safe.
 */
final class GoTrans {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String gid;
    private final String transType;
    private String customData = "";
    private boolean waitResult;
    private long timeoutToFail;
    private long requestTimeout;
    private long retryInterval;
    private final Map<String, String> branchHeaders = new TreeMap<>();
    private boolean concurrent;
    private int retryLimit;
    private final List<Map<String, String>> steps = new ArrayList<>();
    private final List<String> payloads = new ArrayList<>();
    private String queryPrepared = "";
    private String rollbackReason = "";
    private final Map<Integer, List<Integer>> orders = new TreeMap<>();
    private long delay;

    private GoTrans(String gid, String transType) {
        this.gid = gid;
        this.transType = transType;
    }

    /** {@code dtmcli.NewSaga(dtm, gid)}. */
    static GoTrans saga(String gid) {
        return new GoTrans(gid, "saga");
    }

    /** {@code dtmcli.NewMsg(dtm, gid)}. */
    static GoTrans msg(String gid) {
        return new GoTrans(gid, "msg");
    }

    /** The TransBase of {@code dtmcli.TccGlobalTransaction2(dtm, gid, custom, fn)}: prepare, submit and abort body. */
    static GoTrans tcc(String gid) {
        return new GoTrans(gid, "tcc");
    }

    /**
     * The busi payload {@code busi.TransReq} as Go marshals it:
     * {@code {"amount":30,"trans_in_result":"","trans_out_Result":"","store":""}}.
     */
    static String transReq(int amount, String transOutResult, String transInResult) {
        ObjectNode n = JSON.createObjectNode();
        n.put("amount", amount);
        n.put("trans_in_result", transInResult);
        n.put("trans_out_Result", transOutResult);
        n.put("store", "");
        return n.toString();
    }

    /** The busi payload with no forced results. */
    static String transReq() {
        return transReq(30, "", "");
    }

    /** Saga {@code Add(action, compensate, payload)}: the payload is already JSON text. */
    GoTrans add(String action, String compensate, String payload) {
        Map<String, String> step = new LinkedHashMap<>();
        step.put("action", action);
        step.put("compensate", compensate);
        steps.add(step);
        payloads.add(payload);
        return this;
    }

    /** Msg {@code Add(action, payload)}. */
    GoTrans add(String action, String payload) {
        Map<String, String> step = new LinkedHashMap<>();
        step.put("action", action);
        steps.add(step);
        payloads.add(payload);
        return this;
    }

    /** Saga {@code SetConcurrent()}, msg {@code Concurrent = true}. */
    GoTrans concurrent() {
        this.concurrent = true;
        return this;
    }

    /** Saga {@code AddBranchOrder(branch, pre)}. */
    GoTrans order(int branch, List<Integer> pre) {
        orders.put(branch, List.copyOf(pre));
        return this;
    }

    /** Msg {@code SetDelay(seconds)}. */
    GoTrans delay(long seconds) {
        this.delay = seconds;
        return this;
    }

    GoTrans waitResult() {
        this.waitResult = true;
        return this;
    }

    GoTrans timeoutToFail(long seconds) {
        this.timeoutToFail = seconds;
        return this;
    }

    GoTrans requestTimeout(long seconds) {
        this.requestTimeout = seconds;
        return this;
    }

    GoTrans retryInterval(long seconds) {
        this.retryInterval = seconds;
        return this;
    }

    GoTrans retryLimit(int limit) {
        this.retryLimit = limit;
        return this;
    }

    GoTrans branchHeader(String name, String value) {
        branchHeaders.put(name, value);
        return this;
    }

    GoTrans queryPrepared(String url) {
        this.queryPrepared = url;
        return this;
    }

    GoTrans rollbackReason(String reason) {
        this.rollbackReason = reason;
        return this;
    }

    /** The body of {@code POST /submit} or {@code /prepare}, as Go sends it. */
    String json() {
        ObjectNode n = JSON.createObjectNode();
        n.put("gid", gid);
        n.put("trans_type", transType);
        String custom = customDataText();
        if (!custom.isEmpty()) {
            n.put("custom_data", custom);
        }
        if (waitResult) {
            n.put("wait_result", true);
        }
        putIfPositive(n, "timeout_to_fail", timeoutToFail);
        putIfPositive(n, "request_timeout", requestTimeout);
        putIfPositive(n, "retry_interval", retryInterval);
        if (!branchHeaders.isEmpty()) {
            ObjectNode h = n.putObject("branch_headers");
            branchHeaders.forEach(h::put);
        }
        // Go: `json:"concurrent"` has no omitempty, so it is always sent (SetConcurrent sets it for a saga too).
        n.put("concurrent", concurrent);
        putIfPositive(n, "retry_limit", retryLimit);
        if (!steps.isEmpty()) {
            ArrayNode s = n.putArray("steps");
            for (Map<String, String> step : steps) {
                ObjectNode o = s.addObject();
                step.forEach(o::put);
            }
            ArrayNode p = n.putArray("payloads");
            payloads.forEach(p::add);
        }
        if (!queryPrepared.isEmpty()) {
            n.put("query_prepared", queryPrepared);
        }
        n.put("protocol", "");
        if (!rollbackReason.isEmpty()) {
            n.put("rollback_reason", rollbackReason);
        }
        return n.toString();
    }

    private String customDataText() {
        if (transType.equals("saga") && concurrent) {
            ObjectNode c = JSON.createObjectNode();
            c.put("concurrent", true);
            ObjectNode o = c.putObject("orders");
            orders.forEach((k, v) -> {
                ArrayNode a = o.putArray(Integer.toString(k));
                v.forEach(a::add);
            });
            return c.toString();
        }
        if (transType.equals("msg") && delay > 0) {
            return "{\"delay\":" + delay + "}";
        }
        return customData;
    }

    private static void putIfPositive(ObjectNode n, String key, long v) {
        if (v != 0) {
            n.put(key, v);
        }
    }
}
