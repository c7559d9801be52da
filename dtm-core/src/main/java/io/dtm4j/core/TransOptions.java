package io.dtm4j.core;

import io.dtm4j.core.internal.OptionsCodec;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Per-transaction options, as DTM clients send them. Durations are whole seconds (DTM's unit); zero means
 * "use the coordinator's default". Immutable.
 *
 * @param waitResult     process one round inside the submit call and report its outcome
 * @param timeoutToFail  after this long a prepared msg is back-checked, a prepared tcc/xa is aborted and a
 *                       submitted saga rolls back; zero = coordinator default (saga: never)
 * @param requestTimeout timeout of each branch call; zero = coordinator default (3 s)
 * @param retryInterval  base retry interval; zero = coordinator default (10 s)
 * @param branchHeaders  extra headers sent on every branch call
 * @param concurrent     msg: call the branches in parallel (a saga reads its own {@code custom_data})
 * @param retryLimit     saga: in-round immediate retries before rolling back; 0 = none
 */
public record TransOptions(
        boolean waitResult,
        Duration timeoutToFail,
        Duration requestTimeout,
        Duration retryInterval,
        Map<String, String> branchHeaders,
        boolean concurrent,
        int retryLimit) {

    /** All defaults. */
    public static final TransOptions DEFAULT = builder().build();

    public TransOptions {
        timeoutToFail = nonNegative("timeout_to_fail", timeoutToFail);
        requestTimeout = nonNegative("request_timeout", requestTimeout);
        retryInterval = nonNegative("retry_interval", retryInterval);
        branchHeaders = branchHeaders == null ? Map.of() : Map.copyOf(branchHeaders);
        if (retryLimit < 0) {
            throw new InvalidRequestException("retry_limit must not be negative, got " + retryLimit);
        }
    }

    private static Duration nonNegative(String field, Duration d) {
        if (d == null) {
            return Duration.ZERO;
        }
        if (d.isNegative()) {
            throw new InvalidRequestException(field + " must not be negative, got " + d.toSeconds());
        }
        if (d.getNano() != 0) {
            throw new InvalidRequestException(field + " must be whole seconds (DTM's unit), got " + d);
        }
        return d;
    }

    /** Returns a copy with {@code waitResult} set. */
    public TransOptions withWaitResult(boolean value) {
        return new TransOptions(value, timeoutToFail, requestTimeout, retryInterval, branchHeaders, concurrent,
                retryLimit);
    }

    /** Returns DTM's JSON text of these options (the {@code options} column and wire field, spec 2.2). */
    public String toDtmJson() {
        return OptionsCodec.encode(this);
    }

    /**
     * Parses DTM's JSON text of the options; an empty text or {@code null} means the defaults.
     *
     * @throws InvalidRequestException naming the field, when the text is not a valid options object
     */
    public static TransOptions fromDtmJson(String text) {
        return OptionsCodec.decode(text);
    }

    /** Returns a builder pre-filled with these options. */
    public Builder toBuilder() {
        return new Builder().waitResult(waitResult).timeoutToFail(timeoutToFail).requestTimeout(requestTimeout)
                .retryInterval(retryInterval).branchHeaders(branchHeaders).concurrent(concurrent)
                .retryLimit(retryLimit);
    }

    /** Returns a builder with all defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder of {@link TransOptions}; not thread-safe. */
    public static final class Builder {
        private boolean waitResult;
        private Duration timeoutToFail = Duration.ZERO;
        private Duration requestTimeout = Duration.ZERO;
        private Duration retryInterval = Duration.ZERO;
        private Map<String, String> branchHeaders = Map.of();
        private boolean concurrent;
        private int retryLimit;

        private Builder() {
        }

        /** Waits for one processing round inside submit. Default false. */
        public Builder waitResult(boolean value) {
            this.waitResult = value;
            return this;
        }

        /** Timeout before a prepared/submitted transaction is failed; zero = default. */
        public Builder timeoutToFail(Duration value) {
            this.timeoutToFail = Objects.requireNonNull(value, "timeoutToFail");
            return this;
        }

        /** Timeout of each branch call; zero = default. */
        public Builder requestTimeout(Duration value) {
            this.requestTimeout = Objects.requireNonNull(value, "requestTimeout");
            return this;
        }

        /** Base retry interval; zero = default. */
        public Builder retryInterval(Duration value) {
            this.retryInterval = Objects.requireNonNull(value, "retryInterval");
            return this;
        }

        /** Headers added to every branch call. */
        public Builder branchHeaders(Map<String, String> value) {
            this.branchHeaders = Map.copyOf(value);
            return this;
        }

        /** Msg: call branches in parallel. */
        public Builder concurrent(boolean value) {
            this.concurrent = value;
            return this;
        }

        /** Saga: immediate in-round retries before rolling back. */
        public Builder retryLimit(int value) {
            if (value < 0) {
                throw new IllegalArgumentException("retryLimit must not be negative, got " + value);
            }
            this.retryLimit = value;
            return this;
        }

        /** Builds the options. */
        public TransOptions build() {
            return new TransOptions(waitResult, timeoutToFail, requestTimeout, retryInterval, branchHeaders,
                    concurrent, retryLimit);
        }
    }
}
