package io.dtm4j.core.internal;

import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransOptions;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * DTM's {@code options} text (spec server-protocol.md 2.2): the one codec behind
 * {@link TransOptions#toDtmJson()} and {@link TransOptions#fromDtmJson(String)}, used by every store and by
 * the wire format. Not API. Thread-safe (stateless).
 *
 * <p>Written in DTM's key order, zero values left out except {@code concurrent}, so the defaults are
 * {@code {"concurrent":false}}; durations in whole seconds; header names sorted. Strings escape quotes,
 * backslashes, control characters and UTF-16 surrogates as {@code \}{@code uXXXX}, so any Java string survives
 * a UTF-8 column. Read leniently as DTM writes it: unknown keys (such as {@code retry_count}, never saved
 * after creation) are ignored, {@code null} and an empty text mean the defaults; a wrong type is an error.
 */
public final class OptionsCodec {

    private OptionsCodec() {
    }

    /** Encodes the options as DTM's JSON text. */
    public static String encode(TransOptions o) {
        StringBuilder sb = new StringBuilder("{");
        if (o.waitResult()) {
            key(sb, "wait_result").append("true");
        }
        seconds(sb, "timeout_to_fail", o.timeoutToFail());
        seconds(sb, "request_timeout", o.requestTimeout());
        seconds(sb, "retry_interval", o.retryInterval());
        if (!o.branchHeaders().isEmpty()) {
            key(sb, "branch_headers").append('{');
            String sep = "";
            for (Map.Entry<String, String> e : new TreeMap<>(o.branchHeaders()).entrySet()) {
                sb.append(sep);
                string(sb, e.getKey()).append(':');
                string(sb, e.getValue());
                sep = ",";
            }
            sb.append('}');
        }
        key(sb, "concurrent").append(o.concurrent());
        if (o.retryLimit() != 0) {
            key(sb, "retry_limit").append(o.retryLimit());
        }
        return sb.append('}').toString();
    }

    /**
     * Decodes DTM's options text.
     *
     * @throws InvalidRequestException saying which field is wrong, when the text is not a valid options object
     */
    public static TransOptions decode(String text) {
        if (text == null || text.isBlank()) {
            return TransOptions.DEFAULT;
        }
        Object root = MiniJson.parse(text, "options");
        if (root == null) {
            return TransOptions.DEFAULT;
        }
        if (!(root instanceof Map<?, ?> m)) {
            throw new InvalidRequestException("options must be a JSON object");
        }
        return new TransOptions(bool(m, "wait_result"), duration(m, "timeout_to_fail"),
                duration(m, "request_timeout"), duration(m, "retry_interval"), headers(m), bool(m, "concurrent"),
                (int) whole(m, "retry_limit", Integer.MAX_VALUE));
    }

    private static boolean bool(Map<?, ?> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw new InvalidRequestException("options." + key + " must be true or false");
    }

    private static Duration duration(Map<?, ?> m, String key) {
        return Duration.ofSeconds(whole(m, key, Long.MAX_VALUE / 1_000_000_000L));
    }

    private static long whole(Map<?, ?> m, String key, long max) {
        Object v = m.get(key);
        if (v == null) {
            return 0;
        }
        if (v instanceof Double d && d >= 0 && d <= max && d == Math.floor(d)) {
            return d.longValue();
        }
        throw new InvalidRequestException("options." + key + " must be a whole number from 0 to " + max + ", got " + v);
    }

    private static Map<String, String> headers(Map<?, ?> m) {
        Object v = m.get("branch_headers");
        if (v == null) {
            return Map.of();
        }
        if (!(v instanceof Map<?, ?> hm)) {
            throw new InvalidRequestException("options.branch_headers must be an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : hm.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new InvalidRequestException("options.branch_headers." + e.getKey() + " must be a string");
            }
            out.put((String) e.getKey(), s);
        }
        return out;
    }

    private static StringBuilder key(StringBuilder sb, String name) {
        if (sb.length() > 1) {
            sb.append(',');
        }
        return sb.append('"').append(name).append("\":");
    }

    private static void seconds(StringBuilder sb, String name, Duration d) {
        if (!d.isZero()) {
            key(sb, name).append(d.getSeconds());
        }
    }

    private static StringBuilder string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || Character.isSurrogate(c)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"');
    }
}
