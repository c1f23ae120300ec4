package org.xensshm.testkit.testbed;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code export NAME='value'} line of a test bed's env file, as POSIX shells read it: inside
 * single quotes nothing is special, and a quote itself is written {@code '\''}.
 */
final class EnvFileLine {

    private static final Pattern LINE = Pattern.compile("export ([A-Za-z_][A-Za-z0-9_]*)='((?:[^']|'\\\\'')*)'");

    private EnvFileLine() {
    }

    static String format(String name, String value) {
        return "export " + name + "='" + value.replace("'", "'\\''") + "'";
    }

    /** The name and value of a line this class formatted; empty for comments and anything else. */
    static Optional<Map.Entry<String, String>> parse(String line) {
        Matcher m = LINE.matcher(line.strip());
        return m.matches() ? Optional.of(Map.entry(m.group(1), m.group(2).replace("'\\''", "'"))) : Optional.empty();
    }
}
