package io.dtm4j.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code docs/operations.md} as the test reads it: its fenced blocks in order, each with the heading it is under
 * and the HTML comments just before it ({@code <!-- expect: ... -->}, {@code <!-- store: ... -->}), and the rows
 * of the troubleshooting table. Immutable.
 */
final class OpsGuide {
    static final String FILE = "docs/operations.md";
    /** The heading of the troubleshooting section, whose table lists the printed lines. */
    static final String TROUBLESHOOTING = "## 10. Troubleshooting";

    private static final Pattern FENCE = Pattern.compile("^(\\s*)```(.*)$");
    private static final Pattern COMMENT = Pattern.compile("^\\s*<!--\\s*(.*?)\\s*-->\\s*$");
    private static final Pattern ROW = Pattern.compile("^\\|\\s*`([^`]+)`\\s*\\|(.*)\\|\\s*$");
    private static final Pattern PLACEHOLDER = Pattern.compile("<[^<>\\s][^<>]*>");

    /**
     * One fenced block.
     *
     * @param line     line number of the opening fence (1-based)
     * @param lang     the first word of the info string: {@code sh}, {@code sh-systemd}, {@code yaml}, ...
     * @param info     the rest of the info string ({@code prometheus} for Prometheus files)
     * @param section  the last {@code ##} heading above it
     * @param comments the HTML comments on the lines just before the fence, without {@code <!--} and {@code -->}
     * @param text     the body, with the fence's indentation removed
     */
    record Block(int line, String lang, String info, String section, List<String> comments, String text) {
        /** The comment that starts with {@code key:}, without the key. */
        Optional<String> comment(String key) {
            return comments.stream().filter(c -> c.startsWith(key + ":"))
                    .map(c -> c.substring(key.length() + 1).trim()).findFirst();
        }

        @Override
        public String toString() {
            return lang + " block at " + FILE + ":" + line;
        }
    }

    /**
     * A row of the troubleshooting table.
     *
     * @param line    line number (1-based)
     * @param printed the line as the table shows it, with {@code <...>} for the parts that vary
     * @param rest    the other cells
     */
    record Row(int line, String printed, String rest) {
        /** The printed line as a regular expression: each {@code <...>} matches anything, spaces match spaces. */
        Pattern pattern() {
            StringBuilder re = new StringBuilder();
            Matcher m = PLACEHOLDER.matcher(printed);
            int last = 0;
            while (m.find()) {
                re.append(literal(printed.substring(last, m.start()))).append(".*?");
                last = m.end();
            }
            re.append(literal(printed.substring(last)));
            return Pattern.compile(re.toString());
        }

        private static String literal(String s) {
            StringBuilder out = new StringBuilder();
            for (String part : s.split("\\s+", -1)) {
                if (out.length() > 0) {
                    out.append("\\s+");
                }
                out.append(part.isEmpty() ? "" : Pattern.quote(part));
            }
            return out.toString();
        }

        @Override
        public String toString() {
            return FILE + ":" + line + ": " + printed;
        }
    }

    private final List<Block> blocks;
    private final List<Row> rows;
    private final List<String> lines;

    private OpsGuide(List<Block> blocks, List<Row> rows, List<String> lines) {
        this.blocks = List.copyOf(blocks);
        this.rows = List.copyOf(rows);
        this.lines = List.copyOf(lines);
    }

    /** The project's guide: {@value #FILE} in the module's directory or one of its parents. */
    static Path locate() {
        for (Path d = Paths.get("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve(FILE))) {
                return d.resolve(FILE);
            }
        }
        throw new IllegalStateException(FILE + " not found above " + Paths.get("").toAbsolutePath());
    }

    static OpsGuide read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<Block> blocks = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        String section = "";
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            Matcher fence = FENCE.matcher(line);
            if (fence.matches()) {
                int indent = fence.group(1).length();
                String[] info = fence.group(2).trim().split("\\s+", 2);
                StringBuilder text = new StringBuilder();
                int j = i + 1;
                for (; j < lines.size() && !lines.get(j).trim().equals("```"); j++) {
                    String body = lines.get(j);
                    text.append(body.length() >= indent && body.substring(0, indent).isBlank()
                            ? body.substring(indent) : body.stripLeading()).append('\n');
                }
                if (j == lines.size()) {
                    throw new IllegalStateException(FILE + ":" + (i + 1) + ": the fence is never closed");
                }
                blocks.add(new Block(i + 1, info[0], info.length > 1 ? info[1] : "", section, commentsBefore(lines, i),
                        text.toString()));
                i = j;
                continue;
            }
            if (line.startsWith("## ")) {
                section = line.trim();
            }
            Matcher row = ROW.matcher(line);
            if (section.equals(TROUBLESHOOTING) && row.matches()) {
                rows.add(new Row(i + 1, row.group(1), row.group(2)));
            }
        }
        return new OpsGuide(blocks, rows, lines);
    }

    private static List<String> commentsBefore(List<String> lines, int fence) {
        List<String> found = new ArrayList<>();
        for (int k = fence - 1; k >= 0; k--) {
            Matcher c = COMMENT.matcher(lines.get(k));
            if (!c.matches()) {
                break;
            }
            found.add(0, c.group(1));
        }
        return found;
    }

    List<Block> blocks() {
        return blocks;
    }

    List<Row> rows() {
        return rows;
    }

    /** The text of the section whose heading starts with {@code heading}, up to the next {@code ##} heading. */
    String section(String heading) {
        StringBuilder out = new StringBuilder();
        boolean in = false;
        for (String line : lines) {
            if (line.startsWith("## ")) {
                in = line.startsWith(heading);
            }
            if (in) {
                out.append(line).append('\n');
            }
        }
        if (out.length() == 0) {
            throw new IllegalStateException(FILE + " has no section " + heading);
        }
        return out.toString();
    }

    /** The whole text. */
    String text() {
        return String.join("\n", lines);
    }
}
