package io.dtm4j.client;

import io.dtm4j.core.TransOptions;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The per-transaction options a {@link Saga} or {@link Msg} collects before it talks to the coordinator,
 * validated as they are set. DTM's wire unit is whole seconds, so durations must be whole seconds:
 * rounding them silently would change what the server does. Not thread-safe.
 */
final class TransSettings {
    private boolean waitResult;
    private Duration timeoutToFail = Duration.ZERO;
    private Duration requestTimeout = Duration.ZERO;
    private Duration retryInterval = Duration.ZERO;
    private final Map<String, String> branchHeaders = new LinkedHashMap<>();
    private boolean concurrent;
    private int retryLimit;

    void waitResult() {
        this.waitResult = true;
    }

    void concurrent() {
        this.concurrent = true;
    }

    boolean isConcurrent() {
        return concurrent;
    }

    void timeoutToFail(Duration value) {
        this.timeoutToFail = wholeSeconds("timeoutToFail", value);
    }

    void requestTimeout(Duration value) {
        this.requestTimeout = wholeSeconds("requestTimeout", value);
    }

    void retryInterval(Duration value) {
        this.retryInterval = wholeSeconds("retryInterval", value);
    }

    void retryLimit(int value) {
        if (value < 0) {
            throw new IllegalArgumentException("retryLimit must be 0 (no immediate retries) or more, got " + value);
        }
        this.retryLimit = value;
    }

    void branchHeaders(Map<String, String> headers) {
        Objects.requireNonNull(headers, "headers");
        Map<String, String> checked = new LinkedHashMap<>();
        headers.forEach((k, v) -> checked.put(headerName(k), headerValue(k, v)));
        branchHeaders.clear();
        branchHeaders.putAll(checked);
    }

    void branchHeader(String name, String value) {
        branchHeaders.put(headerName(name), headerValue(name, value));
    }

    /** Returns the request timeout if one was set, else {@code fallback}. */
    Duration requestTimeoutOr(Duration fallback) {
        return requestTimeout.isZero() ? fallback : requestTimeout;
    }

    Map<String, String> branchHeaders() {
        return Map.copyOf(branchHeaders);
    }

    /** Builds the options; {@code concurrentOption} says whether {@code concurrent} goes into the options. */
    TransOptions toOptions(boolean concurrentOption) {
        return TransOptions.builder()
                .waitResult(waitResult)
                .timeoutToFail(timeoutToFail)
                .requestTimeout(requestTimeout)
                .retryInterval(retryInterval)
                .branchHeaders(branchHeaders)
                .concurrent(concurrentOption && concurrent)
                .retryLimit(retryLimit)
                .build();
    }

    /** Returns {@code value} if it is a positive whole number of seconds. */
    static Duration wholeSeconds(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero() || value.getNano() != 0) {
            throw new IllegalArgumentException(name + " must be a positive whole number of seconds (DTM sends "
                    + "seconds on the wire), got " + value);
        }
        return value;
    }

    private static String headerName(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a branch header name must not be empty");
        }
        return name;
    }

    private static String headerValue(String name, String value) {
        if (value == null) {
            throw new IllegalArgumentException("branch header '" + name + "' has no value; use \"\" for an empty one");
        }
        return value;
    }
}
