package io.dtm4j.server;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The random source of one try of a hostile-input property: a {@link SplittableRandom} plus the few draws that
 * {@link HostileGen} needs (a number in a range, a weighted choice, an element, strings over an alphabet, bytes,
 * lists). Sizes lean small but reach the top of their range: see {@link #size(int, int)}. Not thread-safe; one per
 * try, made by {@link Tries}.
 */
final class HostileRandom {
    static final String LOWER = "abcdefghijklmnopqrstuvwxyz";
    static final String UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    static final String DIGITS = "0123456789";
    /** Chars that broke parsers, encoders or terminals somewhere, drawn more often than their share of 65,536. */
    private static final String ODD_CHARS = "\u0000\u007f\u0085\u00a0\u00e9\u2028\u202e\ud800\udc00\ufeff\uffff"
            + "\"\\%;'";

    private final SplittableRandom random;

    HostileRandom(SplittableRandom random) {
        this.random = random;
    }

    /** A number from {@code min} to {@code max}, both included, evenly. */
    int between(int min, int max) {
        return random.nextInt(min, max + 1);
    }

    boolean bool() {
        return random.nextBoolean();
    }

    /** Any byte, evenly. */
    byte anyByte() {
        return (byte) random.nextInt(256);
    }

    /** Any long half of the time, one of -1000..1000 otherwise. */
    long anyLong() {
        return random.nextBoolean() ? random.nextLong() : random.nextLong(-1000, 1001);
    }

    /** An index into {@code weights}, each drawn in proportion to its weight. */
    int weighted(int... weights) {
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        int n = random.nextInt(total);
        for (int i = 0; i < weights.length; i++) {
            n -= weights[i];
            if (n < 0) {
                return i;
            }
        }
        throw new IllegalStateException("weights " + Arrays.toString(weights));
    }

    /** One of {@code values}, evenly. */
    <T> T pick(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    /** One of the constants of {@code type}, evenly. */
    <E extends Enum<E>> E pick(Class<E> type) {
        E[] values = type.getEnumConstants();
        return values[random.nextInt(values.length)];
    }

    /**
     * A size from {@code min} to {@code max}: half of the draws even over the range, half even on a log scale, so
     * that short values are common and values near {@code max} still come up in a few hundred tries.
     */
    int size(int min, int max) {
        if (random.nextBoolean()) {
            return between(min, max);
        }
        double logSpan = Math.log(max - min + 1.0);
        return min + Math.min(max - min, (int) Math.floor(Math.exp(random.nextDouble() * logSpan)) - 1);
    }

    /** A string of {@link #size} {@code min..max} chars of {@code alphabet}. */
    String string(String alphabet, int min, int max) {
        int n = size(min, max);
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    /**
     * A string of {@link #size} {@code min..max} chars of any kind: printable ASCII, control chars, any UTF-16 code
     * unit (lone surrogates included), and a list of odd ones (NUL, BOM, U+2028, right-to-left override...).
     */
    String anyString(int min, int max) {
        int n = size(min, max);
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append(switch (weighted(4, 1, 2, 1)) {
                case 0 -> (char) between(0x20, 0x7e);
                case 1 -> (char) between(0, 0x1f);
                case 2 -> (char) between(0, 0xffff);
                default -> ODD_CHARS.charAt(random.nextInt(ODD_CHARS.length()));
            });
        }
        return b.toString();
    }

    /** {@link #size} {@code min..max} bytes of any value. */
    byte[] bytes(int min, int max) {
        byte[] b = new byte[size(min, max)];
        random.nextBytes(b);
        return b;
    }

    /** A list of {@link #size} {@code min..max} elements, each drawn by {@code element}. */
    <T> List<T> list(int min, int max, Supplier<T> element) {
        int n = size(min, max);
        List<T> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(element.get());
        }
        return out;
    }
}
