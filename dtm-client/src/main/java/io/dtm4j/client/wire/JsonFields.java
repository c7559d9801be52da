package io.dtm4j.client.wire;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtm4j.core.InvalidRequestException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Typed, lenient reads of one JSON object, as DTM's Go server decodes it: a missing key or {@code null} is
 * the empty value, unknown keys are ignored, a value of the wrong type is an {@link InvalidRequestException}
 * naming the field and what was expected. Not thread-safe (holds the message prefix); use one per body.
 */
final class JsonFields {
    /** Largest accepted duration or count: about 68 years in seconds, far beyond any sane option. */
    static final long MAX_NUMBER = Integer.MAX_VALUE;

    private final JsonNode object;
    private String prefix = "";

    JsonFields(JsonNode object) {
        this.object = object;
    }

    /** Messages from now on start {@code gid=<gid>: }. */
    void gidKnown(String gid) {
        this.prefix = "gid=" + gid + ": ";
    }

    /** Builds the exception for {@code field}, with the gid prefix when known. */
    InvalidRequestException invalid(String field, String expected, JsonNode got) {
        return new InvalidRequestException(prefix + field + " must be " + expected + ", got " + describe(got));
    }

    /** True when the key is absent or {@code null}. */
    boolean isEmpty(String field) {
        JsonNode n = object.get(field);
        return n == null || n.isNull();
    }

    /** A string; missing or null is {@code ""}. */
    String string(String field) {
        return string(field, object.get(field));
    }

    private String string(String field, JsonNode n) {
        if (n == null || n.isNull()) {
            return "";
        }
        if (!n.isTextual()) {
            throw invalid(field, "a string", n);
        }
        return n.textValue();
    }

    /** A boolean; missing or null is false. */
    boolean bool(String field) {
        JsonNode n = object.get(field);
        if (n == null || n.isNull()) {
            return false;
        }
        if (!n.isBoolean()) {
            throw invalid(field, "true or false", n);
        }
        return n.booleanValue();
    }

    /** A whole, non-negative number; missing or null is 0. */
    long count(String field, String what) {
        JsonNode n = object.get(field);
        if (n == null || n.isNull()) {
            return 0;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0 || n.longValue() > MAX_NUMBER) {
            throw invalid(field, "a whole number of " + what + " from 0 to " + MAX_NUMBER, n);
        }
        return n.longValue();
    }

    /** Whole seconds; missing, null or 0 is {@link Duration#ZERO} (= the server default). */
    Duration seconds(String field) {
        return Duration.ofSeconds(count(field, "seconds (0 = server default)"));
    }

    /** An object of string values; missing or null is empty; a null value is {@code ""}. */
    Map<String, String> stringMap(String field) {
        return stringMap(field, object.get(field));
    }

    private Map<String, String> stringMap(String field, JsonNode n) {
        Map<String, String> out = new LinkedHashMap<>();
        if (n == null || n.isNull()) {
            return out;
        }
        if (!n.isObject()) {
            throw invalid(field, "an object of string values", n);
        }
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            out.put(e.getKey(), string(field + "." + e.getKey(), e.getValue()));
        }
        return out;
    }

    /** An array of strings; missing or null is empty; a null element is {@code ""}. */
    List<String> stringList(String field) {
        JsonNode n = object.get(field);
        List<String> out = new ArrayList<>();
        if (n == null || n.isNull()) {
            return out;
        }
        if (!n.isArray()) {
            throw invalid(field, "an array of strings", n);
        }
        for (int i = 0; i < n.size(); i++) {
            JsonNode e = n.get(i);
            if (e != null && !e.isNull() && !e.isTextual()) {
                throw invalid(field + "[" + i + "]", "a string", e);
            }
            out.add(e == null || e.isNull() ? "" : e.textValue());
        }
        return out;
    }

    /** An array of objects of string values; missing or null is empty; a null element is an empty map. */
    List<Map<String, String>> stringMapList(String field) {
        JsonNode n = object.get(field);
        List<Map<String, String>> out = new ArrayList<>();
        if (n == null || n.isNull()) {
            return out;
        }
        if (!n.isArray()) {
            throw invalid(field, "an array of objects of string values", n);
        }
        for (int i = 0; i < n.size(); i++) {
            JsonNode e = n.get(i);
            if (e == null || e.isNull()) {
                out.add(new LinkedHashMap<>());
                continue;
            }
            out.add(stringMap(field + "[" + i + "]", e));
        }
        return out;
    }

    /** Describes a node's type for messages, never its content (it may be a payload). */
    static String describe(JsonNode n) {
        if (n == null || n.isMissingNode()) {
            return "nothing";
        }
        return switch (n.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> n.isIntegralNumber() ? "the number " + abbreviate(n.asText()) : "a decimal number";
            case BOOLEAN -> n.booleanValue() ? "true" : "false";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> n.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }

    private static String abbreviate(String s) {
        return s.length() > 24 ? s.substring(0, 24) + "..." : s;
    }
}
