package io.dtm4j.client.wire;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.dtm4j.core.InvalidRequestException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The shared Jackson mapper and the two primitives on top of it: read one object, write with a generator. */
final class Json {
    private static final int MAX_PARSER_MESSAGE = 120;

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Json() {
    }

    /** Writes one JSON document. */
    @FunctionalInterface
    interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    /** Renders a document to UTF-8 bytes. */
    static byte[] write(Body body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = MAPPER.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
            body.write(g);
        } catch (IOException e) {
            // A ByteArrayOutputStream does not fail; this would be a bug in a renderer.
            throw new UncheckedIOException("rendering JSON failed", e);
        }
        return out.toByteArray();
    }

    /**
     * Parses a request body that must be one JSON object.
     *
     * @param what names the body in messages, e.g. "the transaction body"
     * @throws InvalidRequestException when the body is empty, not JSON, or not an object
     */
    static JsonNode readObject(byte[] body, String what) {
        if (body == null || body.length == 0) {
            throw new InvalidRequestException(what + " is empty; send a JSON object");
        }
        JsonNode n;
        try {
            n = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new InvalidRequestException(what + " is not valid JSON" + where(e.getLocation()) + ": "
                    + abbreviate(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new InvalidRequestException(what + " could not be read: " + abbreviate(e.getMessage()));
        }
        if (n == null || n.isMissingNode()) {
            throw new InvalidRequestException(what + " is empty; send a JSON object");
        }
        if (!n.isObject()) {
            throw new InvalidRequestException(what + " must be a JSON object, got " + JsonFields.describe(n));
        }
        return n;
    }

    private static String where(JsonLocation loc) {
        if (loc == null || loc.getLineNr() < 1) {
            return "";
        }
        return " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "unknown problem";
        }
        String oneLine = s.replace('\n', ' ').replace('\r', ' ');
        return oneLine.length() > MAX_PARSER_MESSAGE ? oneLine.substring(0, MAX_PARSER_MESSAGE) + "..." : oneLine;
    }
}
