package io.dtm4j.server;

import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.TransType;
import io.dtm4j.core.spi.CoordinatorEvents;
import io.dtm4j.core.spi.PoolStats;
import io.dtm4j.core.spi.TransactionStore;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * The metrics of one server, served by {@code GET /api/metrics} in Prometheus' text format. DTM's own metrics keep
 * DTM's exact names and labels ({@code spec/server-protocol.md} 8), so existing DTM dashboards and alerts work;
 * dtm4j's additions are named {@code dtm4j_*}; the JVM's come from the Prometheus Java client. See the README's
 * Metrics section for the table.
 *
 * <p>The HTTP and store metrics need only the server. The transaction and branch metrics come from the coordinator:
 * pass the same instance to both builders, as {@code dtm} does.
 *
 * <pre>{@code
 * ServerMetrics metrics = new ServerMetrics();
 * Coordinator coordinator = Coordinator.builder().store(store).invoker(invoker).events(metrics).build();
 * DtmServer server = DtmServer.builder().coordinator(coordinator).metrics(metrics).build();
 * }</pre>
 *
 * <p>Each instance has a registry of its own (not Prometheus' global default), so several servers in one JVM count
 * apart; the JVM metrics are the JVM's, shared by all. One instance serves one {@link DtmServer}. Thread-safe.
 */
public final class ServerMetrics implements CoordinatorEvents {
    /** The text format's content type: {@code text/plain; version=0.0.4; charset=utf-8}. */
    static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;
    /** The {@code api} label of a request that matched no route, so a scanner cannot create label values. */
    static final String UNKNOWN_API = "unknown";
    /** Go's default histogram buckets, in seconds, which DTM uses. */
    private static final double[] DTM_BUCKETS = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
    private static final String OK = "ok";
    private static final String FAIL = "fail";
    /** DTM's {@code type} label: we serve HTTP only. */
    private static final String HTTP = "http";
    /** The Gin and gRPC versions of DTM's info gauge: we run neither. */
    private static final String NONE = "none";
    private static final double NANOS_PER_SECOND = 1e9;
    /** The JVM's metrics, registered once per JVM and added to every scrape. */
    private static final PrometheusRegistry JVM = jvmRegistry();

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Counter requests = Counter.builder().name("dtm_server_process_total")
            .help("HTTP requests served, by api (last path segment) and status (fail: HTTP status >= 400)")
            .labelNames("type", "api", "status").register(registry);
    private final Histogram responseTime = Histogram.builder().name("dtm_server_response_duration")
            .help("Time to serve an HTTP request, in seconds").labelNames("type", "api")
            .classicUpperBounds(DTM_BUCKETS).classicOnly().register(registry);
    private final Counter rounds = Counter.builder().name("dtm_transaction_process_total")
            .help("Processing rounds of transactions (submit, abort, recovery), by model and status")
            .labelNames("model", "status").register(registry);
    private final Histogram handled = Histogram.builder().name("dtm_transaction_handled_duration")
            .help("Time from a transaction's create_time to the end of each of its rounds, in seconds")
            .labelNames("model").classicUpperBounds(DTM_BUCKETS).classicOnly().register(registry);
    private final Counter branches = Counter.builder().name("dtm_branch_process_total")
            .help("Branch op calls, by model, branch id, op (branchtype) and status (ok: the branch answered SUCCESS)")
            .labelNames("model", "branchid", "branchtype", "status").register(registry);
    private final Counter statuses = Counter.builder().name("dtm4j_transactions_status_total")
            .help("Transaction statuses written by this server, by model and the status written")
            .labelNames("model", "status").register(registry);
    private final Counter retries = Counter.builder().name("dtm4j_transaction_retries_total")
            .help("Rounds that left a transaction unfinished because a call did not succeed; it is tried again later")
            .labelNames("model").register(registry);
    /** The data points of each api label seen so far: a lookup per request, no allocation. */
    private final ConcurrentMap<String, RequestPoints> apis = new ConcurrentHashMap<>();
    private final AtomicBoolean attached = new AtomicBoolean();

    /** The ok and fail counters and the duration histogram of one {@code api} label. */
    private record RequestPoints(CounterDataPoint ok, CounterDataPoint fail, DistributionDataPoint duration) {
    }

    private static PrometheusRegistry jvmRegistry() {
        PrometheusRegistry jvm = new PrometheusRegistry();
        JvmMetrics.builder().register(jvm);
        return jvm;
    }

    /**
     * The {@code api} label of a route: its path's last segment, lower-cased ({@code /api/dtmsvr/registerTccBranch}
     * gives {@code registertccbranch}), as DTM's, but without the query string.
     */
    static String apiLabel(String routePath) {
        return routePath.substring(routePath.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
    }

    /**
     * Binds this instance to its server: the info gauge with the server's version, and the store gauges.
     *
     * @param storeUp answers whether the store answers now; called at each scrape
     * @throws IllegalStateException when already bound to a server
     */
    void attach(String version, TransactionStore store, BooleanSupplier storeUp) {
        if (!attached.compareAndSet(false, true)) {
            throw new IllegalStateException("this ServerMetrics already serves a DtmServer; create one per server");
        }
        Gauge.builder().name("dtm_server_info")
                .help("The server: 1, with its version (gin_version and grpc_version are none: dtm4j runs neither)")
                .labelNames("gin_version", "grpc_version", "version").register(registry)
                .labelValues(NONE, NONE, version).set(1);
        GaugeWithCallback.builder().name("dtm4j_store_up")
                .help("1 when the store answered a ping within the readiness timeout at this scrape, else 0")
                .callback(cb -> cb.call(storeUp.getAsBoolean() ? 1 : 0)).register(registry);
        if (store.poolStats().isPresent()) {
            GaugeWithCallback.builder().name("dtm4j_store_connections")
                    .help("The store's pooled connections: open, idle, and threads waiting for one")
                    .labelNames("state")
                    .callback(cb -> {
                        PoolStats p = store.poolStats().orElse(PoolStats.EMPTY);
                        cb.call(p.open(), "open");
                        cb.call(p.idle(), "idle");
                        cb.call(p.waiting(), "waiting");
                    }).register(registry);
        }
    }

    /**
     * Counts one HTTP request.
     *
     * @param api    the route's {@link #apiLabel}, or {@link #UNKNOWN_API}
     * @param status the HTTP status sent; 0 when none was (the client went away first), which counts as fail
     * @param nanos  time taken
     */
    void requestServed(String api, int status, long nanos) {
        RequestPoints p = apis.get(api);
        if (p == null) {
            p = apis.computeIfAbsent(api, a -> new RequestPoints(requests.labelValues(HTTP, a, OK),
                    requests.labelValues(HTTP, a, FAIL), responseTime.labelValues(HTTP, a)));
        }
        (status > 0 && status < 400 ? p.ok() : p.fail()).inc();
        p.duration().observe(nanos / NANOS_PER_SECOND);
    }

    /** Renders every metric, this server's and the JVM's, in the text format. */
    byte[] scrape() {
        List<MetricSnapshot> all = new ArrayList<>();
        registry.scrape().forEach(all::add);
        JVM.scrape().forEach(all::add);
        ByteArrayOutputStream out = new ByteArrayOutputStream(32 * 1024);
        try {
            writer.write(out, new MetricSnapshots(all));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot happen: writing to memory", e);
        }
        return out.toByteArray();
    }

    @Override
    public void roundEnded(String gid, TransType model, boolean ok, Duration age) {
        rounds.labelValues(model.wireName(), ok ? OK : FAIL).inc();
        // A create_time written by a node whose clock is ahead would give a negative age.
        handled.labelValues(model.wireName()).observe(Math.max(0, age.toNanos()) / NANOS_PER_SECOND);
    }

    @Override
    public void branchCalled(String gid, TransType model, String branchId, BranchOp op, BranchResult result) {
        branches.labelValues(model.wireName(), branchId, op.wireName(), result == BranchResult.SUCCESS ? OK : FAIL)
                .inc();
    }

    @Override
    public void statusChanged(String gid, TransType model, GlobalStatus status) {
        statuses.labelValues(model.wireName(), status.wireName()).inc();
    }

    @Override
    public void retryScheduled(String gid, TransType model) {
        retries.labelValues(model.wireName()).inc();
    }
}
