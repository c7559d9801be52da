package io.dtm4j.store.jdbc;

import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A child JVM writes from several threads and prints each gid once its insert has returned; the test kills it
 * with {@code destroyForcibly()} mid-stream and checks that every acknowledged gid is in the file.
 */
class SqliteCrashTest {

    private static final int ACKS_BEFORE_KILL = 200;
    private static final int CHILD_THREADS = 8;

    @TempDir
    Path dir;

    @Test
    void aKilledProcessLosesNoAcknowledgedWrite() throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                Writer.class.getName(), dir.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> acknowledged = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while (acknowledged.size() < ACKS_BEFORE_KILL && (line = out.readLine()) != null) {
                acknowledged.add(line);
            }
            // Killed while its threads are mid-insert; destroying also closes the pipe, so stop reading here.
            child.destroyForcibly();
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }

        assertThat(acknowledged).as("child output (is it running?)").hasSize(ACKS_BEFORE_KILL);
        try (JdbcTransactionStore store = JdbcTransactionStore.sqlite(dir)) {
            for (String gid : acknowledged) {
                assertThat(store.findGlobal(gid)).as(gid).isPresent();
            }
        }
    }

    /** The child process: inserts forever from several threads, printing each gid after its insert returned. */
    static final class Writer {
        private Writer() {
        }

        public static void main(String[] args) throws InterruptedException {
            JdbcTransactionStore store = JdbcTransactionStore.sqlite(Path.of(args[0]));
            Instant t = Instant.parse("2024-05-01T10:00:00Z");
            for (int n = 0; n < CHILD_THREADS; n++) {
                int thread = n;
                Thread w = new Thread(() -> {
                    for (int i = 0; ; i++) {
                        String gid = "aKilledProcessLosesNoAcknowledgedWrite-" + thread + "-" + i;
                        store.insert(new GlobalTransaction(0, gid, TransType.SAGA, GlobalStatus.SUBMITTED, "",
                                "http", t, t, Optional.empty(), Optional.empty(), TransOptions.DEFAULT, "",
                                Duration.ofSeconds(10), t, "", "", "", ""), List.of());
                        synchronized (System.out) {
                            System.out.println(gid);
                            System.out.flush();
                        }
                    }
                });
                w.start();
            }
            new CountDownLatch(1).await();
        }
    }
}
