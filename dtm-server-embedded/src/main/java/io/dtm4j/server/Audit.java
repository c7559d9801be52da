package io.dtm4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Instant;

/**
 * The audit log: one line per operator action (force stop, retry now, reset cron time), on the logger
 * {@code dtm4j.audit} at INFO, whatever the action's outcome: who (the token's name, or {@code local} /
 * {@code remote} without tokens), from which address, what, which gid, the reason and the resulting HTTP status,
 * as one JSON object so the reason cannot break the line. Route a separate appender to the logger to keep it apart.
 * Stateless.
 */
final class Audit {
    static final String LOGGER = "dtm4j.audit";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_FIELD = 500;

    private Audit() {
    }

    /**
     * Logs one action.
     *
     * @param body the request body (JSON with {@code gid} and maybe {@code reason}); read leniently
     */
    static void operatorAction(String who, InetAddress from, String action, byte[] body, int status) {
        ObjectNode line = JSON.createObjectNode();
        line.put("at", Instant.now().toString());
        line.put("by", who);
        line.put("from", from == null ? "" : from.getHostAddress());
        line.put("action", action);
        JsonNode request = parse(body);
        line.put("gid", cut(request.path("gid").asText("")));
        line.put("reason", cut(request.path("reason").asText("")));
        line.put("status", status);
        LOG.info("audit {}", line);
    }

    private static JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode n = JSON.readTree(body);
            return n == null ? JSON.createObjectNode() : n;
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    private static String cut(String s) {
        return s.length() > MAX_FIELD ? s.substring(0, MAX_FIELD) + "..." : s;
    }
}
