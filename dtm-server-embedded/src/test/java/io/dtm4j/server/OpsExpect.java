package io.dtm4j.server;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a block of the guide must do, from the {@code <!-- expect: ... -->} comment before it: clauses separated
 * by {@code ;}: {@code exit <n>}, {@code stdout contains "<text>"}, {@code stderr contains "<text>"},
 * {@code serves} (a server in the foreground: wait for {@code /api/ping}, SIGTERM, exit 0) and {@code metrics}
 * (the block prints a scrape, which must hold every metric the guide names). Without a comment: exit 0.
 *
 * @param exit           the exit status
 * @param stdoutContains texts the standard output must contain
 * @param stderrContains texts the standard error must contain
 * @param serves         the block runs a server in the foreground
 * @param metrics        the block prints {@code /api/metrics}
 */
record OpsExpect(int exit, List<String> stdoutContains, List<String> stderrContains, boolean serves,
                 boolean metrics) {
    private static final Pattern CLAUSE = Pattern.compile("\\s*(?:exit\\s+(\\d+)"
            + "|(stdout|stderr)\\s+contains\\s+\"((?:[^\"\\\\]|\\\\.)*)\"|(serves)|(metrics))\\s*(?:;|$)");

    OpsExpect {
        stdoutContains = List.copyOf(stdoutContains);
        stderrContains = List.copyOf(stderrContains);
    }

    /** The expectation of a block. */
    static OpsExpect of(OpsGuide.Block block) {
        return block.comment("expect").map(c -> parse(c, block)).orElse(new OpsExpect(0, List.of(), List.of(),
                false, false));
    }

    static OpsExpect parse(String spec, Object where) {
        int exit = 0;
        boolean serves = false;
        boolean metrics = false;
        List<String> out = new ArrayList<>();
        List<String> err = new ArrayList<>();
        Matcher m = CLAUSE.matcher(spec);
        int at = 0;
        while (at < spec.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException(where + ": cannot read the expectation at '" + spec.substring(at)
                        + "'");
            }
            if (m.group(1) != null) {
                exit = Integer.parseInt(m.group(1));
            } else if (m.group(2) != null) {
                (m.group(2).equals("stdout") ? out : err).add(m.group(3).replaceAll("\\\\(.)", "$1"));
            } else if (m.group(4) != null) {
                serves = true;
            } else {
                metrics = true;
            }
            at = m.end();
        }
        return new OpsExpect(exit, out, err, serves, metrics);
    }

    /** Null when {@code r} meets this expectation, else what is wrong. */
    String mismatch(OpsSandbox.Result r) {
        if (r.exit() != exit) {
            return "expected exit " + exit;
        }
        for (String s : stdoutContains) {
            if (!r.stdout().contains(s)) {
                return "expected stdout to contain \"" + s + "\"";
            }
        }
        for (String s : stderrContains) {
            if (!r.stderr().contains(s)) {
                return "expected stderr to contain \"" + s + "\"";
            }
        }
        return null;
    }
}
