package io.dtm4j.server;

import com.sun.net.httpserver.HttpServer;
import io.dtm4j.server.DtmChild.Timed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code HTTPServer.ReadTimeout} in a standalone server (a JVM-wide JDK setting, hence a child JVM): a client that
 * trickles its request headers is disconnected, while a wait_result submit whose branch takes longer than the read
 * timeout still gets its answer (the timeout covers reading the request, not serving it).
 */
@Timeout(120)
class HttpReadTimeoutIT {
    private static final int READ_TIMEOUT_SECONDS = 2;
    private static final Duration SLOW_BRANCH = Duration.ofSeconds(4);

    @TempDir
    Path dir;

    @Test
    void aTricklingClientIsCutButASlowWaitResultSubmitIsNot() throws Exception {
        HttpServer busi = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        busi.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            try {
                Thread.sleep(SLOW_BRANCH.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] ok = "{\"dtm_result\":\"SUCCESS\"}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, ok.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(ok);
            }
        });
        busi.start();
        try (DtmChild dtm = DtmChild.start(dir, "dtm-read-timeout", List.of("HTTPServer:", "  Address: 127.0.0.1",
                "  ReadTimeout: " + READ_TIMEOUT_SECONDS + "s", "RequestTimeout: 10", "Store:", "  Driver: mem"))) {
            long cutAfter = trickle(dtm.port);
            assertThat(cutAfter).as("ms until a client sending half its headers is disconnected")
                    .isGreaterThanOrEqualTo(READ_TIMEOUT_SECONDS * 1000L - 100).isLessThan(15_000);

            String url = "http://127.0.0.1:" + busi.getAddress().getPort() + "/api/busi";
            String saga = GoTrans.saga("slow-wait-result").add(url + "/TransOut", url + "/TransOutRevert", "{}")
                    .waitResult().requestTimeout(10).json();
            Timed r = dtm.rawPost("/api/dtmsvr/submit", saga, Duration.ofSeconds(30));
            assertThat(r.status()).as("wait_result submit: %s; log:%n%s", r, dtm.logTail()).isEqualTo(200);
            assertThat(r.millis()).as("it waited for the slow branch").isGreaterThanOrEqualTo(SLOW_BRANCH.toMillis());
        } finally {
            busi.stop(0);
        }
    }

    /** Sends half a request and then nothing; returns the ms until the server closes the connection. */
    private static long trickle(int port) throws IOException {
        try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), port)) {
            s.setSoTimeout(20_000);
            long t0 = System.nanoTime();
            s.getOutputStream().write("POST /api/dtmsvr/submit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le"
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            try {
                while (in.read() != -1) {
                    // whatever the server says before closing
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the server kept a trickling connection open for 20 s", e);
            } catch (IOException reset) {
                // closed by a reset: also a disconnect
            }
            return (System.nanoTime() - t0) / 1_000_000;
        }
    }
}
