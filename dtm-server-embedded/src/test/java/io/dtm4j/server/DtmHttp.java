package io.dtm4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * A DTM client as a test sees the server: plain {@link HttpClient} calls to {@code /api/dtmsvr/...} on
 * 127.0.0.1, replies kept raw (status and body) for assertions. Thread-safe.
 */
final class DtmHttp {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Bound on every call; longer than any branch timeout a test configures, shorter than the test timeout. */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(20);

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();
    private final String base;

    /** A raw reply. */
    record Reply(int status, String body) {
        JsonNode json() {
            try {
                return body.isEmpty() ? MissingNode.getInstance() : JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("reply is not JSON: " + body, e);
            }
        }

        String dtmResult() {
            return json().path("dtm_result").asText("");
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    /** The {@code query} reply of one transaction. */
    record Query(JsonNode transaction, List<JsonNode> branches) {
        boolean exists() {
            return transaction != null && !transaction.isNull() && !transaction.isMissingNode();
        }

        String status() {
            return transaction.path("status").asText("");
        }

        String rollbackReason() {
            return transaction.path("rollback_reason").asText("");
        }

        long nextCronInterval() {
            return transaction.path("next_cron_interval").asLong(0);
        }

        Instant nextCronTime() {
            return time(transaction.path("next_cron_time"));
        }

        Instant createTime() {
            return time(transaction.path("create_time"));
        }

        /** Branch statuses in stored order, e.g. {@code [prepared, succeed, prepared, succeed]}. */
        List<String> branchStatuses() {
            List<String> out = new ArrayList<>();
            branches.forEach(b -> out.add(b.path("status").asText("")));
            return out;
        }

        /** Branch {@code op}s in stored order. */
        List<String> branchOps() {
            List<String> out = new ArrayList<>();
            branches.forEach(b -> out.add(b.path("op").asText("")));
            return out;
        }

        private static Instant time(JsonNode n) {
            if (n == null || n.isNull() || n.isMissingNode() || n.asText("").isEmpty()) {
                throw new AssertionError("no time in " + n);
            }
            return OffsetDateTime.parse(n.asText()).toInstant();
        }
    }

    DtmHttp(int port) {
        this.base = "http://127.0.0.1:" + port + "/api/dtmsvr/";
    }

    /** The prefix a client is given: {@code http://127.0.0.1:<port>/api/dtmsvr}. */
    String prefix() {
        return base.substring(0, base.length() - 1);
    }

    Reply post(String route, String body) {
        return send(HttpRequest.newBuilder(URI.create(base + route))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    Reply get(String routeAndQuery) {
        return send(HttpRequest.newBuilder(URI.create(base + routeAndQuery)).GET());
    }

    Reply submit(String body) {
        return post("submit", body);
    }

    Reply prepare(String body) {
        return post("prepare", body);
    }

    Reply abort(String body) {
        return post("abort", body);
    }

    /** {@code GET query?gid=}; fails the test when the reply is not 200. */
    Query query(String gid) {
        Reply r = get("query?gid=" + URLEncoder.encode(gid, StandardCharsets.UTF_8));
        if (r.status() != 200) {
            throw new AssertionError("query " + gid + " answered " + r);
        }
        JsonNode n = r.json();
        List<JsonNode> branches = new ArrayList<>();
        n.path("branches").forEach(branches::add);
        return new Query(n.get("transaction"), branches);
    }

    private Reply send(HttpRequest.Builder b) {
        try {
            HttpResponse<String> resp = client.send(b.timeout(CALL_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Reply(resp.statusCode(), resp.body());
        } catch (IOException e) {
            throw new UncheckedIOException("dtm call failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
