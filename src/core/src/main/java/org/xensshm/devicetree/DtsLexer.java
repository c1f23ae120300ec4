package org.xensshm.devicetree;

import java.util.List;
import java.util.Optional;

import org.xensshm.devicetree.HostTreeException.Reason;

/**
 * The words of device-tree source for {@link DtsReader}: blanks and comments, names and labels,
 * string, character, number and byte literals, and the path of a {@code &{/path}}, read at a
 * position in the text that moves on as they are taken. Errors name the line of that position.
 */
final class DtsLexer {

    private static final List<String> PREPROCESSOR = List.of("include", "define", "undef", "if", "ifdef", "ifndef",
            "elif", "else", "endif", "error", "pragma", "line");

    private final String text;
    private final String source;
    private int position;

    /** @param source names the text in messages, e.g. its file name */
    DtsLexer(String text, String source) {
        this.text = text;
        this.source = source;
    }

    boolean atEnd() {
        return position >= text.length();
    }

    /** The character at the position; not at the end. */
    char current() {
        return text.charAt(position);
    }

    void skipBlank() {
        while (!atEnd()) {
            char c = text.charAt(position);
            if (Character.isWhitespace(c)) {
                position++;
            } else if (text.startsWith("//", position)) {
                int end = text.indexOf('\n', position);
                position = end < 0 ? text.length() : end + 1;
            } else if (text.startsWith("/*", position)) {
                int end = text.indexOf("*/", position + 2);
                if (end < 0) {
                    throw unreadable("a /* comment is not closed");
                }
                position = end + 2;
            } else {
                return;
            }
        }
    }

    boolean take(String token) {
        skipBlank();
        if (text.startsWith(token, position)) {
            position += token.length();
            return true;
        }
        return false;
    }

    boolean peek(char c) {
        skipBlank();
        return !atEnd() && text.charAt(position) == c;
    }

    void expect(String token) {
        if (!take(token)) {
            throw unreadable("expected '" + token + "'");
        }
    }

    HostTreeException unreadable(String message) {
        int line = 1;
        for (int i = 0; i < Math.min(position, text.length()); i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return new HostTreeException(Reason.UNREADABLE, source + ":" + line + ": " + message);
    }

    String name() {
        skipBlank();
        int start = position;
        while (!atEnd() && isNameChar(text.charAt(position))) {
            position++;
        }
        if (start == position) {
            throw unreadable(atEnd() ? "the source ends inside a node" : "unexpected '" + text.charAt(position) + "'");
        }
        String name = text.substring(start, position);
        if (name.startsWith("#") && PREPROCESSOR.contains(name.substring(1))) {
            throw unreadable(name + " is a C preprocessor directive; run the source through cpp first"
                    + " (or give dtc's own output: dtc -I dts -O dts)");
        }
        return name;
    }

    /** A {@code label:} before a node or property name; empty, and nothing taken, when none comes. */
    Optional<String> label() {
        skipBlank();
        int start = position;
        if (atEnd() || !isNameChar(text.charAt(position))) {
            return Optional.empty();
        }
        String word = name();
        if (!take(":")) {
            position = start;
            return Optional.empty();
        }
        return Optional.of(word);
    }

    /** Labels between the pieces of a value: they name places in the blob, which nothing here reads. */
    void skipValueLabels() {
        while (true) {
            skipBlank();
            int start = position;
            if (atEnd() || !isNameChar(text.charAt(position)) || text.charAt(position) == '/') {
                return;
            }
            name();
            if (!take(":")) {
                position = start;
                return;
            }
        }
    }

    /** A label inside a cell list, skipped like those between pieces; false when none comes. */
    boolean skipCellLabel() {
        if (!isNameChar(text.charAt(position)) || !labelAhead()) {
            return false;
        }
        name();
        expect(":");
        return true;
    }

    private boolean labelAhead() {
        int at = position;
        while (at < text.length() && isNameChar(text.charAt(at))) {
            at++;
        }
        return at < text.length() && text.charAt(at) == ':';
    }

    /** A parenthesised expression, skipped whole: its value is never needed here. */
    void skipExpression() {
        int depth = 0;
        do {
            if (atEnd()) {
                throw unreadable("an expression is not closed with ')'");
            }
            char c = text.charAt(position++);
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            }
        } while (depth > 0);
    }

    /** The path of a {@code &{/path}} reference, its {@code &{} taken: the node names from the root. */
    List<String> bracedPath() {
        int start = position;
        int end = text.indexOf('}', start);
        if (end < 0) {
            throw unreadable("&{ without its }");
        }
        position = end + 1;
        String path = text.substring(start, end).strip();
        if (!path.startsWith("/")) {
            throw unreadable("&{" + path + "} is not a path from the root");
        }
        return path.equals("/") ? List.of() : List.of(path.substring(1).split("/"));
    }

    /** The label of a {@code &label} reference, its {@code &} taken. */
    String referencedLabel() {
        int start = position;
        while (!atEnd() && (Character.isLetterOrDigit(text.charAt(position)) || text.charAt(position) == '_')) {
            position++;
        }
        return text.substring(start, position);
    }

    /** Node and property names, labels, and what dtc reads as one literal. */
    private static boolean isNameChar(char c) {
        return Character.isLetterOrDigit(c) || ",._+*#?@-".indexOf(c) >= 0;
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0;
    }

    String string() {
        expect("\"");
        StringBuilder out = new StringBuilder();
        while (true) {
            if (atEnd()) {
                throw unreadable("a string is not closed");
            }
            char c = text.charAt(position++);
            if (c == '"') {
                return out.toString();
            }
            if (c == '\\' && !atEnd()) {
                char escaped = text.charAt(position++);
                out.append(switch (escaped) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    case '0' -> '\0';
                    default -> escaped;
                });
            } else {
                out.append(c);
            }
        }
    }

    /** How many bytes a {@code [...]} byte string holds, its {@code [} taken. */
    int byteCount() {
        int count = 0;
        while (true) {
            skipBlank();
            if (take("]")) {
                return count;
            }
            int start = position;
            while (!atEnd() && isHex(text.charAt(position))) {
                position++;
            }
            int digits = position - start;
            if (digits == 0 || digits % 2 != 0) {
                throw unreadable("a byte string holds pairs of hex digits");
            }
            count += digits / 2;
        }
    }

    long character() {
        expect("'");
        if (atEnd()) {
            throw unreadable("a character literal is not closed");
        }
        char c = text.charAt(position++);
        if (c == '\\' && !atEnd()) {
            position++;
        }
        expect("'");
        return c;
    }

    /** A number where only a plain number may stand, e.g. in /memreserve/ or /bits/. */
    long plainNumber() {
        skipBlank();
        if (atEnd() || !Character.isDigit(text.charAt(position))) {
            throw unreadable("expected a number");
        }
        return number();
    }

    /** dtc's integer literals: decimal, 0x-hex or 0-octal, with an optional U/L suffix. */
    long number() {
        int start = position;
        while (!atEnd() && (Character.isLetterOrDigit(text.charAt(position)))) {
            position++;
        }
        String literal = text.substring(start, position).replaceAll("[uUlL]+$", "");
        try {
            if (literal.startsWith("0x") || literal.startsWith("0X")) {
                return Long.parseUnsignedLong(literal.substring(2), 16);
            }
            if (literal.length() > 1 && literal.startsWith("0")) {
                return Long.parseUnsignedLong(literal.substring(1), 8);
            }
            return Long.parseUnsignedLong(literal);
        } catch (NumberFormatException e) {
            throw unreadable("'" + literal + "' is not a number");
        }
    }
}
