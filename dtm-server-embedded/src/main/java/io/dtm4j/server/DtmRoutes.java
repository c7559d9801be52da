package io.dtm4j.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dtm4j.client.BranchUrlPolicy;
import io.dtm4j.client.wire.DtmJson;
import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.ListQuery;
import io.dtm4j.core.StoreUnavailableException;
import io.dtm4j.core.TransOutcome;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionPage;
import io.dtm4j.core.TransactionView;
import io.dtm4j.core.spi.CrashPoints;
import io.dtm4j.core.spi.StatusCounts;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Optional;

/**
 * The API routes of {@code spec/server-protocol.md} 1.2, each a thin adapter from DTM's wire format to one
 * {@link Coordinator} call. Exceptions are mapped to status codes by {@link ApiHandler}. Thread-safe.
 */
final class DtmRoutes {
    /** DTM's {@code resetCronTime} default limit. */
    static final int DEFAULT_RESET_LIMIT = 100;
    private static final int MAX_RESET_LIMIT = 10_000;
    private static final long MAX_SECONDS = Integer.MAX_VALUE;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Longest force-stop reason kept. */
    static final int MAX_REASON = 1000;

    private final Coordinator coordinator;
    private final String version;
    private final Duration resetCronTimeout;
    private final ReadinessCheck readiness;
    private final ServerMetrics metrics;
    private volatile BranchUrlPolicy urlPolicy;
    private final Instant started = Instant.now();

    /**
     * @param version          the server version for the version routes
     * @param resetCronTimeout resetCronTime's default {@code timeout}: DTM uses 3 x TimeoutToFail
     * @param readiness        answers {@code /api/ready}
     * @param metrics          answers {@code /api/metrics}
     */
    DtmRoutes(Coordinator coordinator, String version, Duration resetCronTimeout, ReadinessCheck readiness,
              ServerMetrics metrics, BranchUrlPolicy urlPolicy) {
        this.urlPolicy = urlPolicy;
        this.coordinator = coordinator;
        this.version = version;
        this.resetCronTimeout = resetCronTimeout;
        this.readiness = readiness;
        this.metrics = metrics;
    }

    ApiReply version() {
        return ApiReply.ok(DtmJson.renderVersion(version));
    }

    ApiReply ping() {
        return ApiReply.ok(DtmJson.renderPong());
    }

    /** Readiness: the store answers (liveness is {@link #ping()}, which checks nothing). */
    ApiReply ready() {
        return readiness.check();
    }

    /**
     * The admin UI's server panel: version, store, whether it answers, uptime and the transactions by status
     * ({@code counts}: every status by wire name; absent when the store cannot count them cheaply or is down). The
     * count scans the SQL stores' table, so the UI asks at most every few seconds.
     */
    ApiReply adminInfo() {
        ObjectNode n = JSON.createObjectNode();
        n.put("version", version);
        n.put("store", coordinator.store().describe());
        boolean storeUp = readiness.storeUp();
        n.put("store_up", storeUp);
        n.put("started_at", started.toString());
        n.put("uptime_seconds", Duration.between(started, Instant.now()).toSeconds());
        if (storeUp) {
            counts().ifPresent(c -> {
                ObjectNode counts = n.putObject("counts");
                c.byStatus().forEach((status, count) -> counts.put(status.wireName(), count));
            });
        }
        try {
            return ApiReply.ok(JSON.writeValueAsBytes(n));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render the server info", e);
        }
    }

    /** The store's counts; empty when it cannot count, or went down since the ping (store_up tells). */
    private Optional<StatusCounts> counts() {
        try {
            return coordinator.store().countByStatus();
        } catch (StoreUnavailableException e) {
            return Optional.empty();
        }
    }

    /** Replaces the branch URL policy (the server adds its admin listener once it is bound). */
    void urlPolicy(BranchUrlPolicy value) {
        this.urlPolicy = value;
    }

    /** Checks every URL the coordinator would call for this request against the branch URL policy. */
    private TransRequest allowedUrls(TransRequest request) {
        for (Map<String, String> step : request.steps()) {
            for (String url : new TreeMap<>(step).values()) { // in a fixed order, so the message is too
                allowed(url, "http".equals(request.protocol()));
            }
        }
        allowed(request.queryPrepared(), "http".equals(request.protocol()));
        return request;
    }

    /** As the invoker decides: a URL is called over HTTP when the protocol is http or the URL is http(s). */
    private void allowed(String url, boolean httpProtocol) {
        boolean called = !url.isEmpty() && (httpProtocol || url.startsWith("http://") || url.startsWith("https://"));
        if (called) {
            Optional<String> refused = urlPolicy.refusal(url);
            if (refused.isPresent()) {
                throw new InvalidRequestException("branch URL '" + abbreviate(url) + "' refused: " + refused.get()
                        + " (BranchUrl.Allow / BranchUrl.Deny)");
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    /** Every metric in Prometheus' text format (not JSON). */
    ApiReply metrics() {
        return new ApiReply(200, metrics.scrape(), ServerMetrics.CONTENT_TYPE);
    }

    ApiReply newGid() {
        return ApiReply.ok(DtmJson.renderNewGid(coordinator.newGid()));
    }

    ApiReply prepare(byte[] body) {
        return outcome(coordinator.prepare(allowedUrls(DtmJson.parseTransRequest(body))));
    }

    ApiReply submit(byte[] body) {
        TransOutcome o = coordinator.submit(allowedUrls(DtmJson.parseTransRequest(body)));
        CrashPoints.reached(CrashPoints.AFTER_OUTCOME_BEFORE_REPLY);
        return outcome(o);
    }

    ApiReply abort(byte[] body) {
        return outcome(coordinator.abort(DtmJson.parseTransRequest(body)));
    }

    /** DTM's body {@code {"gid"}}, plus dtm4j's optional {@code reason}, kept as the rollback reason. */
    ApiReply forceStop(byte[] body) {
        String gid = DtmJson.parseGid(body);
        String reason;
        try {
            reason = JSON.readTree(body).path("reason").asText("").strip();
        } catch (IOException e) {
            reason = ""; // parseGid has accepted the body
        }
        if (reason.length() > MAX_REASON) {
            throw new InvalidRequestException("reason is " + reason.length() + " characters long; the limit is "
                    + MAX_REASON);
        }
        coordinator.forceStop(gid, reason);
        return ApiReply.success();
    }

    ApiReply resetNextCronTime(byte[] body) {
        coordinator.retryNow(DtmJson.parseGid(body));
        return ApiReply.success();
    }

    ApiReply registerBranch(byte[] body) {
        BranchRegistration registration = DtmJson.parseBranchRegistration(body);
        for (String key : List.of("url", "confirm", "cancel")) {
            allowed(registration.field(key), false); // the protocol is the transaction's: judge by the URL
        }
        coordinator.registerBranch(registration);
        return ApiReply.success();
    }

    /** Creates the workflow when new; answers it with its recorded progress, whatever its status (spec 1.4). */
    ApiReply prepareWorkflow(byte[] body) {
        TransactionView view = coordinator.prepareWorkflow(allowedUrls(DtmJson.parseTransRequest(body)));
        return ApiReply.ok(DtmJson.renderWorkflowProgress(view));
    }

    ApiReply query(QueryParams q) {
        return ApiReply.ok(DtmJson.renderQuery(coordinator.query(q.gid())));
    }

    /**
     * One transaction when {@code gid} is given (DTM's), else a filtered page ({@code createTime*} in epoch ms;
     * dtm4j's {@code gidPrefix}: gids starting with it, case-sensitive).
     */
    ApiReply all(QueryParams q) {
        String position = q.get("position").orElse("");
        if (q.get("gid").isPresent()) {
            List<GlobalTransaction> one = coordinator.query(q.gid())
                    .map(TransactionView::global).map(List::of).orElse(List.of());
            return ApiReply.ok(DtmJson.renderPage(new TransactionPage(one, position)));
        }
        ListQuery query = new ListQuery(position,
                (int) q.number("limit", 1, ListQuery.MAX_LIMIT, ListQuery.DEFAULT_LIMIT),
                q.get("status").map(GlobalStatus::fromWireName),
                q.get("transType").map(TransType::fromWireName),
                epochMillis(q, "createTimeStart"),
                epochMillis(q, "createTimeEnd"),
                q.get("gidPrefix"));
        return ApiReply.ok(DtmJson.renderPage(coordinator.list(query)));
    }

    ApiReply resetCronTime(QueryParams q) {
        Duration timeout = Duration.ofSeconds(q.number("timeout", 0, MAX_SECONDS, resetCronTimeout.toSeconds()));
        int limit = (int) q.number("limit", 1, MAX_RESET_LIMIT, DEFAULT_RESET_LIMIT);
        return ApiReply.ok(DtmJson.renderCronReset(coordinator.resetCronTime(timeout, limit)));
    }

    /** DTM truncates the epoch milliseconds of {@code /all} to seconds. */
    private static Optional<Instant> epochMillis(QueryParams q, String key) {
        if (q.get(key).isEmpty()) {
            return Optional.empty();
        }
        long ms = q.number(key, 0, Long.MAX_VALUE / 2, 0);
        return Optional.of(Instant.ofEpochSecond(Math.floorDiv(ms, 1000)));
    }

    /** SUCCESS 200, FAILURE 409, ONGOING 425, ERROR 500 (spec 1.1). */
    static ApiReply outcome(TransOutcome o) {
        return switch (o.kind()) {
            case SUCCESS -> ApiReply.success();
            case FAILURE -> ApiReply.failure(o.message());
            case ONGOING -> ApiReply.ongoing(o.message());
            case ERROR -> ApiReply.error(500, o.message().isEmpty() ? "temporary error; retry later" : o.message());
        };
    }
}
