package io.dtm4j.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the machine is (cores, memory, kernel, JDK) and how fast its disk makes a write durable, measured before and
 * after the matrix (spec performance.md 4.6: a sitting whose calibrations differ by more than 20% is suspect).
 * Stateless.
 */
final class Machine {
    private static final int BLOCK = 4096;

    /** One fsync calibration: {@code count} appends of 4 KiB, each followed by {@code force(false)}. */
    record Fsync(int count, double perSecond, double p50Micros, double p99Micros) {
    }

    private Machine() {
    }

    /** Cores, memory, kernel, OS, CPU model, JDK and load, for the report. */
    static Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("cores (nproc)", Integer.toString(Runtime.getRuntime().availableProcessors()));
        m.put("CPU", firstValue(Path.of("/proc/cpuinfo"), "model name"));
        m.put("memory", String.format("%.1f GiB", kib(firstValue(Path.of("/proc/meminfo"), "MemTotal")) / 1048576.0));
        m.put("kernel", read(Path.of("/proc/sys/kernel/osrelease")));
        m.put("OS", firstValue(Path.of("/etc/os-release"), "PRETTY_NAME").replace("\"", ""));
        m.put("JDK", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("load average at start", read(Path.of("/proc/loadavg")));
        return m;
    }

    /** Measures {@code count} durable 4 KiB appends in {@code dir}, one after another. */
    static Fsync fsync(Path dir, int count) {
        Path file = dir.resolve("fsync-calibration.bin");
        long[] micros = new long[count];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer block = ByteBuffer.allocateDirect(BLOCK);
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                long t0 = System.nanoTime();
                block.clear();
                ch.write(block);
                ch.force(false);
                micros[i] = (System.nanoTime() - t0) / 1000;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Arrays.sort(micros);
            return new Fsync(count, count / seconds, micros[count / 2], micros[(int) (count * 0.99)]);
        } catch (IOException e) {
            throw new UncheckedIOException("fsync calibration in " + dir + " failed", e);
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // the work directory goes at the end anyway
            }
        }
    }

    private static String firstValue(Path file, String key) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (String line : lines) {
                int sep = line.indexOf(line.contains(":") && !line.contains("=") ? ':' : '=');
                if (sep > 0 && line.substring(0, sep).trim().equals(key)) {
                    return line.substring(sep + 1).trim();
                }
            }
        } catch (IOException e) {
            // reported as unknown
        }
        return "unknown";
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static double kib(String meminfo) {
        try {
            return Double.parseDouble(meminfo.replaceAll("[^0-9]", ""));
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
