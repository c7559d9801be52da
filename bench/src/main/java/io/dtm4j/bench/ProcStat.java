package io.dtm4j.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * CPU time and memory of processes from {@code /proc} (Linux): {@code utime + stime} of {@code /proc/<pid>/stat}
 * in clock ticks, turned into microseconds; {@code VmRSS} and {@code VmHWM} of {@code /proc/<pid>/status}. The most
 * robust efficiency figure on a shared 2-core machine (spec performance.md 4.2): it barely moves when neighbours
 * slow the run down. Stateless.
 */
final class ProcStat {
    private static final long TICKS_PER_SECOND = clockTicks();

    private ProcStat() {
    }

    /** CPU time used so far by process {@code pid} (all its threads), in microseconds; -1 when it is gone. */
    static long cpuMicros(long pid) {
        try {
            return ticksToMicros(utimePlusStime(Files.readString(Path.of("/proc", Long.toString(pid), "stat"))));
        } catch (IOException e) {
            return -1;
        }
    }

    /** CPU time used so far by every process whose command name is one of {@code names}, in microseconds. */
    static long cpuMicrosOf(Set<String> names) {
        long ticks = 0;
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    if (names.contains(comm)) {
                        ticks += utimePlusStime(stat);
                    }
                } catch (IOException | RuntimeException e) {
                    // the process ended while we looked
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return ticksToMicros(ticks);
    }

    /** {@code VmRSS} and {@code VmHWM} of {@code pid} in KiB; empty when unreadable. */
    static Map<String, Long> memoryKib(long pid) {
        Map<String, Long> m = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"),
                    StandardCharsets.UTF_8)) {
                if (line.startsWith("VmRSS:") || line.startsWith("VmHWM:")) {
                    m.put(line.substring(0, 5), Long.parseLong(line.replaceAll("[^0-9]", "")));
                }
            }
        } catch (IOException | RuntimeException e) {
            // reported as missing
        }
        return m;
    }

    private static long utimePlusStime(String stat) {
        // fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static long ticksToMicros(long ticks) {
        return ticks * 1_000_000L / TICKS_PER_SECOND;
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            p.waitFor();
            return Long.parseLong(out);
        } catch (IOException | RuntimeException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
