package io.dtm4j.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;
import ch.qos.logback.core.rolling.FixedWindowRollingPolicy;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy;
import ch.qos.logback.core.util.FileSize;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.dtm4j.server.ConfigLoader.ConfigException;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Configures Logback programmatically at start-up from the {@code Log.*} settings: level, outputs
 * ({@code stderr}, {@code stdout}, file paths), size-based rotation of file outputs, and the text or JSON format.
 * One line per event. Replaces whatever appenders the root logger had (logback.xml's stderr appender).
 */
final class LogSetup {

    static final String TEXT = "text";
    static final String JSON = "json";
    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{0} - %msg%n";
    /** The MDC key of the transaction id. */
    static final String GID = "gid";

    /**
     * The {@code Log.*} settings other than the level.
     *
     * @param outputs       {@code Log.Outputs}: {@code stderr}, {@code stdout} or file paths; never empty
     * @param format        {@code Log.Format}: text or json
     * @param rotation      {@code Log.RotationEnable}: rotate file outputs by size
     * @param maxFileSizeMb {@code Log.MaxFileSize} (or maxsize of {@code Log.RotationConfigJSON}), in MB
     * @param maxHistory    {@code Log.MaxHistory} (or maxbackups of {@code Log.RotationConfigJSON}): rotated files kept
     */
    record Settings(List<String> outputs, String format, boolean rotation, int maxFileSizeMb, int maxHistory) {
        static final int DEFAULT_MAX_FILE_SIZE_MB = 100;
        static final int DEFAULT_MAX_HISTORY = 7;

        Settings {
            outputs = List.copyOf(outputs);
        }

        static Settings defaults() {
            return new Settings(List.of("stderr"), TEXT, false, DEFAULT_MAX_FILE_SIZE_MB, DEFAULT_MAX_HISTORY);
        }

        String summary() {
            return "Log.Outputs=" + String.join(",", outputs) + " Log.Format=" + format + " Log.RotationEnable="
                    + (rotation ? 1 : 0) + " Log.MaxFileSize=" + maxFileSizeMb + "MB Log.MaxHistory=" + maxHistory;
        }
    }

    private LogSetup() {
    }

    /**
     * Applies the level and the outputs. Does nothing when slf4j is not bound to Logback.
     *
     * @throws ConfigException when a file output cannot be opened
     */
    static void apply(String level, Settings s) throws ConfigException {
        ILoggerFactory f = LoggerFactory.getILoggerFactory();
        if (!(f instanceof LoggerContext ctx)) {
            return;
        }
        ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        root.setLevel(Level.toLevel(level, Level.INFO));
        // The pool's own start/stop lines would repeat ours; its warnings still show.
        ctx.getLogger("com.zaxxer.hikari").setLevel(Level.WARN);
        // The audit trail is kept whatever the log level: an operator action must never go unrecorded.
        ctx.getLogger(Audit.LOGGER).setLevel(Level.INFO);
        ConfigException failed = null;
        for (String out : s.outputs()) {
            OutputStreamAppender<ILoggingEvent> a = appender(ctx, out, s);
            if (a.isStarted()) {
                root.addAppender(a);
            } else if (failed == null) {
                failed = new ConfigException("Log.Outputs: cannot open the log file '" + out + "'");
            }
        }
        if (failed != null) {
            if (!root.iteratorForAppenders().hasNext()) {
                root.addAppender(appender(ctx, "stderr", s)); // so that the failure itself can still be seen
            }
            throw failed;
        }
    }

    private static OutputStreamAppender<ILoggingEvent> appender(LoggerContext ctx, String out, Settings s) {
        OutputStreamAppender<ILoggingEvent> a;
        switch (out) {
            case "stderr", "stdout" -> {
                ConsoleAppender<ILoggingEvent> c = new ConsoleAppender<>();
                c.setTarget(out.equals("stderr") ? "System.err" : "System.out");
                a = c;
            }
            default -> {
                if (s.rotation()) {
                    RollingFileAppender<ILoggingEvent> r = new RollingFileAppender<>();
                    r.setContext(ctx);
                    r.setFile(out);
                    FixedWindowRollingPolicy p = new FixedWindowRollingPolicy();
                    p.setContext(ctx);
                    p.setParent(r);
                    p.setFileNamePattern(out + ".%i");
                    p.setMinIndex(1);
                    p.setMaxIndex(s.maxHistory());
                    p.start();
                    SizeBasedTriggeringPolicy<ILoggingEvent> t = new SizeBasedTriggeringPolicy<>();
                    t.setContext(ctx);
                    t.setMaxFileSize(new FileSize((long) s.maxFileSizeMb() * FileSize.MB_COEFFICIENT));
                    // Logback looks at the file's size at most this often (its default is 60 s)
                    t.setCheckIncrement(ch.qos.logback.core.util.Duration.buildBySeconds(1));
                    t.start();
                    r.setRollingPolicy(p);
                    r.setTriggeringPolicy(t);
                    a = r;
                } else {
                    FileAppender<ILoggingEvent> fa = new FileAppender<>();
                    fa.setFile(out);
                    fa.setAppend(true);
                    a = fa;
                }
            }
        }
        a.setContext(ctx);
        a.setName(out);
        a.setEncoder(encoder(ctx, s.format()));
        a.start();
        return a;
    }

    private static Encoder<ILoggingEvent> encoder(LoggerContext ctx, String format) {
        EncoderBase<ILoggingEvent> e;
        if (JSON.equals(format)) {
            e = new JsonLineEncoder();
        } else {
            PatternLayoutEncoder p = new PatternLayoutEncoder();
            p.setPattern(PATTERN);
            p.setCharset(StandardCharsets.UTF_8);
            e = p;
        }
        e.setContext(ctx);
        e.start();
        return e;
    }

    /**
     * One JSON object per line: time, level, logger, thread, message (formatted), gid (from the MDC, else from a
     * message starting {@code gid=...}), other MDC entries, and error (the stack trace) when there is one.
     */
    static final class JsonLineEncoder extends EncoderBase<ILoggingEvent> {
        private static final JsonFactory JSON_FACTORY = new JsonFactory();
        private static final byte[] NONE = new byte[0];

        @Override
        public byte[] headerBytes() {
            return NONE;
        }

        @Override
        public byte[] footerBytes() {
            return NONE;
        }

        @Override
        public byte[] encode(ILoggingEvent ev) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
            String message = ev.getFormattedMessage();
            Map<String, String> mdc = ev.getMDCPropertyMap();
            String gid = mdc == null ? null : mdc.get(GID);
            if (gid == null) {
                gid = gidOf(message);
            }
            try (JsonGenerator g = JSON_FACTORY.createGenerator(buf)) {
                g.writeStartObject();
                g.writeStringField("time", Instant.ofEpochMilli(ev.getTimeStamp()).toString());
                g.writeStringField("level", ev.getLevel().toString());
                g.writeStringField("logger", ev.getLoggerName());
                g.writeStringField("thread", ev.getThreadName());
                g.writeStringField("message", message);
                if (gid != null) {
                    g.writeStringField(GID, gid);
                }
                if (mdc != null) {
                    for (Map.Entry<String, String> m : mdc.entrySet()) {
                        if (!GID.equals(m.getKey()) && !isReserved(m.getKey())) {
                            g.writeStringField(m.getKey(), m.getValue());
                        }
                    }
                }
                if (ev.getThrowableProxy() != null) {
                    g.writeStringField("error", ThrowableProxyUtil.asString(ev.getThrowableProxy()));
                }
                g.writeEndObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            buf.write('\n');
            return buf.toByteArray();
        }

        private static boolean isReserved(String key) {
            return switch (key) {
                case "time", "level", "logger", "thread", "message", "error" -> true;
                default -> false;
            };
        }

        /** dtm-core's transaction lines start {@code gid=<gid> }. */
        static String gidOf(String message) {
            if (message == null || !message.startsWith("gid=")) {
                return null;
            }
            int end = 4;
            while (end < message.length() && !Character.isWhitespace(message.charAt(end))
                    && message.charAt(end) != ',' && message.charAt(end) != ':') {
                end++;
            }
            return end > 4 ? message.substring(4, end) : null;
        }
    }
}
