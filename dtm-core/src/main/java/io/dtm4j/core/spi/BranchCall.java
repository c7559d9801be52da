package io.dtm4j.core.spi;

import io.dtm4j.core.TransType;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * One call the coordinator makes to a branch op. Over HTTP it becomes
 * {@code POST|GET url?gid=&trans_type=&branch_id=&op=} with {@link #headers()} and the body; POST when the
 * body is non-empty or the type is xa, else GET ({@link #httpMethod()}).
 *
 * @param gid       the global transaction
 * @param transType its type
 * @param branchId  e.g. {@code 01}; {@code 00} for a msg back-check or workflow resume
 * @param op        the op's wire name ({@code action}, {@code compensate}, ..., {@code msg}, or a workflow name)
 * @param url       the target; never empty (empty URLs succeed without a call)
 * @param body      the request body, sent as it is
 * @param protocol  {@code http}, {@code grpc} or {@code json-rpc}
 * @param headers   extra headers ({@code branch_headers})
 * @param timeout   how long to wait for the answer
 */
public record BranchCall(String gid, TransType transType, String branchId, String op, String url, byte[] body,
                         String protocol, Map<String, String> headers, Duration timeout) {

    public BranchCall {
        Objects.requireNonNull(gid, "gid");
        Objects.requireNonNull(transType, "transType");
        Objects.requireNonNull(branchId, "branchId");
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(url, "url");
        body = body == null ? new byte[0] : body.clone();
        protocol = protocol == null || protocol.isEmpty() ? "http" : protocol;
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        Objects.requireNonNull(timeout, "timeout");
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    /** DTM's method rule: POST when the body is non-empty or the type is xa, otherwise GET. */
    public String httpMethod() {
        return body.length > 0 || transType == TransType.XA ? "POST" : "GET";
    }

    @Override
    public String toString() {
        return "BranchCall[gid=" + gid + ", branch=" + branchId + ", op=" + op + ", url=" + url + "]";
    }
}
