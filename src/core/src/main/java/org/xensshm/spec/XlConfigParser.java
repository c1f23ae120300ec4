package org.xensshm.spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serial;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * Reads xl domain config files: {@code key = value} settings, one per line or separated by
 * {@code ;}; values are numbers (decimal or 0x-hex), strings in double or single quotes, or
 * {@code [ ... ]} lists that may span lines and end with a comma; {@code #} starts a comment
 * anywhere outside a string. Every setting is checked for syntax, but only {@code name},
 * {@code memory} and {@code static_shm} are kept.
 *
 * <p>Each {@code static_shm} entry is split into {@code key=value} pairs and becomes a
 * {@link SpecDraft}; unknown and repeated keys are refused here, the values themselves are left to
 * {@link SpecValidator}. All syntax problems of a file are reported together, in one
 * {@link InvalidSpecException}.
 *
 * <p>Whatever the input (any bytes, any length), reading ends in a config or an
 * {@link InvalidSpecException}, in time and memory proportional to at most
 * {@link #MAX_FILE_BYTES}: a config beyond one of the limits below is refused with a problem whose
 * field is {@link SpecProblem#LIMIT}, naming the limit. Real xl configs stay far below them.
 */
public final class XlConfigParser {

    /** The most RAM a guest can have on Arm: Xen's two guest RAM banks, 3 GiB and 1016 GiB. */
    static final long MAX_MEMORY_MIB = (ArmGuestLayout.RAM0_SIZE + ArmGuestLayout.RAM1_SIZE) >> 20;

    /** The largest config file read, in bytes (1 MiB); a larger one is not read at all. */
    public static final int MAX_FILE_BYTES = 1 << 20;
    /** The longest line, in characters (64 Ki). */
    public static final int MAX_LINE_LENGTH = 1 << 16;
    /** How deep lists may nest: xl's own values are at most a list of strings (depth 1). */
    public static final int MAX_NESTING = 8;
    /** The most {@code static_shm} entries one domain may have (Xen's boot-time form takes 32). */
    public static final int MAX_SPECS = 256;
    /** Problems reported per file before reading stops: past that, more say nothing new. */
    public static final int MAX_PROBLEMS = 100;

    private XlConfigParser() {
    }

    /**
     * Reads a config file: at most {@link #MAX_FILE_BYTES} of it (plus one, to tell a larger
     * file), which may be anything that can be read: a special file such as {@code /dev/zero} is
     * refused for its size like a huge file.
     *
     * @param file the config file, UTF-8
     * @return the domain's name, memory and drafts
     * @throws InvalidSpecException with every syntax problem of the file, also when it is larger
     *                              than the limit or not UTF-8 text
     * @throws IOException          when the file cannot be read
     */
    public static DomainConfig parse(Path file) throws IOException {
        byte[] content;
        try (InputStream in = Files.newInputStream(file)) {
            content = in.readNBytes(MAX_FILE_BYTES + 1);
        }
        return parse(content, file.toString());
    }

    /**
     * Reads a config's bytes.
     *
     * @param content    the config's bytes, UTF-8 text (a leading byte order mark is skipped)
     * @param sourceName what messages call the text, e.g. its file name
     * @return the domain's name, memory and drafts
     * @throws InvalidSpecException with every syntax problem, also when the content is larger
     *                              than {@link #MAX_FILE_BYTES} or not UTF-8 text
     */
    public static DomainConfig parse(byte[] content, String sourceName) {
        if (content.length > MAX_FILE_BYTES) {
            throw tooLarge(sourceName);
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return parse(decoder.decode(ByteBuffer.wrap(content)).toString(), sourceName);
        } catch (CharacterCodingException e) {
            throw notUtf8(content, sourceName);
        }
    }

    /**
     * Reads a config's text.
     *
     * @param text       the config's text (a leading byte order mark is skipped)
     * @param sourceName what messages call the text, e.g. its file name
     * @return the domain's name, memory and drafts
     * @throws InvalidSpecException with every syntax problem of the text, also when it is longer
     *                              than {@link #MAX_FILE_BYTES} characters
     */
    public static DomainConfig parse(String text, String sourceName) {
        if (text.length() > MAX_FILE_BYTES) {
            throw tooLarge(sourceName);
        }
        return new Run(text.startsWith("\uFEFF") ? text.substring(1) : text, sourceName).parse();
    }

    private static InvalidSpecException tooLarge(String sourceName) {
        return new InvalidSpecException(List.of(new SpecProblem("", "", OptionalInt.empty(), SpecProblem.LIMIT,
                "the file is larger than " + (MAX_FILE_BYTES >> 20) + " MiB, the most a config may be; it was not read",
                Optional.of(SourceLocation.wholeFile(sourceName)))));
    }

    /** Names the line and column of the first byte that is not UTF-8. */
    private static InvalidSpecException notUtf8(byte[] content, String sourceName) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(content);
        CharBuffer out = CharBuffer.allocate(content.length);
        decoder.decode(in, out, true);
        int bad = in.position();
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < bad; i++) {
            if (content[i] == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        String message = String.format("not UTF-8 text: byte 0x%02X at column %d is not part of a UTF-8 character;"
                + " save the file as UTF-8", content[bad] & 0xFF, bad - lineStart + 1);
        return new InvalidSpecException(List.of(new SpecProblem("", "", OptionalInt.empty(), SpecProblem.SYNTAX,
                message, Optional.of(new SourceLocation(sourceName, line)))));
    }

    private enum Kind {
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

    private record Token(Kind kind, String text, int line) {
        String describe() {
            return switch (kind) {
                case NAME, NUMBER -> kind.description + " (" + Excerpt.shorten(text) + ")";
                default -> kind.description;
            };
        }
    }

    private sealed interface Value {
        int line();
    }

    private record Text(String text, int line) implements Value {
    }

    private record Num(String text, int line) implements Value {
    }

    private record ListValue(List<Value> items, int line) implements Value {
    }

    private record Setting(String key, Value value, int line) {
    }

    /** Thrown once a syntax problem has been recorded, to abandon the current setting. */
    private static final class Reported extends Exception {
        @Serial
        private static final long serialVersionUID = 1L;

        Reported() {
            super(null, null, false, false);
        }
    }

    /** Thrown once a limit is passed: reading stops, and the problems so far are reported. */
    private static final class Stopped extends RuntimeException {
        @Serial
        private static final long serialVersionUID = 1L;

        Stopped() {
            super(null, null, false, false);
        }
    }

    /** One parse of one text: the lexer, the parser and the problems found so far. */
    private static final class Run {
        private final String text;
        private final String source;
        private final List<SpecProblem> problems = new ArrayList<>();
        private final List<Token> tokens = new ArrayList<>();
        /** The lexer's position in the text, its line, where the line starts and how many lists it is inside. */
        private int pos;
        private int line = 1;
        private int lineStart;
        private int depth;
        /** The parser's position in the tokens. */
        private int cursor;

        Run(String text, String source) {
            this.text = text;
            this.source = source;
        }

        DomainConfig parse() {
            String domain = "";
            OptionalLong memory = OptionalLong.empty();
            List<SpecDraft> drafts = List.of();
            SpecProblem stop = null;
            try {
                lex();
                List<Setting> settings = settings();
                domain = name(settings).orElse("");
                memory = memory(settings);
                drafts = staticShm(settings);
            } catch (Stopped stopped) {
                stop = problems.removeLast();
            }
            if (!problems.isEmpty() || stop != null) {
                // Problems found before the name was known are given it now; and the lexer's,
                // the parser's and the specs' problems are merged in the file's order, with the
                // reason reading stopped, if it did, last.
                String named = domain;
                List<SpecProblem> all = new ArrayList<>(problems.stream()
                        .sorted(Comparator.comparingInt(p -> p.location().orElseThrow().line()))
                        .toList());
                if (stop != null) {
                    all.add(stop);
                }
                throw new InvalidSpecException(all.stream()
                        .map(p -> new SpecProblem(named, p.specId(), p.specIndex(), p.field(),
                                p.message(), p.location()))
                        .toList());
            }
            return new DomainConfig(domain, source, memory, drafts);
        }

        private void problem(String field, String specId, OptionalInt specIndex, int atLine,
                             String message) {
            problems.add(new SpecProblem("", specId, specIndex, field, message,
                    Optional.of(new SourceLocation(source, atLine))));
            if (problems.size() == MAX_PROBLEMS) {
                stop(atLine, "more than " + MAX_PROBLEMS + " problems; stopped reading here (is this an xl config?)");
            }
        }

        /** Records why reading stops, then stops it. */
        private void stop(int atLine, String message) {
            problems.add(new SpecProblem("", "", OptionalInt.empty(), SpecProblem.LIMIT, message,
                    Optional.of(new SourceLocation(source, atLine))));
            throw new Stopped();
        }

        private void syntax(int atLine, String message) {
            problem(SpecProblem.SYNTAX, "", OptionalInt.empty(), atLine, message);
        }

        // ---- lexer -------------------------------------------------------------------------

        private void lex() {
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
        }

        /** Checked between tokens: a token never outgrows the file, whose size is bounded. */
        private void checkLineLength() {
            if (pos - lineStart > MAX_LINE_LENGTH) {
                stop(line, "the line is longer than " + MAX_LINE_LENGTH + " characters, the most a config line may be");
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
                    syntax(line, String.format("control character U+%04X inside a string; remove it", (int) c));
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
                        syntax(line, "unknown escape \\" + Excerpt.printable(String.valueOf(escaped)) + " in a string"
                                + " (known: \\\\ \\\" \\' \\n \\t)");
                        emit(Kind.BAD, "");
                        skipRestOfString(quote);
                        return;
                    }
                }
            }
            if (pos >= text.length() || text.charAt(pos) != quote) {
                syntax(line, "string " + Excerpt.shorten(text.substring(start, pos).strip()) + " is not closed on"
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
                syntax(line, "unexpected character " + Excerpt.quote(Character.toString(codePoint))
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
                    syntax(line, Excerpt.quote(word) + " is not a number (write decimal digits or 0x-hex)");
                    emit(Kind.BAD, "");
                }
            } else {
                emit(Kind.NAME, word);
            }
        }

        private static boolean isWordChar(char c) {
            return c < 0x80 && (Character.isLetterOrDigit(c) || c == '_' || c == '.');
        }

        // ---- parser ------------------------------------------------------------------------

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
                syntax(found.line(), "expected " + expected + ", found " + found.describe());
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
            if (depth > MAX_NESTING) {
                // Checked before going deeper: the parser recurses once per level.
                stop(open.line(), "lists nest more than " + MAX_NESTING + " deep here, more than a config may");
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
            syntax(open.line(), "this '[' is never closed; add the ']' that ends the list");
            return new Reported();
        }

        // ---- the settings we use -----------------------------------------------------------

        private List<Setting> all(List<Setting> settings, String key) {
            List<Setting> found = settings.stream().filter(s -> s.key().equals(key)).toList();
            // xl keeps one value per key; a second one is almost always a mistake.
            for (Setting again : found.subList(Math.min(1, found.size()), found.size())) {
                problem(key, "", OptionalInt.empty(), again.line(), key + " is set again; it was"
                        + " first set at line " + found.getFirst().line());
            }
            return found;
        }

        private Optional<String> name(List<Setting> settings) {
            List<Setting> names = all(settings, SpecProblem.NAME);
            if (names.isEmpty()) {
                problems.add(new SpecProblem("", "", OptionalInt.empty(), SpecProblem.NAME,
                        "missing: the config needs name = \"...\"",
                        Optional.of(SourceLocation.wholeFile(source))));
                return Optional.empty();
            }
            Setting first = names.getFirst();
            if (!(first.value() instanceof Text(String name, int atLine))) {
                problem(SpecProblem.NAME, "", OptionalInt.empty(), first.line(),
                        "must be a string, e.g. name = \"vm1\"");
                return Optional.empty();
            }
            if (name.isBlank()) {
                problem(SpecProblem.NAME, "", OptionalInt.empty(), atLine, "is empty");
                return Optional.empty();
            }
            if (name.chars().anyMatch(Character::isISOControl)) {
                problem(SpecProblem.NAME, "", OptionalInt.empty(), atLine, Excerpt.quote(name)
                        + " holds a control character; a domain's name is one printable line");
                return Optional.empty();
            }
            return Optional.of(name);
        }

        /** {@code memory = N}: the guest's RAM in MiB (xl's unit), a positive whole number. */
        private OptionalLong memory(List<Setting> settings) {
            List<Setting> found = all(settings, SpecProblem.MEMORY);
            if (found.isEmpty()) {
                return OptionalLong.empty();
            }
            Setting first = found.getFirst();
            if (first.value() instanceof Num(String digits, int atLine)) {
                if (Numbers.parse(digits) instanceof Numbers.Value(long mib) && mib > 0 && mib <= MAX_MEMORY_MIB) {
                    return OptionalLong.of(mib);
                }
                problem(SpecProblem.MEMORY, "", OptionalInt.empty(), atLine,
                        Excerpt.quote(digits) + " is not a RAM size in MiB between 1 and " + MAX_MEMORY_MIB);
                return OptionalLong.empty();
            }
            problem(SpecProblem.MEMORY, "", OptionalInt.empty(), first.line(),
                    "must be a number of MiB, e.g. memory = 512");
            return OptionalLong.empty();
        }

        private List<SpecDraft> staticShm(List<Setting> settings) {
            List<Setting> found = all(settings, SpecProblem.STATIC_SHM);
            if (found.isEmpty()) {
                return List.of();
            }
            if (!(found.getFirst().value() instanceof ListValue(List<Value> items, _))) {
                problem(SpecProblem.STATIC_SHM, "", OptionalInt.empty(), found.getFirst().line(),
                        "must be a list of strings: static_shm = [ \"id=...\", ... ]");
                return List.of();
            }
            if (items.size() > MAX_SPECS) {
                problem(SpecProblem.LIMIT, "", OptionalInt.empty(), found.getFirst().line(), "static_shm has "
                        + items.size() + " entries; a domain may have at most " + MAX_SPECS);
                return List.of();
            }
            List<SpecDraft> drafts = new ArrayList<>();
            for (int index = 0; index < items.size(); index++) {
                switch (items.get(index)) {
                    case Text(String spec, int specLine) -> drafts.add(spec(spec, index, specLine));
                    case Value other -> problem(SpecProblem.STATIC_SHM, "", OptionalInt.of(index),
                            other.line(), "each entry must be a \"key=value, ...\" string");
                }
            }
            return drafts;
        }

        /** One entry: {@code key=value} pairs separated by commas, spaces allowed around both. */
        private SpecDraft spec(String spec, int index, int specLine) {
            String[] pairs = spec.split(",", -1);
            String specId = Arrays.stream(pairs)
                    .map(pair -> pair.split("=", 2))
                    .filter(kv -> kv.length == 2 && kv[0].strip().equals(SpecKey.ID.configKey()))
                    .map(kv -> kv[1].strip())
                    .findFirst().orElse("");
            OptionalInt at = OptionalInt.of(index);
            EnumMap<SpecKey, String> values = new EnumMap<>(SpecKey.class);
            if (spec.isBlank()) {
                problem(SpecProblem.STATIC_SHM, specId, at, specLine, "the entry is empty");
            } else {
                for (String rawPair : pairs) {
                    String pair = rawPair.strip();
                    int equals = pair.indexOf('=');
                    String key = (equals < 0 ? pair : pair.substring(0, equals)).strip();
                    Optional<SpecKey> known = SpecKey.fromConfigKey(key);
                    if (pair.isEmpty()) {
                        problem(SpecProblem.STATIC_SHM, specId, at, specLine,
                                "empty key=value pair (two commas in a row, or a trailing comma)");
                    } else if (known.isEmpty()) {
                        problem(key.isEmpty() ? SpecProblem.STATIC_SHM : key, specId, at, specLine,
                                unknownKey(key));
                    } else if (equals < 0) {
                        problem(key, specId, at, specLine, "has no value; write " + key + "=...");
                    } else if (values.putIfAbsent(known.get(), pair.substring(equals + 1).strip())
                            != null) {
                        problem(key, specId, at, specLine, "is given twice; each key may appear"
                                + " once per entry");
                    }
                }
            }
            return new SpecDraft(values, Optional.of(new SourceLocation(source, specLine)));
        }

        private static String unknownKey(String key) {
            String known = Arrays.stream(SpecKey.values()).map(SpecKey::configKey)
                    .collect(Collectors.joining(", "));
            String hint = SpecKey.fromConfigKey(key.toLowerCase(Locale.ROOT))
                    .map(k -> "; keys are lower case: " + k.configKey())
                    .orElse("");
            return key.isEmpty() ? "a pair has no key; known keys: " + known
                    : "unknown key " + Excerpt.quote(key) + hint + " (known keys: " + known + ")";
        }
    }
}
