package io.dtm4j.server;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Runs one property of the hostile-input tests: a bounded number of tries, each drawing its input from a
 * {@link HostileRandom} of its own, split in turn from one seed, then checking it. The seed is printed before the
 * first try and is part of every failure, with the try's number and its input (cut at 2,000 chars), so that a
 * failure replays exactly: {@code -Ddtm.hostile.seed=S -Ddtm.hostile.try=N} draws the same input for try N and runs
 * only that try. There is no shrinking: a failing input is reported as drawn.
 *
 * <p>System properties: {@code dtm.hostile.seed} (default {@code System.nanoTime()}), {@code dtm.hostile.tries}
 * (the tries of every property; default each property's own count), {@code dtm.hostile.try} (run only that try,
 * counted from 1). Not thread-safe; one per run of a property.
 */
final class Tries {
    static final String SEED = "dtm.hostile.seed";
    static final String TRIES = "dtm.hostile.tries";
    static final String ONLY = "dtm.hostile.try";
    private static final int MAX_INPUT_CHARS = 2000;

    /** What a try checks about its input; an exception or an assertion error fails the try. */
    @FunctionalInterface
    interface Check<T> {
        void accept(T input) throws Exception;
    }

    private final String property;
    private final long seed;
    private final int count;
    private final Map<String, Integer> labels = new TreeMap<>();

    private Tries(String property, long seed, int count) {
        this.property = property;
        this.seed = seed;
        this.count = count;
    }

    /**
     * A run of {@code property}, named as {@code -Dtest} takes it ({@code Class#method}), with {@code tries} tries
     * unless {@code dtm.hostile.tries} says otherwise.
     */
    static Tries of(String property, int tries) {
        int count = intProperty(TRIES, tries);
        if (count < 1) {
            throw new IllegalArgumentException(TRIES + " must be at least 1, got " + count);
        }
        String seed = System.getProperty(SEED, "").trim();
        return new Tries(property, seed.isEmpty() ? System.nanoTime() : parse(SEED, seed, Long::parseLong), count);
    }

    /** Counts one outcome of the current try (an answer's status, say); the counts are printed after the last try. */
    void label(String outcome) {
        labels.merge(outcome, 1, Integer::sum);
    }

    /**
     * Runs the tries: each draws an input with {@code generate} and checks it with {@code check}.
     *
     * @throws AssertionError for the first try that fails, naming the seed, the try and its input
     */
    <T> void forAll(Function<HostileRandom, T> generate, Check<T> check) {
        int only = intProperty(ONLY, 0);
        if (only < 0 || only > count) {
            throw new IllegalArgumentException(ONLY + "=" + only + " is not one of the tries 1.." + count);
        }
        System.out.printf("%s: seed %d, %s%n", property, seed, only == 0 ? count + " tries" : "only try " + only);
        SplittableRandom root = new SplittableRandom(seed);
        for (int n = 1; n <= count; n++) {
            // split for every try, run or not, so that try n draws the same input when it runs alone
            SplittableRandom random = root.split();
            if (only == 0 || n == only) {
                run(n, new HostileRandom(random), generate, check);
            }
        }
        System.out.printf("%s: seed %d, passed%s%n", property, seed, labels.isEmpty() ? "" : ", outcomes " + labels);
    }

    private <T> void run(int n, HostileRandom random, Function<HostileRandom, T> generate, Check<T> check) {
        Object input = "(failed while drawing it)";
        try {
            T drawn = generate.apply(random);
            input = drawn;
            check.accept(drawn);
        } catch (AssertionError | Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new AssertionError(failure(n, input, e), e);
        }
    }

    private String failure(int n, Object input, Throwable cause) {
        return property + ": try " + n + " of " + count + " failed (seed " + seed + ")\n"
                + "  input: " + printable(String.valueOf(input)) + "\n"
                + "  replay: -Dtest='" + property + "' -D" + SEED + "=" + seed + " -D" + ONLY + "=" + n + "\n"
                + "  " + cause;
    }

    /** The first 2,000 chars, everything but printable ASCII escaped (NUL, CR, LF, lone surrogates, RTL marks). */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(s.length(), MAX_INPUT_CHARS); i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
        }
        return s.length() > MAX_INPUT_CHARS ? b + "...(" + s.length() + " chars)" : b.toString();
    }

    private static int intProperty(String name, int otherwise) {
        String v = System.getProperty(name, "").trim();
        return v.isEmpty() ? otherwise : parse(name, v, Integer::parseInt);
    }

    private static <N> N parse(String name, String value, Function<String, N> parser) {
        try {
            return parser.apply(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + name + "=" + value + " is not a whole number", e);
        }
    }
}
