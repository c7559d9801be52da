package io.dtm4j.server;

import io.dtm4j.core.StoreUnavailableException;
import io.dtm4j.server.RouteFixture.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.dtm4j.server.RouteFixture.API;
import static io.dtm4j.server.RouteFixture.assertError;
import static io.dtm4j.server.RouteFixture.assertJson;
import static org.assertj.core.api.Assertions.assertThat;

/** Liveness ({@code /api/ping}), readiness ({@code /api/ready}) and every API route during a store outage. */
class HealthRoutesTest {
    private static final String DOWN = "postgres://db:5432/dtm: connection refused; is PostgreSQL running at db:5432?";

    private final RouteFixture f = new RouteFixture(b -> b.readinessTimeout(Duration.ofMillis(300)));

    @AfterEach
    void close() {
        f.close();
    }

    @Test
    void readyWhenTheStoreAnswers() {
        Reply r = f.get("/api/ready");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"status\":\"ready\",\"store\":\"mem\"}");
        assertJson(r);
        assertThat(f.method("HEAD", "/api/ready").status()).isEqualTo(200);
        assertThat(f.post("/api/ready", "{}").status()).isEqualTo(405);
    }

    @Test
    void unavailableWithTheStoresMessageWhileItIsDownAndReadyAgainAfter() {
        f.storeFault = () -> new StoreUnavailableException(DOWN);

        Reply r = f.get("/api/ready");
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.json().path("status").asText()).isEqualTo("unavailable");
        assertThat(r.json().path("store").asText()).isEqualTo("mem");
        assertThat(r.json().path("message").asText()).isEqualTo(DOWN);
        f.assertAlive(); // liveness does not depend on the store

        f.storeFault = null;
        assertThat(f.get("/api/ready").status()).isEqualTo(200);
    }

    @Test
    void aHangingStoreIsUnavailableWithinTheTimeoutAndGetsOnePingAtATime() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger pings = new AtomicInteger();
        f.storeFault = () -> {
            pings.incrementAndGet();
            awaitQuietly(release);
            return new StoreUnavailableException("late");
        };
        try {
            long start = System.nanoTime();
            for (int i = 0; i < 3; i++) {
                Reply r = f.get("/api/ready");
                assertThat(r.status()).isEqualTo(503);
                assertThat(r.json().path("message").asText()).isEqualTo("the store did not answer within 300 ms");
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
            assertThat(pings).as("later checks wait for the ping already running").hasValue(1);
        } finally {
            release.countDown();
        }
        f.storeFault = null;
        assertThat(awaitReady()).isEqualTo(200);
    }

    @Test
    void everyRouteThatNeedsTheStoreAnswers503DuringAnOutage() {
        f.storeFault = () -> new StoreUnavailableException(DOWN);
        String trans = "{\"gid\":\"g503\",\"trans_type\":\"tcc\",\"concurrent\":false,\"protocol\":\"\"}";
        String branch = "{\"branch_id\":\"01\",\"cancel\":\"http://busi/c\",\"confirm\":\"http://busi/f\","
                + "\"data\":\"{}\",\"gid\":\"g503\",\"trans_type\":\"tcc\"}";
        Map<String, String> posts = Map.of("prepare", trans, "submit", trans, "abort", trans,
                "registerBranch", branch, "forceStop", "{\"gid\":\"g503\"}", "resetNextCronTime", "{\"gid\":\"g503\"}",
                "prepareWorkflow", trans.replace("tcc", "workflow"), "resetCronTime", "");
        posts.forEach((route, body) -> assertError(f.post(API + route, body), 503, DOWN));
        for (String get : List.of("query?gid=g503", "all", "all?gid=g503")) {
            assertError(f.get(API + get), 503, DOWN);
        }
        assertThat(f.get(API + "newGid").status()).as("needs no store").isEqualTo(200);
        assertThat(f.get(API + "version").status()).isEqualTo(200);
        f.storeFault = null;
        f.assertAlive();
        f.assertNothingStored();
    }

    @Test
    void readinessIsServedUnderItsOwnPathOnly() {
        Reply r = f.send(HttpRequest.newBuilder(URI.create(f.url("/api/ready/"))).GET());
        assertThat(r.status()).isEqualTo(404);
    }

    private int awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int status;
        do {
            status = f.get("/api/ready").status();
            if (status == 200) {
                return status;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        return status;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
