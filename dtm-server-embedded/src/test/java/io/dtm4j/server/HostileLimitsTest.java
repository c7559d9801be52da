package io.dtm4j.server;

import io.dtm4j.server.HostileHttp.Answer;
import io.dtm4j.server.HostileHttp.Header;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sizes past every limit (spec C2 #16): 10 MB bodies, a body that never ends, header floods, a saga of 10,000
 * steps. Each is refused (413, 400, the JDK server's own 4xx, or a closed connection) within a bounded time, with
 * the server reading a bounded number of bytes, storing nothing, and answering {@code /api/ping} afterwards.
 */
class HostileLimitsTest {
    private static final int MB = 1024 * 1024;
    private static final String SUBMIT = "/api/dtmsvr/submit";

    private final RouteFixture f = new RouteFixture();

    @AfterEach
    void aliveAndEmpty() {
        try {
            f.assertAlive();
            f.assertNothingStored();
        } finally {
            f.close();
        }
    }

    @Test
    void aTenMegabyteBodyIs413() {
        byte[] body = new byte[10 * MB];
        Arrays.fill(body, (byte) ' ');
        body[0] = '{';
        Answer a = HostileHttp.exchange(f.server.port(), HostileHttp.json("POST", SUBMIT, body));
        assertThat(a.status()).as("%s", a).isEqualTo(413);
        assertThat(HostileChecks.assertJson(a).path("message").asText())
                .isEqualTo("the request body is larger than " + DtmServer.DEFAULT_MAX_BODY_BYTES + " bytes");
        assertThat(a.header("Connection")).hasValue("close");
    }

    @Test
    void aTenMegabyteChunkedBodyIs413() {
        byte[] chunk = " ".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 160; i++) {
            b.append(Integer.toHexString(chunk.length)).append("\r\n").append(new String(chunk,
                    StandardCharsets.US_ASCII)).append("\r\n");
        }
        b.append("0\r\n\r\n");
        byte[] request = HostileHttp.request("POST", "/api/dtmsvr/prepare", List.of(new Header("Transfer-Encoding",
                "chunked"), new Header("Content-Type", "application/json")), b.toString().getBytes(
                StandardCharsets.US_ASCII), false);
        Answer a = HostileHttp.exchange(f.server.port(), request);
        assertThat(a.status()).as("%s", a).isEqualTo(413);
    }

    /**
     * A client declares a gigabyte and keeps sending: the server reads the cap and at most its discard limit
     * (16 MiB) after it, answers 413 and closes, so the client's writes fail long before the gigabyte; memory stays
     * bounded because nothing past the cap is kept.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aBodyThatNeverEndsIsCutOffAfterABoundedRead() throws Exception {
        AtomicLong written = new AtomicLong();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", f.server.port()), 2000);
            s.setSoTimeout((int) HostileHttp.ANSWER_TIMEOUT.toMillis());
            OutputStream out = s.getOutputStream();
            out.write(("POST " + SUBMIT + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + (1L << 30) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> writeUntilRefused(out, written));
            String statusLine = statusLine(s.getInputStream());
            writer.get(30, TimeUnit.SECONDS);
            assertThat(statusLine.isEmpty() || statusLine.startsWith("HTTP/1.1 413 "))
                    .as("the answer, if it arrived before the reset: %s", statusLine).isTrue();
        }
        assertThat(written.get()).as("bytes the server took before it closed").isLessThan(64L * MB);
    }

    private static void writeUntilRefused(OutputStream out, AtomicLong written) {
        byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, (byte) ' ');
        try {
            while (written.get() < (1L << 30)) {
                out.write(chunk);
                written.addAndGet(chunk.length);
            }
        } catch (IOException closedByServer) {
            // expected: the server answered 413 and closed
        }
    }

    /** The status line, or "" when the connection was reset before it could be read. */
    private static String statusLine(InputStream in) {
        StringBuilder b = new StringBuilder();
        try {
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                if (c != '\r') {
                    b.append((char) c);
                }
            }
            return b.toString();
        } catch (IOException reset) {
            return "";
        }
    }

    @Test
    void fiveThousandHeadersAreRefusedByTheJdkServerOrDropped() {
        List<Header> flood = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            flood.add(new Header("X-Flood-" + i, "v" + i));
        }
        byte[] request = HostileHttp.request("GET", "/api/ping", flood, new byte[0], false);
        Answer a = HostileHttp.exchange(f.server.port(), request);
        HostileChecks.assertSane(a, request);
        assertThat(a.status()).as("%s", a).isNotEqualTo(200);
    }

    @Test
    void aOneMegabyteHeaderIsAnsweredOrRefusedButNeverHangs() {
        List<Header> big = List.of(new Header("X-Big", "a".repeat(MB)));
        byte[] request = HostileHttp.request("POST", "/api/dtmsvr/prepare", big, "{}".getBytes(
                StandardCharsets.UTF_8), true);
        Answer a = HostileHttp.exchange(f.server.port(), request);
        HostileChecks.assertSane(a, request);
    }

    @Test
    void tenThousandStepsUnderTheBodyCapAre400() {
        byte[] body = saga(10_000, "").getBytes(StandardCharsets.UTF_8);
        assertThat(body.length).isLessThan(DtmServer.DEFAULT_MAX_BODY_BYTES);
        Answer a = HostileHttp.exchange(f.server.port(), HostileHttp.json("POST", SUBMIT, body));
        assertThat(a.status()).as("%s", a).isEqualTo(400);
        assertThat(HostileChecks.assertJson(a).path("message").asText()).contains("at most 99 steps, got 10000");
    }

    @Test
    void tenThousandStepsOverTheBodyCapAre413() {
        byte[] body = saga(10_000, "x".repeat(100)).getBytes(StandardCharsets.UTF_8);
        assertThat(body.length).isGreaterThan(DtmServer.DEFAULT_MAX_BODY_BYTES);
        Answer a = HostileHttp.exchange(f.server.port(), HostileHttp.json("POST", SUBMIT, body));
        assertThat(a.status()).as("%s", a).isEqualTo(413);
    }

    @Test
    void ninetyNineStepsAreTheMostAndAreStoredWhole() {
        Answer a = HostileHttp.exchange(f.server.port(), HostileHttp.json("POST", "/api/dtmsvr/prepare",
                saga(99, "p").replace("\"saga\"", "\"msg\"").replace(",\"compensate\":\"http://busi/c\"", "")
                        .getBytes(StandardCharsets.UTF_8)));
        assertThat(a.status()).as("%s", a).isEqualTo(200);
        assertThat(f.memory.findBranches("many-steps")).hasSize(99);
        HostileChecks.assertAllWhole(f.coordinator);
        f.memory.deleteAll(); // for the check that nothing else was stored
    }

    /** A saga of {@code steps} steps, each with {@code payload} as its payload (none when empty). */
    private static String saga(int steps, String payload) {
        StringBuilder b = new StringBuilder("{\"gid\":\"many-steps\",\"trans_type\":\"saga\",\"steps\":[");
        for (int i = 0; i < steps; i++) {
            b.append(i == 0 ? "" : ",").append("{\"action\":\"http://busi/a\",\"compensate\":\"http://busi/c\"}");
        }
        b.append(']');
        if (!payload.isEmpty()) {
            b.append(",\"payloads\":[");
            for (int i = 0; i < steps; i++) {
                b.append(i == 0 ? "" : ",").append('"').append(payload).append('"');
            }
            b.append(']');
        }
        return b.append('}').toString();
    }
}
