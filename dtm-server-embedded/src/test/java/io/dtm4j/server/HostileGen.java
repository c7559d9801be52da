package io.dtm4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.server.HostileHttp.Header;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Generators of hostile input for the HTTP API, each a method that draws from a {@link HostileRandom}: JSON-ish
 * values (wrong types, nulls, deep nesting, huge numbers, unicode, NUL, lone surrogates, invalid tokens), request
 * bodies made from a route's valid body by edits and byte-level damage, gids, query strings and headers. The weights
 * of each {@code weighted(...)} are how often each kind is drawn. Stateless.
 */
final class HostileGen {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Strings that broke or confused parsers, SQL, LIKE, Redis keys, paths, logs or HTML somewhere. */
    static final List<String> INJECTIONS = List.of("'", "\"", ";", "--", "%", "_", "../", "..\\", "\r\n", "\n",
            "\r", "\u0000", "a\u0000b", "' OR '1'='1", "\"; DROP TABLE trans_global; --", "1; DELETE FROM kv",
            "%27%22", "%%", "_%", "a_b%c", "*", "?", "[a-z]", "\\", "{a}", "{a}_g_x", "<script>alert(1)</script>",
            "${jndi:ldap://127.0.0.1/x}", "\u202egnp.exe", "\ud835\udcb3", "\ud800", "\udc00", "é", "日本語",
            "\ufeff", "\u0085", "\u2028", "\u00a0", "a b", "a\tb", "a/b", "a%2Fb", "a:b@c", "a.b-c_d:e@f",
            "../../etc/passwd", "gid\r\nX-Injected: 1", "CON", "NUL", " ", "");

    /** Values a route means something by: URLs, statuses, types, ops, JSON texts, seed gids. */
    private static final List<String> MEANINGFUL = List.of("http://busi/a", "https://busi/b", "ftp://x",
            "file:///etc/passwd", "gopher://x", "http://169.254.169.254/latest/meta-data", "http://127.0.0.1:1/",
            "topic://orders", "http://", "prepared", "submitted", "succeed", "failed", "aborting", "saga", "msg",
            "tcc", "xa", "workflow", "SAGA", "action", "compensate", "confirm", "cancel", "commit", "rollback",
            "grpc", "json-rpc", "HTTP", "01", "0101", "seed-tcc", "seed-xa", "seed-saga", "seed-wf", "seed-msg",
            "seed-done", "h-new", "{}", "[]", "null", "{\"orders\":{\"1\":[0]},\"concurrent\":true}",
            "{\"delay\":5}", "{\"name\":\"w\",\"data\":\"AA==\"}", "AA==", "!!notbase64");

    /** Keys that some route reads, so that edits hit the fields that matter. */
    static final List<String> KEYS = List.of("gid", "trans_type", "steps", "payloads", "query_prepared",
            "protocol", "custom_data", "wait_result", "timeout_to_fail", "request_timeout", "retry_interval",
            "branch_headers", "concurrent", "retry_limit", "retry_count", "rollback_reason", "req_extra",
            "branch_id", "data", "confirm", "cancel", "url", "op", "status", "sync", "reason", "action",
            "compensate", "passthrough_headers", "options", "next_cron_time", "result", "__proto__", "");

    private static final List<String> NUMBERS = List.of("0", "-0", "1", "-1", "2147483647", "2147483648",
            "-2147483649", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1e400", "-1e400",
            "1e300", "1.5", "1E2", "0.0000001", "123456789012345678901234567890", "4.9e-324", "1" + "0".repeat(1500),
            "NaN", "Infinity", "-Infinity", "01", "+1", ".5", "0x10", "1_000");

    private static final String SAFE_GID_CHARS = HostileRandom.LOWER + HostileRandom.UPPER + HostileRandom.DIGITS
            + "_-.:@";
    private static final String MIXED_GID_CHARS = HostileRandom.LOWER + "_-.:@'\";%/\\\r\n\u0000 *?[!é\u202e";

    private HostileGen() {
    }

    /** Hostile strings: the injection list, meaningful values, random text of any chars, and long runs. */
    static String string(HostileRandom r) {
        return switch (r.weighted(4, 4, 3, 1, 2)) {
            case 0 -> r.pick(INJECTIONS);
            case 1 -> r.pick(MEANINGFUL);
            case 2 -> r.anyString(0, 40);
            case 3 -> r.string(HostileRandom.LOWER, 1000, 70_000);
            default -> r.pick(MEANINGFUL) + r.pick(INJECTIONS);
        };
    }

    /**
     * Gids: injection strings, random strings of 0-200 chars (specials and unicode included), safe gids of 1-140
     * characters (some too long; 128 and 129, either side of the limit, come up on purpose), and safe gids with one
     * hostile piece inserted.
     */
    static String gid(HostileRandom r) {
        return switch (r.weighted(3, 4, 3, 1, 3)) {
            case 0 -> r.pick(INJECTIONS);
            case 1 -> safeGid(r);
            case 2 -> r.string(MIXED_GID_CHARS, 0, 200);
            case 3 -> r.anyString(0, 200);
            default -> insertAt(safeGid(r), r.pick(INJECTIONS), r.between(0, 200));
        };
    }

    private static String safeGid(HostileRandom r) {
        return r.weighted(12, 1) == 0 ? r.string(SAFE_GID_CHARS, 1, 140)
                : r.string(SAFE_GID_CHARS, 128, 129);
    }

    /** {@code s} with {@code piece} inserted at {@code at} (modulo its length + 1). */
    private static String insertAt(String s, String piece, int at) {
        int i = at % (s.length() + 1);
        return s.substring(0, i) + piece + s.substring(i);
    }

    /** A JSON string literal of {@code s} in plain ASCII: every other char escaped, lone surrogates included. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /**
     * A JSON value as text, 0 to 4 levels deep (each level an array, an object or the level below); a few tokens
     * are deliberately not JSON (NaN, 0x10, 01).
     */
    static String value(HostileRandom r) {
        return value(r, r.between(0, 4));
    }

    private static String value(HostileRandom r, int depth) {
        if (depth == 0) {
            return leaf(r);
        }
        return switch (r.weighted(1, 1, 1)) {
            case 0 -> "[" + String.join(",", r.list(0, 4, () -> value(r, depth - 1))) + "]";
            case 1 -> "{" + String.join(",", r.list(0, 5, () -> quote(key(r)) + ":" + value(r, depth - 1))) + "}";
            default -> value(r, depth - 1);
        };
    }

    private static String leaf(HostileRandom r) {
        return switch (r.weighted(1, 2, 1, 5, 1, 2)) {
            case 0 -> r.pick(List.of("null", "true", "false"));
            case 1 -> r.pick(NUMBERS);
            case 2 -> String.valueOf(r.anyLong());
            case 3 -> quote(string(r));
            case 4 -> "\"" + string(r).replace("\"", "") + "\""; // raw: control chars, UTF-8
            default -> embeddedJson(r);
        };
    }

    /** A string that holds JSON, as custom_data and payloads do: the engine parses those again. */
    private static String embeddedJson(HostileRandom r) {
        List<String> fields = r.list(0, 3, () -> quote(r.pick(List.of("delay", "orders", "concurrent", "name", "data",
                "1", "0"))) + ":" + flatValue(r));
        return quote("{" + String.join(",", fields) + "}");
    }

    private static String flatValue(HostileRandom r) {
        return switch (r.weighted(3, 1, 2)) {
            case 0 -> r.pick(NUMBERS);
            case 1 -> r.pick(List.of("null", "true", "[]", "{}", "[0]", "[1,0]", "[-1]", "[1e9]", "{\"1\":[0]}",
                    "{\"0\":[5]}", "{\"99\":[98]}", "{\"x\":[0]}", "{\"1\":\"0\"}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                            + "[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"));
            default -> quote(string(r));
        };
    }

    private static String key(HostileRandom r) {
        return r.weighted(6, 1) == 0 ? r.pick(KEYS) : string(r);
    }

    /** Nesting far past any parser's limit (1 to 20,000 levels), balanced or not. */
    static String deepNesting(HostileRandom r) {
        List<String> opens = List.of("[", "{\"a\":", "{\"steps\":[", "[{\"gid\":");
        List<String> closes = List.of("]", "}", "]}", "}]");
        int depth = r.size(1, 20_000);
        int kind = r.between(0, 3);
        return opens.get(kind).repeat(depth) + "1" + (r.bool() ? closes.get(kind).repeat(depth) : "");
    }

    /** What a try sends to a route: a body or a raw query string, printed readably when a try fails. */
    record Sent(HostileRoute route, byte[] body) {
        @Override
        public String toString() {
            StringBuilder b = new StringBuilder(route.name()).append(' ');
            for (int i = 0; i < body.length && b.length() < 400; i++) {
                int c = body[i] & 0xff;
                b.append(c >= 0x20 && c < 0x7f && c != '\\' ? String.valueOf((char) c) : String.format("\\x%02x", c));
            }
            return body.length > 400 ? b + "...(" + body.length + " bytes)" : b.toString();
        }
    }

    /** One edit of a body's top-level object: set a key to a value, or remove it. */
    record Edit(String key, String value) {
        static final String REMOVE = "\u0000remove";

        @Override
        public String toString() {
            String v = value.length() > 60 ? value.substring(0, 60) + "...(" + value.length() + ")" : value;
            return REMOVE.equals(value) ? "remove " + key : key + " = " + v;
        }
    }

    static Edit edit(HostileRandom r) {
        return new Edit(key(r), r.weighted(1, 6) == 0 ? Edit.REMOVE : value(r));
    }

    /** The body with the edits applied, keys in their order; the result may repeat no key. */
    static String edited(String base, List<Edit> edits) {
        Map<String, String> fields = new LinkedHashMap<>();
        try {
            JsonNode n = JSON.readTree(base);
            n.properties().forEach(e -> fields.put(e.getKey(), e.getValue().toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Edit e : edits) {
            if (Edit.REMOVE.equals(e.value())) {
                fields.remove(e.key());
            } else {
                fields.put(e.key(), e.value());
            }
        }
        return fields.entrySet().stream().map(e -> quote(e.getKey()) + ":" + e.getValue())
                .collect(Collectors.joining(",", "{", "}"));
    }

    /** Byte-level damage after the edits. */
    record Damage(Kind kind, int at, byte value) {
        enum Kind { NONE, TRUNCATE, INSERT_NUL, SET_BYTE, APPEND_GARBAGE, INVALID_UTF8, BOM, WRAP_IN_ARRAY,
            DUPLICATE }

        byte[] apply(byte[] b) {
            int i = b.length == 0 ? 0 : at % (b.length + 1);
            return switch (kind) {
                case NONE -> b;
                case TRUNCATE -> Arrays.copyOf(b, i);
                case INSERT_NUL -> insert(b, i, new byte[] {0});
                case SET_BYTE -> {
                    byte[] c = b.clone();
                    if (c.length > 0) {
                        c[Math.min(i, c.length - 1)] = value;
                    }
                    yield c;
                }
                case APPEND_GARBAGE -> insert(b, b.length, new byte[] {'}', value, ',', '{'});
                case INVALID_UTF8 -> insert(b, i, new byte[] {(byte) 0xc3, (byte) 0x28, (byte) 0xff, (byte) 0xed,
                    (byte) 0xa0, (byte) 0x80});
                case BOM -> insert(b, 0, new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf});
                case WRAP_IN_ARRAY -> insert(insert(b, 0, new byte[] {'['}), b.length + 1, new byte[] {']'});
                case DUPLICATE -> insert(b, b.length, b);
            };
        }

        private static byte[] insert(byte[] b, int at, byte[] piece) {
            byte[] out = new byte[b.length + piece.length];
            System.arraycopy(b, 0, out, 0, at);
            System.arraycopy(piece, 0, out, at, piece.length);
            System.arraycopy(b, at, out, at + piece.length, b.length - at);
            return out;
        }
    }

    /** Mostly none; every kind of damage, at any place, now and then. */
    static Damage damage(HostileRandom r) {
        Damage.Kind kind = r.weighted(12, 8) == 0 ? Damage.Kind.NONE : r.pick(Damage.Kind.class);
        return new Damage(kind, r.between(0, 100_000), r.anyByte());
    }

    /** A body for {@code route}: its valid body edited and damaged, or something else entirely. */
    static byte[] body(HostileRandom r, HostileRoute route) {
        String base = route.body.isEmpty() ? "{}" : route.body;
        return switch (r.weighted(12, 2, 1, 1, 1)) {
            case 0 -> damage(r).apply(utf8(edited(base, r.list(1, 4, () -> edit(r)))));
            case 1 -> utf8(value(r));
            case 2 -> utf8(deepNesting(r));
            case 3 -> r.bytes(0, 300);
            default -> utf8(r.pick(List.of("", " ", "\u0000", "{", "}", "{}", "[]", "null", "{\"gid\":}", "\"\"")));
        };
    }

    /** A raw query string: the route's base, then pairs with any key, repeated keys and bad %-escapes. */
    static String query(HostileRandom r, HostileRoute route) {
        boolean withBase = r.bool();
        List<String> pairs = r.list(0, 6, () -> queryPair(r));
        String separator = r.pick(List.of("&", "&&", ";", "&=&"));
        return Stream.concat(withBase ? Stream.of(route.query) : Stream.empty(), pairs.stream())
                .filter(s -> !s.isEmpty()).collect(Collectors.joining(separator));
    }

    private static String queryPair(HostileRandom r) {
        String key = r.weighted(6, 1) == 0 ? r.pick(List.of("gid", "position", "limit", "status", "transType",
                "createTimeStart", "createTimeEnd", "gidPrefix", "timeout")) : string(r);
        String value = switch (r.weighted(5, 2, 1)) {
            case 0 -> string(r);
            case 1 -> r.pick(NUMBERS);
            default -> r.string(HostileRandom.DIGITS, 20, 20_000);
        };
        // The JDK server refuses a raw space, CRLF or bad escape in the request line itself: mostly encode properly.
        Encoding encoding = switch (r.weighted(8, 2, 2)) {
            case 0 -> Encoding.PERCENT;
            case 1 -> Encoding.BAD_UTF8;
            default -> r.pick(Encoding.class);
        };
        return encoding.apply(key) + "=" + encoding.apply(value);
    }

    /** How a query string part is written. */
    enum Encoding {
        PERCENT { String apply(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8); } },
        /** As is: spaces, CRLF and non-ASCII make a request line that the JDK server refuses itself. */
        RAW { String apply(String s) { return s; } },
        /** A malformed escape in the middle. */
        BAD_ESCAPE { String apply(String s) { return s.isEmpty() ? "%" : s.charAt(0) + "%G" + s.substring(1); } },
        TRAILING_PERCENT { String apply(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8) + "%2"; } },
        /** Encoded bytes that are not UTF-8. */
        BAD_UTF8 { String apply(String s) { return "%C3%28%FF" + URLEncoder.encode(s, StandardCharsets.UTF_8); } };

        abstract String apply(String s);
    }

    /** Request headers: odd names, long or strange values, odd Content-Type, duplicates; 0 to 250 of them. */
    static List<Header> headers(HostileRandom r) {
        return r.weighted(12, 1) == 0 ? r.list(0, 12, () -> header(r)) : r.list(150, 250, () -> header(r));
    }

    private static Header header(HostileRandom r) {
        String name = switch (r.weighted(6, 2, 1)) {
            case 0 -> r.pick(List.of("X-Foo", "Content-Type", "Accept", "Cookie", "User-Agent", "Origin",
                    "Sec-Fetch-Site", "Authorization", "Expect", "Connection", "X-Forwarded-For", "Referer",
                    "Accept-Encoding", "Content-Encoding", "Range"));
            case 1 -> r.string(HostileRandom.LOWER + HostileRandom.UPPER, 1, 30);
            default -> r.pick(List.of("", " ", "X Foo", "X:Foo", "X-é", "X-\u0000", "(", "Content-Type "));
        };
        String value = switch (r.weighted(4, 2, 1)) {
            case 0 -> r.pick(List.of("application/json", "application/json; charset=utf-8", "text/plain",
                    "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json;"
                    + " charset=latin1", "*/*", "", " ", "gzip", "deflate", "close", "keep-alive", "100-continue",
                    "Bearer ", "Bearer x", "Basic YTpi", "null", "http://evil.example", "cross-site",
                    "same-origin", "bytes=0-1"));
            case 1 -> string(r).replace("\r", "").replace("\n", "");
            default -> r.string(HostileRandom.LOWER, 1000, 16_000);
        };
        return new Header(name, value);
    }

    /** Mostly the true length, so that most tries reach the routes; every kind of lie now and then. */
    static Length length(HostileRandom r) {
        return switch (r.weighted(10, 2, 6)) {
            case 0 -> Length.EXACT;
            case 1 -> Length.CHUNKED;
            default -> r.pick(Length.class);
        };
    }

    /** How the body's length is told. */
    enum Length { EXACT, NONE, SHORTER, LONGER, NEGATIVE, NOT_A_NUMBER, HUGE, TWICE_DIFFERENT, CHUNKED,
        BAD_CHUNKED, CHUNKED_AND_LENGTH }

    /** The request for a header try: the headers as generated, the body length told as {@code length} says. */
    static byte[] request(String method, String target, List<Header> headers, byte[] body, Length length) {
        List<Header> h = new ArrayList<>(headers);
        byte[] b = body;
        switch (length) {
            case EXACT -> h.add(new Header("Content-Length", Integer.toString(body.length)));
            case NONE -> { }
            case SHORTER -> h.add(new Header("Content-Length", Integer.toString(body.length / 2)));
            case LONGER -> h.add(new Header("Content-Length", Integer.toString(body.length + 100)));
            case NEGATIVE -> h.add(new Header("Content-Length", "-1"));
            case NOT_A_NUMBER -> h.add(new Header("Content-Length", "12abc"));
            case HUGE -> h.add(new Header("Content-Length", "99999999999999999999999"));
            case TWICE_DIFFERENT -> {
                h.add(new Header("Content-Length", Integer.toString(body.length)));
                h.add(new Header("Content-Length", "3"));
            }
            case CHUNKED -> {
                h.add(new Header("Transfer-Encoding", "chunked"));
                b = latin1(Integer.toHexString(body.length) + "\r\n" + latin1(body) + "\r\n0\r\n\r\n");
            }
            case BAD_CHUNKED -> {
                h.add(new Header("Transfer-Encoding", "chunked"));
                b = latin1("zz\r\n" + latin1(body));
            }
            case CHUNKED_AND_LENGTH -> {
                h.add(new Header("Transfer-Encoding", "gzip, chunked"));
                h.add(new Header("Content-Length", Integer.toString(body.length)));
            }
            default -> throw new IllegalStateException(length.name());
        }
        return HostileHttp.request(method, target, h, b, false);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Bytes to chars one to one, so that a body survives the trip through a String unchanged. */
    private static String latin1(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static byte[] latin1(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
