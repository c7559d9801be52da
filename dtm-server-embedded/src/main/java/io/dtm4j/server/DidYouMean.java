package io.dtm4j.server;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/**
 * Suggests the known word closest to a mistyped one (a config key, a driver name), for error messages such as
 * {@code unknown key (did you mean 'Store.Driver'?)}. Case is ignored; a suggestion is made only within a
 * distance that grows with the length of the word (1 edit for short words, at most 3), so unrelated words get
 * none. Stateless.
 */
final class DidYouMean {
    private static final int MAX_EDITS = 3;

    private DidYouMean() {
    }

    /**
     * Returns the candidate closest to {@code typed} ({@link #distance}, case-insensitive), if one is close
     * enough; the first of equally close ones, in {@code candidates}' order. A candidate equal to {@code typed}
     * is never suggested.
     */
    static Optional<String> closest(String typed, Collection<String> candidates) {
        String t = typed.toLowerCase(Locale.ROOT);
        int allowed = Math.min(MAX_EDITS, Math.max(1, t.length() / 4));
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            if (c.equals(typed)) {
                continue;
            }
            int d = distance(t, c.toLowerCase(Locale.ROOT));
            if (d <= allowed && d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        return Optional.ofNullable(best);
    }

    /** {@code " (did you mean 'x'?)"}, or empty when nothing is close. */
    static String hint(String typed, Collection<String> candidates) {
        return closest(typed, candidates).map(c -> " (did you mean '" + c + "'?)").orElse("");
    }

    /**
     * The optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two neighbours
     * (the commonest typo, {@code jsno}) each count one.
     */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(d[i - 1][j - 1] + cost, Math.min(d[i - 1][j], d[i][j - 1]) + 1);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
