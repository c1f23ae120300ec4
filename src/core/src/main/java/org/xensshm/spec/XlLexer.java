package org.xensshm.spec;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits an xl config's text into tokens, each with its line, for {@link XlSettings}. Text it
 * cannot read is reported to the problems and becomes one {@link Kind#BAD} token, so that one bad
 * character costs one problem, not one for every token after it.
 */
final class XlLexer {

    enum Kind {
        NAME("a setting name"), NUMBER("a number"), STRING("a string"), EQUALS("'='"),
        OPEN("'['"), CLOSE("']'"), COMMA("','"), SEMICOLON("';'"), NEWLINE("the end of the line"),
        END("the end of the file"),
        /** Text the lexer could not read; already reported, so the parser skips it quietly. */
        BAD("unreadable text");

        private final String description;

        Kind(String description) {
            this.description = description;
        }
    }

    record Token(Kind kind, String text, int line) {
        String describe() {
            return switch (kind) {
                case NAME, NUMBER -> kind.description + " (" + Excerpt.shorten(text) + ")";
                default -> kind.description;
            };
        }
    }

    private final String text;
    private final ConfigProblems problems;
    private final List<Token> tokens = new ArrayList<>();
    /** The position in the text, its line, where the line starts and how many lists it is inside. */
    private int pos;
    private int line = 1;
    private int lineStart;
    private int depth;

    private XlLexer(String text, ConfigProblems problems) {
        this.text = text;
        this.problems = problems;
    }

    /**
     * The text's tokens, {@link Kind#END} last.
     *
     * @throws ConfigProblems.Stopped when a line is longer than a config line may be, or there are
     *                                too many problems
     */
    static List<Token> tokens(String text, ConfigProblems problems) {
        return new XlLexer(text, problems).lex();
    }

    private List<Token> lex() {
        while (pos < text.length()) {
            checkLineLength();
            char c = text.charAt(pos);
            switch (c) {
                case '\n' -> {
                    // Inside a list a new line is only spacing: lists may span lines.
                    if (depth == 0) {
                        emit(Kind.NEWLINE, "");
                    }
                    newLine();
                }
                case ' ', '\t', '\r', '\f' -> pos++;
                case '#' -> skipToEndOfLine();
                case '=' -> single(Kind.EQUALS);
                case ',' -> single(Kind.COMMA);
                case ';' -> single(Kind.SEMICOLON);
                case '[' -> {
                    depth++;
                    single(Kind.OPEN);
                }
                case ']' -> {
                    depth = Math.max(0, depth - 1);
                    single(Kind.CLOSE);
                }
                case '"', '\'' -> string(c);
                default -> word(c);
            }
        }
        checkLineLength();
        emit(Kind.END, "");
        return tokens;
    }

    /** Checked between tokens: a token never outgrows the file, whose size is bounded. */
    private void checkLineLength() {
        if (pos - lineStart > XlConfigParser.MAX_LINE_LENGTH) {
            problems.stop(line, "the line is longer than " + XlConfigParser.MAX_LINE_LENGTH
                    + " characters, the most a config line may be");
        }
    }

    private void newLine() {
        line++;
        pos++;
        lineStart = pos;
    }

    /** Up to the new line that ends the current line (it stays for the lexer's loop to count). */
    private void skipToEndOfLine() {
        int end = text.indexOf('\n', pos);
        pos = end < 0 ? text.length() : end;
    }

    private void emit(Kind kind, String value) {
        tokens.add(new Token(kind, value, line));
    }

    /** Punctuation: its kind says all, so no text is kept for it. */
    private void single(Kind kind) {
        emit(kind, "");
        pos++;
    }

    private void string(char quote) {
        StringBuilder value = new StringBuilder();
        int start = pos++;
        while (pos < text.length() && text.charAt(pos) != quote && text.charAt(pos) != '\n') {
            char c = text.charAt(pos++);
            if (c < ' ' && c != '\t' || c == 0x7F) {
                problems.syntax(line, String.format("control character U+%04X inside a string; remove it", (int) c));
                emit(Kind.BAD, "");
                skipRestOfString(quote);
                return;
            }
            if (c != '\\') {
                value.append(c);
                continue;
            }
            if (pos >= text.length() || text.charAt(pos) == '\n') {
                break;
            }
            char escaped = text.charAt(pos++);
            switch (escaped) {
                case '\\', '"', '\'' -> value.append(escaped);
                case 'n' -> value.append('\n');
                case 't' -> value.append('\t');
                default -> {
                    problems.syntax(line, "unknown escape \\" + Excerpt.printable(String.valueOf(escaped))
                            + " in a string (known: \\\\ \\\" \\' \\n \\t)");
                    emit(Kind.BAD, "");
                    skipRestOfString(quote);
                    return;
                }
            }
        }
        if (pos >= text.length() || text.charAt(pos) != quote) {
            problems.syntax(line, "string " + Excerpt.shorten(text.substring(start, pos).strip()) + " is not closed on"
                    + " its line; add the closing " + quote);
            emit(Kind.BAD, "");
            return;
        }
        pos++;
        emit(Kind.STRING, value.toString());
    }

    private void skipRestOfString(char quote) {
        while (pos < text.length() && text.charAt(pos) != '\n') {
            if (text.charAt(pos++) == quote) {
                return;
            }
        }
    }

    private void word(char first) {
        int start = pos;
        if (!isWordChar(first)) {
            int codePoint = text.codePointAt(pos);
            pos += Character.charCount(codePoint);
            problems.syntax(line, "unexpected character " + Excerpt.quote(Character.toString(codePoint))
                    + String.format(" (U+%04X)", codePoint));
            emit(Kind.BAD, "");
            return;
        }
        while (pos < text.length() && isWordChar(text.charAt(pos))) {
            pos++;
        }
        String word = text.substring(start, pos);
        if (Character.isDigit(first)) {
            if (Numbers.isConfigNumber(word)) {
                emit(Kind.NUMBER, word);
            } else {
                problems.syntax(line, Excerpt.quote(word) + " is not a number (write decimal digits or 0x-hex)");
                emit(Kind.BAD, "");
            }
        } else {
            emit(Kind.NAME, word);
        }
    }

    private static boolean isWordChar(char c) {
        return c < 0x80 && (Character.isLetterOrDigit(c) || c == '_' || c == '.');
    }
}
