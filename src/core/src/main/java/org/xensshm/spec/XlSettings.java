package org.xensshm.spec;

import java.io.Serial;
import java.util.ArrayList;
import java.util.List;

import org.xensshm.spec.XlLexer.Kind;
import org.xensshm.spec.XlLexer.Token;

/**
 * The settings of an xl config as written: {@code key = value}, each value a number, a string or
 * a list of values; what they mean is {@link XlConfigParser}'s. A broken setting is reported and
 * skipped up to its end, so that the settings after it are still read.
 */
final class XlSettings {

    sealed interface Value {
        int line();
    }

    record Text(String text, int line) implements Value {
    }

    record Num(String text, int line) implements Value {
    }

    record ListValue(List<Value> items, int line) implements Value {
    }

    record Setting(String key, Value value, int line) {
    }

    /** Thrown once a syntax problem has been recorded, to abandon the current setting. */
    private static final class Reported extends Exception {
        @Serial
        private static final long serialVersionUID = 1L;

        Reported() {
            super(null, null, false, false);
        }
    }

    private final List<Token> tokens;
    private final ConfigProblems problems;
    /** The position in the tokens. */
    private int cursor;

    private XlSettings(List<Token> tokens, ConfigProblems problems) {
        this.tokens = tokens;
        this.problems = problems;
    }

    /**
     * The settings the lexer's tokens ({@link Kind#END} last) make, in the file's order.
     *
     * @throws ConfigProblems.Stopped when lists nest deeper than a config's may, or there are too
     *                                many problems
     */
    static List<Setting> read(List<Token> tokens, ConfigProblems problems) {
        return new XlSettings(tokens, problems).settings();
    }

    private Token peek() {
        return tokens.get(cursor);
    }

    private Token next() {
        Token token = tokens.get(cursor);
        if (token.kind() != Kind.END) {
            cursor++;
        }
        return token;
    }

    private Reported unexpected(Token found, String expected) {
        if (found.kind() != Kind.BAD) {
            problems.syntax(found.line(), "expected " + expected + ", found " + found.describe());
        }
        return new Reported();
    }

    private List<Setting> settings() {
        List<Setting> settings = new ArrayList<>();
        while (peek().kind() != Kind.END) {
            Token first = next();
            try {
                switch (first.kind()) {
                    case NEWLINE, SEMICOLON -> {
                    }
                    case NAME -> settings.add(setting(first));
                    default -> throw unexpected(first, "a setting (key = value)");
                }
            } catch (Reported abandoned) {
                skipToEndOfSetting();
            }
        }
        return settings;
    }

    private Setting setting(Token key) throws Reported {
        Token equals = next();
        if (equals.kind() != Kind.EQUALS) {
            throw unexpected(equals, "'=' after " + Excerpt.shorten(key.text()));
        }
        Value value = value(0);
        Token end = peek();
        switch (end.kind()) {
            case NEWLINE, SEMICOLON -> next();
            case END -> {
            }
            default -> throw unexpected(end, "the end of the setting " + Excerpt.shorten(key.text())
                    + " (a new line or ';')");
        }
        return new Setting(key.text(), value, key.line());
    }

    /**
     * Skips what is left of a broken setting, up to and including its terminator. When the
     * token that broke it was itself the terminator, the next setting is already next.
     */
    private void skipToEndOfSetting() {
        Kind kind = tokens.get(cursor - 1).kind();
        while (kind != Kind.NEWLINE && kind != Kind.SEMICOLON && kind != Kind.END) {
            kind = next().kind();
        }
    }

    /** A value inside {@code depth} lists. */
    private Value value(int depth) throws Reported {
        Token token = next();
        return switch (token.kind()) {
            case STRING -> new Text(token.text(), token.line());
            case NUMBER -> new Num(token.text(), token.line());
            case OPEN -> list(token, depth + 1);
            default -> throw unexpected(token, "a value (a number, a \"string\" or a [ list ])");
        };
    }

    /** A list opened by {@code open}, which is the {@code depth}th list around its items. */
    private ListValue list(Token open, int depth) throws Reported {
        if (depth > XlConfigParser.MAX_NESTING) {
            // Checked before going deeper: the parser recurses once per level.
            problems.stop(open.line(), "lists nest more than " + XlConfigParser.MAX_NESTING
                    + " deep here, more than a config may");
        }
        List<Value> items = new ArrayList<>();
        while (true) {
            if (peek().kind() == Kind.CLOSE) {
                next();
                return new ListValue(List.copyOf(items), open.line());
            }
            if (peek().kind() == Kind.END) {
                throw unclosed(open);
            }
            items.add(value(depth));
            Token after = next();
            switch (after.kind()) {
                case CLOSE -> {
                    return new ListValue(List.copyOf(items), open.line());
                }
                case COMMA -> {
                }
                case END -> throw unclosed(open);
                default -> throw unexpected(after, "',' or ']' in the list opened at line "
                        + open.line());
            }
        }
    }

    /** Reported where the list starts: the end of the file says nothing about where. */
    private Reported unclosed(Token open) {
        problems.syntax(open.line(), "this '[' is never closed; add the ']' that ends the list");
        return new Reported();
    }
}
