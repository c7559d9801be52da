package io.dtm4j.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a client asks of the coordinator on prepare, submit, abort and prepareWorkflow: DTM's
 * transaction body ({@code spec/server-protocol.md} 1.3) in typed form. Immutable.
 *
 * @param gid            global id
 * @param transType      transaction type
 * @param steps          saga {@code {"action","compensate"}} / msg {@code {"action"}} per step
 * @param payloads       request body of each step, in step order
 * @param queryPrepared  msg back-check URL / workflow resume URL; may be empty
 * @param protocol       {@code http} unless told otherwise
 * @param customData     saga orders/concurrency, msg delay, workflow name and data (JSON text); may be empty
 * @param options        per-transaction options
 * @param rollbackReason abort: why
 * @param reqExtra       workflow submit: {@code status}, {@code rollback_reason}, {@code result}
 */
public record TransRequest(
        String gid,
        TransType transType,
        List<Map<String, String>> steps,
        List<byte[]> payloads,
        String queryPrepared,
        String protocol,
        String customData,
        TransOptions options,
        String rollbackReason,
        Map<String, String> reqExtra) {

    public TransRequest {
        Gids.requireValid(gid);
        Objects.requireNonNull(transType, "transType");
        List<Map<String, String>> s = new ArrayList<>();
        if (steps != null) {
            for (Map<String, String> step : steps) {
                s.add(step == null ? Map.of() : Map.copyOf(step));
            }
        }
        steps = List.copyOf(s);
        List<byte[]> p = new ArrayList<>();
        if (payloads != null) {
            for (byte[] b : payloads) {
                p.add(b == null ? new byte[0] : b.clone());
            }
        }
        payloads = List.copyOf(p);
        queryPrepared = queryPrepared == null ? "" : queryPrepared;
        protocol = protocol == null || protocol.isEmpty() ? "http" : protocol;
        customData = customData == null ? "" : customData;
        options = options == null ? TransOptions.DEFAULT : options;
        rollbackReason = rollbackReason == null ? "" : rollbackReason;
        reqExtra = reqExtra == null ? Map.of() : Map.copyOf(reqExtra);
    }

    /** Returns the payload of step {@code i}, or an empty array when the client sent none. */
    public byte[] payload(int i) {
        return i < payloads.size() ? payloads.get(i).clone() : new byte[0];
    }

    /** Starts a request for {@code gid} of the given type. */
    public static Builder builder(String gid, TransType type) {
        return new Builder(gid, type);
    }

    @Override
    public String toString() {
        return "TransRequest[gid=" + gid + ", type=" + transType.wireName() + ", steps=" + steps.size() + "]";
    }

    /** Builder of {@link TransRequest}; not thread-safe. */
    public static final class Builder {
        private final String gid;
        private final TransType type;
        private final List<Map<String, String>> steps = new ArrayList<>();
        private final List<byte[]> payloads = new ArrayList<>();
        private String queryPrepared = "";
        private String protocol = "http";
        private String customData = "";
        private TransOptions options = TransOptions.DEFAULT;
        private String rollbackReason = "";
        private final Map<String, String> reqExtra = new LinkedHashMap<>();

        private Builder(String gid, TransType type) {
            this.gid = gid;
            this.type = type;
        }

        /** Adds a step: its URLs by op name ({@code action}, {@code compensate}) and its payload. */
        public Builder step(Map<String, String> urls, byte[] payload) {
            steps.add(Map.copyOf(urls));
            payloads.add(payload == null ? new byte[0] : payload.clone());
            return this;
        }

        /** Sets the back-check (msg) or resume (workflow) URL. */
        public Builder queryPrepared(String value) {
            this.queryPrepared = value;
            return this;
        }

        /** Sets the protocol: http, grpc or json-rpc. */
        public Builder protocol(String value) {
            this.protocol = value;
            return this;
        }

        /** Sets the type-specific custom data (JSON text). */
        public Builder customData(String value) {
            this.customData = value;
            return this;
        }

        /** Sets the options. */
        public Builder options(TransOptions value) {
            this.options = Objects.requireNonNull(value, "options");
            return this;
        }

        /** Sets the rollback reason (abort). */
        public Builder rollbackReason(String value) {
            this.rollbackReason = value;
            return this;
        }

        /** Adds a workflow {@code req_extra} entry. */
        public Builder reqExtra(String key, String value) {
            this.reqExtra.put(key, value);
            return this;
        }

        /** Builds the request. */
        public TransRequest build() {
            return new TransRequest(gid, type, steps, payloads, queryPrepared, protocol, customData, options,
                    rollbackReason, reqExtra);
        }
    }
}
