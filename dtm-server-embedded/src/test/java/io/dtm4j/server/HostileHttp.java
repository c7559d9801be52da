package io.dtm4j.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A raw HTTP/1.1 client over a plain socket, for requests that {@code java.net.http} refuses to send: any method,
 * target, header and body bytes, wrong or missing lengths. One request per connection; the client half-closes its
 * side after writing, so a server waiting for bytes that were declared but never sent sees the end of the stream at
 * once instead of waiting for its read timeout. Every wait is bounded: a server that does not answer within
 * {@link #ANSWER_TIMEOUT} fails the test as a hang. Stateless and thread-safe.
 */
final class HostileHttp {
    /** Longest wait for an answer; the server's own read timeout is 30 s, so a hang shows up long before. */
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_HEAD = 64 * 1024;
    private static final int MAX_BODY = 4 * 1024 * 1024;

    private HostileHttp() {
    }

    /**
     * An answer, or none: {@code status} is -1 when the server closed the connection without a complete status
     * line and headers.
     *
     * @param headers lower-case names to their values
     */
    record Answer(int status, Map<String, List<String>> headers, byte[] body) {
        static final Answer CLOSED = new Answer(-1, Map.of(), new byte[0]);

        boolean closed() {
            return status < 0;
        }

        Optional<String> header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
        }

        /** True when ApiHandler wrote it (it sets nosniff on every reply); false for the JDK server's own. */
        boolean fromDtm() {
            return header("X-Content-Type-Options").isPresent();
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            String t = text();
            return closed() ? "(connection closed, no answer)"
                    : status + " " + headers.getOrDefault("content-type", List.of()) + " "
                    + (t.length() > 300 ? t.substring(0, 300) + "..." : t);
        }
    }

    /** One request header line, sent as its UTF-8 bytes (a non-Latin-1 value arrives as several odd chars). */
    record Header(String name, String value) {
        @Override
        public String toString() {
            return name + ": " + (value.length() > 40 ? value.substring(0, 40) + "...(" + value.length() + ")" : value);
        }
    }

    /**
     * The bytes of a request: {@code METHOD target HTTP/1.1}, {@code Host}, then the headers as given, then the
     * body. {@code Content-Length} is added only when {@code addLength} is true.
     */
    static byte[] request(String method, String target, List<Header> headers, byte[] body, boolean addLength) {
        StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1\r\n");
        for (Header h : headers) {
            head.append(h.name()).append(": ").append(h.value()).append("\r\n");
        }
        if (addLength) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        byte[] h = head.toString().getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[h.length + body.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(body, 0, out, h.length, body.length);
        return out;
    }

    /** A well-formed request with a JSON body (or none) and a correct length. */
    static byte[] json(String method, String target, byte[] body) {
        List<Header> h = body.length == 0 ? List.of() : List.of(new Header("Content-Type", "application/json"));
        return request(method, target, h, body, body.length > 0 || "POST".equals(method));
    }

    /**
     * Sends the bytes on a new connection to 127.0.0.1:{@code port}, half-closes, and reads one answer (skipping
     * {@code 100 Continue}).
     *
     * @throws AssertionError when no answer and no close came within {@link #ANSWER_TIMEOUT}
     */
    static Answer exchange(int port, byte[] request) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout((int) ANSWER_TIMEOUT.toMillis());
            try {
                OutputStream out = s.getOutputStream();
                out.write(request);
                out.flush();
                s.shutdownOutput();
            } catch (IOException serverStoppedReading) {
                // it may have answered already (413, or the JDK's 4xx): read what it said
            }
            return read(s.getInputStream());
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no answer and no close within " + ANSWER_TIMEOUT.toSeconds() + " s: a hang", e);
        } catch (IOException e) {
            return Answer.CLOSED; // reset or refused mid-way: the server dropped the connection
        }
    }

    private static Answer read(InputStream in) throws IOException {
        while (true) {
            Optional<String> head = readHead(in);
            if (head.isEmpty()) {
                return Answer.CLOSED;
            }
            String[] lines = head.get().split("\r\n");
            String[] statusLine = lines[0].split(" ", 3);
            if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
                throw new AssertionError("not an HTTP status line: " + lines[0]);
            }
            int status = Integer.parseInt(statusLine[1]);
            Map<String, List<String>> headers = headers(lines);
            if (status >= 100 && status < 200) {
                continue;
            }
            return new Answer(status, headers, body(in, headers));
        }
    }

    private static Map<String, List<String>> headers(String[] lines) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.computeIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        k -> new ArrayList<>()).add(lines[i].substring(colon + 1).trim());
            }
        }
        return headers;
    }

    /** The status line and headers, without the blank line; empty when the stream ended first. */
    private static Optional<String> readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int matched = 0;
        int c;
        while (matched < 4 && (c = in.read()) != -1) {
            b.write(c);
            matched = (c == '\r' && matched % 2 == 0) || (c == '\n' && matched % 2 == 1) ? matched + 1 : 0;
            if (b.size() > MAX_HEAD) {
                throw new AssertionError("answer head over " + MAX_HEAD + " bytes");
            }
        }
        if (matched < 4) {
            return Optional.empty();
        }
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return Optional.of(s.substring(0, s.length() - 4));
    }

    private static byte[] body(InputStream in, Map<String, List<String>> headers) throws IOException {
        List<String> length = headers.get("content-length");
        if (length != null) {
            int n = Integer.parseInt(length.get(0));
            if (n > MAX_BODY) {
                throw new AssertionError("answer body of " + n + " bytes");
            }
            return in.readNBytes(n);
        }
        List<String> te = headers.get("transfer-encoding");
        if (te != null && te.get(0).equalsIgnoreCase("chunked")) {
            return chunked(in);
        }
        return new byte[0]; // HEAD, or a status without a body
    }

    private static byte[] chunked(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            int size = Integer.parseInt(line.toString().split(";")[0].trim(), 16);
            if (size == 0 || out.size() + size > MAX_BODY) {
                return out.toByteArray();
            }
            out.write(in.readNBytes(size));
            in.readNBytes(2);
        }
    }
}
