package io.dtm4j.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/** What the example mains share: the amount, the store, the report and the exit code. */
final class Examples {
    /** The canonical transfer: 30 from user 1 to user 2. */
    static final long AMOUNT = 30;
    /** Where the remote examples look for a DTM server unless told otherwise. */
    static final String DEFAULT_SERVER = "http://127.0.0.1:36789/api/dtmsvr";

    private Examples() {
    }

    /** A body of the example, returning what it did. */
    @FunctionalInterface
    interface Body {
        TransferResult run() throws Exception;
    }

    /**
     * Runs an example, prints its report and returns the exit code: 0 when 30 moved from user 1 to user 2,
     * 1 when it did not, 2 when it threw.
     */
    static int runAndReport(String name, String setting, Body body, PrintStream out, PrintStream err) {
        out.println(name + ": transfer " + AMOUNT + " from user " + BankService.TRANS_OUT_USER + " to user "
                + BankService.TRANS_IN_USER + " (" + setting + ")");
        TransferResult r;
        try {
            r = body.run();
        } catch (Exception e) {
            err.println(name + ": FAILED: " + e);
            return 2;
        }
        out.println("  before: " + format(r.before()));
        out.println("  gid=" + r.gid() + ": " + r.status());
        out.println("  after:  " + format(r.after()));
        boolean ok = r.moved(AMOUNT);
        (ok ? out : err).println(name + (ok ? ": OK" : ": FAILED: the balances did not move by " + AMOUNT));
        return ok ? 0 : 1;
    }

    private static String format(Map<Integer, Long> balances) {
        return "user " + BankService.TRANS_OUT_USER + " = " + balances.get(BankService.TRANS_OUT_USER) + ", user "
                + BankService.TRANS_IN_USER + " = " + balances.get(BankService.TRANS_IN_USER);
    }

    /** A body of an embedded example: runs it with the coordinator's store in a directory. */
    @FunctionalInterface
    interface StoreBody {
        TransferResult run(Path storeDir) throws Exception;
    }

    /**
     * The main of an embedded example: the store directory is {@code args[0]}, or a temporary one deleted at
     * the end; prints the report and exits 0 when the money moved, 1 when it did not, 2 on an error.
     */
    static void mainEmbedded(String name, String[] args, StoreBody body) {
        Path dir = args.length > 0 ? Path.of(args[0]) : tempDir();
        int code = runAndReport(name, describeStore(dir), () -> body.run(dir), System.out, System.err);
        if (args.length == 0) {
            deleteQuietly(dir);
        }
        System.exit(code);
    }

    /** Describes the store {@link EmbeddedNode#open} opens, for the report. */
    static String describeStore(Path dir) {
        return "SQLite store in " + dir;
    }

    /** Returns {@code args[i]}, or {@code fallback} when there are fewer arguments. */
    static String arg(String[] args, int i, String fallback) {
        return args.length > i && !args[i].isBlank() ? args[i] : fallback;
    }

    /** Creates a temporary directory for the store. */
    static Path tempDir() {
        try {
            return Files.createTempDirectory("dtm4j-example");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory for the store; set java.io.tmpdir", e);
        }
    }

    /** Deletes a temporary directory with its files, best effort. */
    static void deleteQuietly(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temporary file is harmless
        }
    }
}
