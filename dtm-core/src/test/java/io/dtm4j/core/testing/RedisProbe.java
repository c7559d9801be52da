package io.dtm4j.core.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A minimal Redis client over a plain socket (RESP 2, JDK only) for tests that look at a Redis server from
 * outside the store under test: emptying a key prefix, reading {@code INFO commandstats}, and watching the
 * commands of other clients with {@code MONITOR}. Not a store client; not thread-safe.
 */
public final class RedisProbe implements AutoCloseable {

    private static final int TIMEOUT_MILLIS = 10_000;
    private static final Pattern CMDSTAT = Pattern.compile("calls=(\\d+)");

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RedisProbe(String host, int port) {
        try {
            socket = new Socket();
            socket.connect(new InetSocketAddress(host, port), TIMEOUT_MILLIS);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        } catch (IOException e) {
            throw new UncheckedIOException("is Redis running at " + host + ":" + port + "?", e);
        }
    }

    /** Connects to Redis at {@code host:port}. */
    public static RedisProbe connect(String host, int port) {
        return new RedisProbe(host, port);
    }

    /** Sends one command and returns its reply: String, Long, List of replies, or null. */
    public Object call(String... args) {
        send(args);
        return read();
    }

    /** This connection's address as the server sees it ({@code ip:port}), as {@code MONITOR} names clients. */
    public String clientAddress() {
        for (String field : ((String) call("CLIENT", "INFO")).trim().split(" ")) {
            if (field.startsWith("addr=")) {
                return field.substring("addr=".length());
            }
        }
        throw new IllegalStateException("CLIENT INFO has no addr");
    }

    /** Deletes every key matching the glob {@code pattern}; returns how many. */
    public long deleteKeys(String pattern) {
        long deleted = 0;
        String cursor = "0";
        do {
            List<?> reply = (List<?>) call("SCAN", cursor, "MATCH", pattern, "COUNT", "1000");
            cursor = (String) reply.get(0);
            List<?> keys = (List<?>) reply.get(1);
            if (!keys.isEmpty()) {
                List<String> del = new ArrayList<>();
                del.add("DEL");
                keys.forEach(k -> del.add((String) k));
                deleted += (Long) call(del.toArray(String[]::new));
            }
        } while (!cursor.equals("0"));
        return deleted;
    }

    /** The {@code calls} of every command in {@code INFO commandstats}, by lower-case name ({@code evalsha}). */
    public Map<String, Long> commandCalls() {
        Map<String, Long> calls = new HashMap<>();
        for (String line : ((String) call("INFO", "commandstats")).split("\r\n")) {
            if (line.startsWith("cmdstat_")) {
                Matcher m = CMDSTAT.matcher(line);
                if (m.find()) {
                    calls.put(line.substring("cmdstat_".length(), line.indexOf(':')), Long.parseLong(m.group(1)));
                }
            }
        }
        return calls;
    }

    /**
     * Turns this connection into a {@code MONITOR} and starts a daemon thread that queues every line the server
     * echoes; the connection takes no other command afterwards.
     */
    public Monitor monitor() {
        Object ok = call("MONITOR");
        if (!"OK".equals(ok)) {
            throw new IllegalStateException("MONITOR answered " + ok);
        }
        try {
            socket.setSoTimeout(0); // a quiet server is no error for a monitor
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Monitor m = new Monitor();
        Thread t = new Thread(m::pump, "dtm-test-redis-monitor");
        t.setDaemon(true);
        t.start();
        return m;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One command as {@code MONITOR} shows it: the client address ({@code lua} inside a script) and the args. */
    public record Command(String client, List<String> args) {
        private static final Pattern LINE = Pattern.compile("^[0-9.]+ \\[\\d+ ([^\\]]+)\\] (.*)$");

        static Command parse(String line) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                return new Command("?", List.of(line));
            }
            return new Command(m.group(1), quoted(m.group(2)));
        }

        /** The double-quoted arguments of a MONITOR line, escapes kept (a regex overflows on long payloads). */
        private static List<String> quoted(String text) {
            List<String> args = new ArrayList<>();
            StringBuilder arg = null;
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (arg == null) {
                    if (c == '"') {
                        arg = new StringBuilder();
                    }
                } else if (c == '\\' && i + 1 < text.length()) {
                    arg.append(c).append(text.charAt(++i));
                } else if (c == '"') {
                    args.add(arg.toString());
                    arg = null;
                } else {
                    arg.append(c);
                }
            }
            return args;
        }

        /** The command name in upper case, e.g. {@code EVALSHA}. */
        public String name() {
            return args.isEmpty() ? "" : args.get(0).toUpperCase(Locale.ROOT);
        }

        /** True when an argument contains {@code text} (a key prefix, say). */
        public boolean mentions(String text) {
            return args.stream().anyMatch(s -> s.contains(text));
        }
    }

    /** The lines of a {@code MONITOR} connection. */
    public final class Monitor {
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        private void pump() {
            try {
                while (true) {
                    lines.add(String.valueOf(read()));
                }
            } catch (RuntimeException e) {
                // the socket was closed: the monitor is over
            }
        }

        /**
         * Returns the commands seen until an {@code ECHO marker} sent by another connection shows up (which
         * orders them: every command that finished before that ECHO was sent is included).
         */
        public List<Command> until(String marker, Duration timeout) throws InterruptedException {
            List<Command> seen = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    throw new IllegalStateException("MONITOR did not show ECHO " + marker + " within " + timeout);
                }
                Command c = Command.parse(line);
                if (c.name().equals("ECHO") && c.mentions(marker)) {
                    return seen;
                }
                seen.add(c);
            }
        }
    }

    private void send(String... args) {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.write(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            for (String a : args) {
                byte[] bytes = a.getBytes(StandardCharsets.UTF_8);
                b.write(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
                b.write(bytes);
                b.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.write(b.toByteArray());
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Object read() {
        try {
            int type = in.read();
            String line = line();
            switch (type) {
                case '+':
                    return line;
                case '-':
                    throw new IllegalStateException("Redis error: " + line);
                case ':':
                    return Long.parseLong(line);
                case '$':
                    return bulk(Integer.parseInt(line));
                case '*':
                    int n = Integer.parseInt(line);
                    if (n < 0) {
                        return null;
                    }
                    List<Object> items = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        items.add(read());
                    }
                    return items;
                default:
                    throw new IllegalStateException("unexpected RESP type " + type + " (connection closed?)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String bulk(int length) throws IOException {
        if (length < 0) {
            return null;
        }
        byte[] data = in.readNBytes(length + 2);
        return new String(data, 0, length, StandardCharsets.UTF_8);
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != '\r') {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            b.write(c);
        }
        in.read(); // '\n'
        return b.toString(StandardCharsets.UTF_8);
    }
}
