package io.dtm4j.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dtm4j.core.DtmException;
import io.dtm4j.core.spi.TransactionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code GET /api/ready}: 200 {@code {"status":"ready","store":"..."}} when the store answers a ping within the
 * timeout, else 503 {@code {"status":"unavailable","store":"...","message":"..."}} with the store's message.
 * Pings run on one owned thread ({@code dtm-ready-1}); while one is still running, later checks wait for the same
 * ping instead of starting another, so a hanging store cannot pile up threads. Thread-safe.
 */
final class ReadinessCheck implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReadinessCheck.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TransactionStore store;
    private final String storeName;
    private final Duration timeout;
    private final ExecutorService pinger = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "dtm-ready-1");
        t.setDaemon(true);
        return t;
    });
    private CompletableFuture<Void> running;

    ReadinessCheck(TransactionStore store, Duration timeout) {
        this.store = store;
        this.storeName = store.describe();
        this.timeout = timeout;
    }

    ApiReply check() {
        String problem = problem();
        return problem.isEmpty() ? reply(200, "ready", "") : reply(503, "unavailable", problem);
    }

    /**
     * The {@code dtm4j_store_up} gauge: true when the store answers a ping within the timeout. A scrape thus costs
     * one ping at most, shared with any readiness check running at the same time.
     */
    boolean storeUp() {
        return problem().isEmpty();
    }

    /** Pings the store; returns why it is not ready, or an empty string when it is. */
    private String problem() {
        try {
            ping().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return "";
        } catch (TimeoutException e) {
            return "the store did not answer within " + timeout.toMillis() + " ms";
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof DtmException) {
                return cause.getMessage();
            }
            LOG.error("readiness check: the store's ping failed unexpectedly", cause);
            return "the store's ping failed unexpectedly; see the server log";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (RejectedExecutionException e) {
            return "the server is shutting down";
        }
    }

    private synchronized CompletableFuture<Void> ping() {
        if (running == null || running.isDone()) {
            running = CompletableFuture.runAsync(store::ping, pinger);
        }
        return running;
    }

    private ApiReply reply(int status, String state, String message) {
        ObjectNode body = JSON.createObjectNode().put("status", state).put("store", storeName);
        if (!message.isEmpty()) {
            body.put("message", message);
        }
        try {
            return new ApiReply(status, JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render the readiness reply", e);
        }
    }

    @Override
    public void close() {
        pinger.shutdownNow();
    }
}
