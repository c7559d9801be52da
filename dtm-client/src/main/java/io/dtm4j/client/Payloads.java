package io.dtm4j.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;

/** Turns a step payload into the bytes the coordinator sends to the branch. */
final class Payloads {

    private Payloads() {
    }

    /**
     * Returns the request body for a payload: a {@code String} is JSON text sent as UTF-8, a {@code byte[]}
     * is sent as it is, anything else is serialised with Jackson.
     *
     * @throws IllegalArgumentException when the payload is null or Jackson cannot serialise it
     */
    static byte[] toBytes(Object payload, ObjectMapper mapper) {
        if (payload == null) {
            throw new IllegalArgumentException("payload must not be null; use \"\" to send no body");
        }
        if (payload instanceof String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        if (payload instanceof byte[] b) {
            return b.clone();
        }
        try {
            return mapper.writeValueAsBytes(payload);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialise a " + payload.getClass().getName()
                    + " payload to JSON: " + e.getOriginalMessage() + "; pass JSON text or bytes instead", e);
        }
    }
}
