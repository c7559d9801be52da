package io.dtm4j.store.jdbc;

import io.dtm4j.core.DtmException;
import io.dtm4j.core.TransOptions;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code options} column: DTM's JSON of the option block (spec server-protocol.md 2.2), written and read by
 * hand because dtm4j's stores carry no JSON library.
 *
 * <p>Written: {@code wait_result}, {@code timeout_to_fail}, {@code request_timeout}, {@code retry_interval},
 * {@code branch_headers} (keys sorted), {@code concurrent}, {@code retry_limit}, in DTM's order; zero values are
 * left out except {@code concurrent}, so the defaults are {@code {"concurrent":false}} as in DTM. Durations are
 * seconds: an integer when whole (what DTM writes), else an exact decimal such as {@code 1.5}, so no Java
 * {@link Duration} is ever rounded. Strings escape {@code "}, {@code \}, control characters and every UTF-16
 * surrogate as {@code \}{@code uXXXX}, so any Java string, even an unpaired surrogate, survives SQLite's UTF-8.
 *
 * <p>Read strictly: one object of the keys above plus DTM's {@code retry_count} (ignored: it is never saved
 * after creation); an unknown or repeated key, a wrong type, an exponent, trailing text or a bad escape is an
 * error. An empty column (DTM's default) reads as the defaults. Thread-safe (stateless).
 */
final class OptionsJson {

    private static final BigDecimal NANOS_PER_SECOND = BigDecimal.valueOf(1_000_000_000L);
    private static final int MAX_NUMBER_LENGTH = 40;

    private OptionsJson() {
    }

    /** Encodes the options as DTM's JSON text. */
    static String encode(TransOptions o) {
        StringBuilder sb = new StringBuilder("{");
        if (o.waitResult()) {
            key(sb, "wait_result").append("true");
        }
        duration(sb, "timeout_to_fail", o.timeoutToFail());
        duration(sb, "request_timeout", o.requestTimeout());
        duration(sb, "retry_interval", o.retryInterval());
        if (!o.branchHeaders().isEmpty()) {
            key(sb, "branch_headers").append('{');
            boolean first = true;
            for (Map.Entry<String, String> e : new TreeMap<>(o.branchHeaders()).entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                string(sb, e.getKey()).append(':');
                string(sb, e.getValue());
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
     * Decodes the column text.
     *
     * @throws IllegalArgumentException saying where and why the text is not a valid options object
     */
    static TransOptions decode(String json) {
        if (json == null || json.isEmpty()) {
            return TransOptions.DEFAULT;
        }
        try {
            return new Parser(json).options();
        } catch (DtmException | IllegalArgumentException e) {
            // the parser's own errors, and TransOptions rejecting a negative duration or limit
            throw new IllegalArgumentException("options JSON is invalid: " + e.getMessage(), e);
        }
    }

    private static StringBuilder key(StringBuilder sb, String name) {
        if (sb.length() > 1) {
            sb.append(',');
        }
        return sb.append('"').append(name).append("\":");
    }

    private static void duration(StringBuilder sb, String name, Duration d) {
        if (d.isZero()) {
            return;
        }
        key(sb, name);
        if (d.getNano() == 0) {
            sb.append(d.getSeconds());
        } else {
            sb.append(BigDecimal.valueOf(d.getSeconds()).add(BigDecimal.valueOf(d.getNano(), 9))
                    .stripTrailingZeros().toPlainString());
        }
    }

    private static StringBuilder string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f || Character.isSurrogate(c)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"');
    }

    /** A recursive-descent reader of exactly the options object. Not thread-safe (one per decode). */
    private static final class Parser {
        private final String s;
        private int pos;

        Parser(String s) {
            this.s = s;
        }

        TransOptions options() {
            TransOptions.Builder b = TransOptions.builder();
            Set<String> seen = new HashSet<>();
            expect('{');
            if (!peek('}')) {
                do {
                    String key = string();
                    if (!seen.add(key)) {
                        throw error("repeated key \"" + key + "\"");
                    }
                    expect(':');
                    field(b, key);
                } while (consume(','));
            }
            expect('}');
            skipSpace();
            if (pos != s.length()) {
                throw error("unexpected text after the object");
            }
            return b.build();
        }

        private void field(TransOptions.Builder b, String key) {
            switch (key) {
                case "wait_result" -> b.waitResult(bool());
                case "timeout_to_fail" -> b.timeoutToFail(seconds());
                case "request_timeout" -> b.requestTimeout(seconds());
                case "retry_interval" -> b.retryInterval(seconds());
                case "branch_headers" -> b.branchHeaders(headers());
                case "concurrent" -> b.concurrent(bool());
                case "retry_limit" -> b.retryLimit(integer(key));
                case "retry_count" -> integer(key);
                default -> throw error("unknown key \"" + key + "\"");
            }
        }

        private Map<String, String> headers() {
            if (literal("null")) {
                return Map.of();
            }
            Map<String, String> out = new LinkedHashMap<>();
            expect('{');
            if (!peek('}')) {
                do {
                    String name = string();
                    expect(':');
                    if (out.put(name, string()) != null) {
                        throw error("repeated branch header \"" + name + "\"");
                    }
                } while (consume(','));
            }
            expect('}');
            return out;
        }

        private boolean bool() {
            if (literal("true")) {
                return true;
            }
            if (literal("false")) {
                return false;
            }
            throw error("expected true or false");
        }

        private Duration seconds() {
            BigDecimal n = number();
            BigDecimal nanos = n.multiply(NANOS_PER_SECOND);
            if (nanos.stripTrailingZeros().scale() > 0) {
                throw error("a duration finer than a nanosecond: " + n.toPlainString());
            }
            BigInteger[] qr = nanos.toBigIntegerExact().divideAndRemainder(NANOS_PER_SECOND.toBigInteger());
            return Duration.ofSeconds(qr[0].longValueExact(), qr[1].longValueExact());
        }

        private int integer(String key) {
            BigDecimal n = number();
            try {
                return n.intValueExact();
            } catch (ArithmeticException e) {
                throw error(key + " must be a whole number that fits in an int, got " + n.toPlainString());
            }
        }

        private BigDecimal number() {
            skipSpace();
            int start = pos;
            consumeRaw('-');
            if (!digits()) {
                throw error("expected a number");
            }
            if (consumeRaw('.') && !digits()) {
                throw error("expected digits after the decimal point");
            }
            if (pos - start > MAX_NUMBER_LENGTH) {
                throw error("number too long");
            }
            return new BigDecimal(s.substring(start, pos));
        }

        private boolean digits() {
            int start = pos;
            while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
                pos++;
            }
            return pos > start;
        }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (pos >= s.length()) {
                    throw error("unterminated string");
                }
                char c = s.charAt(pos++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c < 0x20) {
                    throw error("raw control character in a string");
                }
                sb.append(c == '\\' ? escape() : c);
            }
        }

        private char escape() {
            if (pos >= s.length()) {
                throw error("unterminated escape");
            }
            char c = s.charAt(pos++);
            return switch (c) {
                case '"', '\\', '/' -> c;
                case 'b' -> '\b';
                case 'f' -> '\f';
                case 'n' -> '\n';
                case 'r' -> '\r';
                case 't' -> '\t';
                case 'u' -> unicode();
                default -> throw error("bad escape \\" + c);
            };
        }

        private char unicode() {
            if (pos + 4 > s.length()) {
                throw error("short \\u escape");
            }
            String hex = s.substring(pos, pos + 4);
            for (int i = 0; i < hex.length(); i++) {
                if (Character.digit(hex.charAt(i), 16) < 0) {
                    throw error("bad \\u escape \\u" + hex);
                }
            }
            pos += 4;
            return (char) Integer.parseInt(hex, 16);
        }

        private boolean literal(String word) {
            skipSpace();
            if (s.startsWith(word, pos)) {
                pos += word.length();
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!consume(c)) {
                throw error("expected '" + c + "'");
            }
        }

        private boolean consume(char c) {
            skipSpace();
            return consumeRaw(c);
        }

        private boolean consumeRaw(char c) {
            if (pos < s.length() && s.charAt(pos) == c) {
                pos++;
                return true;
            }
            return false;
        }

        private boolean peek(char c) {
            skipSpace();
            return pos < s.length() && s.charAt(pos) == c;
        }

        private void skipSpace() {
            while (pos < s.length() && " \t\r\n".indexOf(s.charAt(pos)) >= 0) {
                pos++;
            }
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("at character " + pos + ": " + what);
        }
    }
}
