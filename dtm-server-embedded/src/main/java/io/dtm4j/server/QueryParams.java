package io.dtm4j.server;

import io.dtm4j.core.Gids;
import io.dtm4j.core.InvalidRequestException;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The query string of a request, decoded as Go's {@code url.ParseQuery} does ({@code +} is a space); the
 * first value of a repeated key wins. Typed getters reject bad values with a 400 message naming the key.
 */
final class QueryParams {
    private final Map<String, String> values;

    private QueryParams(Map<String, String> values) {
        this.values = values;
    }

    /**
     * Parses a raw query string; null is empty.
     *
     * @throws InvalidRequestException for a malformed percent escape
     */
    static QueryParams parse(String rawQuery) {
        Map<String, String> out = new HashMap<>();
        if (rawQuery != null && !rawQuery.isEmpty()) {
            for (String pair : rawQuery.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String key = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                out.putIfAbsent(key, value);
            }
        }
        return new QueryParams(out);
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("the query string has a malformed %-escape");
        }
    }

    /** The value, or empty when the key is absent or its value is empty. */
    Optional<String> get(String key) {
        String v = values.get(key);
        return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v);
    }

    /** The gid, cleaned and validated; required. */
    String gid() {
        return Gids.requireValid(Gids.clean(values.getOrDefault("gid", "")));
    }

    /** A whole number in {@code [min, max]}, or the default when absent. */
    long number(String key, long min, long max, long dflt) {
        Optional<String> v = get(key);
        if (v.isEmpty()) {
            return dflt;
        }
        try {
            long n = Long.parseLong(v.get().trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidRequestException(key + " must be a whole number from " + min + " to " + max + ", got '"
                + abbreviate(v.get()) + "'");
    }

    private static String abbreviate(String s) {
        return s.length() > 24 ? s.substring(0, 24) + "..." : s;
    }
}
