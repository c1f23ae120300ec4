package org.xensshm.cli.output;

import java.util.List;
import java.util.Map;

/**
 * Writes the CLI's {@code --json} output: maps (in their iteration order), lists, strings,
 * integral numbers, booleans and null. Small on purpose, so the tool needs no JSON library;
 * addresses are given as "0x..." strings, so nothing depends on a reader's number precision.
 */
public final class Json {

    private Json() {
    }

    /** The value as an indented JSON document, ending with a newline. */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        append(out, value, "");
        return out.append('\n').toString();
    }

    /** The value as JSON on one line (for JSON Lines), ending with a newline. */
    public static String line(Object value) {
        StringBuilder out = new StringBuilder();
        append(out, value, null);
        return out.append('\n').toString();
    }

    /** {@code indent} null: no line breaks and no indentation. */
    private static void append(StringBuilder out, Object value, String indent) {
        switch (value) {
            case null -> out.append("null");
            case String text -> string(out, text);
            case Boolean flag -> out.append(flag);
            case Integer number -> out.append(number);
            case Long number -> out.append(number);
            case Map<?, ?> map -> object(out, map, indent);
            case List<?> list -> array(out, list, indent);
            default -> throw new IllegalArgumentException("no JSON form for " + value.getClass().getName());
        }
    }

    private static void object(StringBuilder out, Map<?, ?> map, String indent) {
        if (map.isEmpty()) {
            out.append("{}");
            return;
        }
        String inner = indent == null ? null : indent + "  ";
        out.append(indent == null ? "{" : "{\n");
        int left = map.size();
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            if (!(entry.getKey() instanceof String key)) {
                throw new IllegalArgumentException("JSON object keys must be strings: " + entry.getKey());
            }
            out.append(inner == null ? "" : inner);
            string(out, key);
            out.append(inner == null ? ":" : ": ");
            append(out, entry.getValue(), inner);
            out.append(separator(--left > 0, indent));
        }
        out.append(indent == null ? "" : indent).append('}');
    }

    private static void array(StringBuilder out, List<?> list, String indent) {
        if (list.isEmpty()) {
            out.append("[]");
            return;
        }
        String inner = indent == null ? null : indent + "  ";
        out.append(indent == null ? "[" : "[\n");
        for (int i = 0; i < list.size(); i++) {
            out.append(inner == null ? "" : inner);
            append(out, list.get(i), inner);
            out.append(separator(i + 1 < list.size(), indent));
        }
        out.append(indent == null ? "" : indent).append(']');
    }

    /** After an element: a comma if more follow, and a line break unless all is on one line. */
    private static String separator(boolean more, String indent) {
        return (more ? "," : "") + (indent == null ? "" : "\n");
    }

    /** RFC 8259: quote, backslash and control characters escaped; everything else as is. */
    private static void string(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
