package io.dtm4j.bench;

import java.util.Locale;

/**
 * One figure checked against its target (issue 8): met, missed by how much, or not measured.
 *
 * @param figure   what is measured
 * @param scope    where (store, mode)
 * @param target   the target as text, e.g. {@code <= 2 (DTM: 4)}
 * @param measured the measured value as text
 * @param status   {@code met}, {@code missed: ...} or {@code not measured: ...}
 */
record Verdict(String figure, String scope, String target, String measured, String status) {

    /** A figure whose target is an upper bound. */
    static Verdict atMost(String figure, String scope, double limit, String targetNote, double value) {
        String target = "<= " + num(limit) + targetNote;
        if (Double.isNaN(value)) {
            return new Verdict(figure, scope, target, "-", "not measured");
        }
        if (shown(value) <= limit) {
            return new Verdict(figure, scope, target, num(value), "met");
        }
        return new Verdict(figure, scope, target, num(value), String.format(Locale.ROOT,
                "missed: %s over (%.0f%% above)", num(value - limit), 100 * (value - limit) / limit));
    }

    /** A figure whose target is a lower bound. */
    static Verdict atLeast(String figure, String scope, double limit, String targetNote, double value) {
        String target = ">= " + num(limit) + targetNote;
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return new Verdict(figure, scope, target, "-", "not measured");
        }
        if (shown(value) >= limit) {
            return new Verdict(figure, scope, target, num(value), "met");
        }
        return new Verdict(figure, scope, target, num(value), String.format(Locale.ROOT,
                "missed: %s short (%.0f%% below)", num(limit - value), 100 * (limit - value) / limit));
    }

    /** A figure reported without a target. */
    static Verdict reported(String figure, String scope, String measured) {
        return new Verdict(figure, scope, "(reported)", measured, "-");
    }

    /** A figure that could not be measured, and why. */
    static Verdict notMeasured(String figure, String scope, String target, String why) {
        return new Verdict(figure, scope, target, "-", "not measured: " + why);
    }

    /** Replaces the status with a note in front of it, e.g. when the measurement is only a proxy. */
    Verdict withNote(String note) {
        return new Verdict(figure, scope, target, measured, status + " (" + note + ")");
    }

    /** Replaces the measured text, e.g. to give a unit. */
    Verdict withMeasured(String text) {
        return new Verdict(figure, scope, target, text, status);
    }

    /** The value as {@link #num} shows it, so that a verdict never contradicts the number beside it. */
    private static double shown(double v) {
        double a = Math.abs(v);
        double scale = a < 10 ? 100 : a < 100 ? 10 : 1;
        return Math.round(v * scale) / scale;
    }

    /** Two decimals below 10, one below 100, none above. */
    static String num(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        double a = Math.abs(v);
        return String.format(Locale.ROOT, a < 10 ? "%.2f" : a < 100 ? "%.1f" : "%,.0f", v);
    }
}
