package io.dtm4j.server;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${NAME}} and {@code ${NAME:-default}} in a configuration value with the environment variable
 * (the seed manual's {@code Password: '${DB_PASSWORD}'}); {@code $${NAME}} stays literal as {@code ${NAME}}.
 * A dtm4j extension: DTM reads YAML values as they are. Only variables are looked up, nothing else (no
 * scripts, files or URLs, unlike commons-text's interpolator). Stateless.
 */
final class Placeholders {
    private static final Pattern PLACEHOLDER =
            Pattern.compile("\\$(\\$?)\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private Placeholders() {
    }

    /**
     * Returns {@code value} with its placeholders replaced.
     *
     * @param where the front of an error message (file, line, column, key)
     * @throws ConfigLoader.ConfigException naming the variable when it is not set and has no default, or when a
     *                                      {@code ${} is not a well-formed placeholder
     */
    static String expand(String value, Map<String, String> env, String where) throws ConfigLoader.ConfigException {
        if (!value.contains("${")) {
            return value;
        }
        Matcher m = PLACEHOLDER.matcher(value);
        StringBuilder out = new StringBuilder();
        int last = 0;
        while (m.find()) {
            checkNoStrayOpening(value.substring(last, m.start()), where);
            out.append(value, last, m.start());
            String name = m.group(2);
            if (!m.group(1).isEmpty()) {
                out.append(m.group().substring(1));
            } else if (env.get(name) != null) {
                out.append(env.get(name));
            } else if (m.group(3) != null) {
                out.append(m.group(3));
            } else {
                throw new ConfigLoader.ConfigException(where + "environment variable " + name + " is not set (used as"
                        + " ${" + name + "}); set it, or write ${" + name + ":-default}");
            }
            last = m.end();
        }
        checkNoStrayOpening(value.substring(last), where);
        out.append(value, last, value.length());
        return out.toString();
    }

    private static void checkNoStrayOpening(String text, String where) throws ConfigLoader.ConfigException {
        if (text.contains("${")) {
            throw new ConfigLoader.ConfigException(where + "malformed placeholder; write ${NAME} or "
                    + "${NAME:-default} with NAME of letters, digits and _ (or $${ for a literal ${)");
        }
    }
}
