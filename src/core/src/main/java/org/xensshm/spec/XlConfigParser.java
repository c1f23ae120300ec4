package org.xensshm.spec;

import java.io.IOException;
import java.io.InputStream;
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
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.stream.Collectors;

import org.xensshm.spec.XlSettings.ListValue;
import org.xensshm.spec.XlSettings.Num;
import org.xensshm.spec.XlSettings.Setting;
import org.xensshm.spec.XlSettings.Text;
import org.xensshm.spec.XlSettings.Value;

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

    /** One parse of one text: its settings, the three that are kept checked, and the problems found. */
    private static final class Run {
        private final String text;
        private final ConfigProblems problems;

        Run(String text, String source) {
            this.text = text;
            this.problems = new ConfigProblems(source);
        }

        DomainConfig parse() {
            String domain = "";
            OptionalLong memory = OptionalLong.empty();
            List<SpecDraft> drafts = List.of();
            try {
                List<Setting> settings = XlSettings.read(XlLexer.tokens(text, problems), problems);
                domain = name(settings).orElse("");
                memory = memory(settings);
                drafts = staticShm(settings);
            } catch (ConfigProblems.Stopped stopped) {
                // A limit was passed: the problems found up to there are reported, with why.
            }
            problems.throwIfAny(domain);
            return new DomainConfig(domain, problems.source(), memory, drafts);
        }

        // ---- the settings we use -----------------------------------------------------------

        private List<Setting> all(List<Setting> settings, String key) {
            List<Setting> found = settings.stream().filter(s -> s.key().equals(key)).toList();
            // xl keeps one value per key; a second one is almost always a mistake.
            for (Setting again : found.subList(Math.min(1, found.size()), found.size())) {
                problems.add(key, "", OptionalInt.empty(), again.line(), key + " is set again; it was"
                        + " first set at line " + found.getFirst().line());
            }
            return found;
        }

        private Optional<String> name(List<Setting> settings) {
            List<Setting> names = all(settings, SpecProblem.NAME);
            if (names.isEmpty()) {
                problems.addForWholeFile(SpecProblem.NAME, "missing: the config needs name = \"...\"");
                return Optional.empty();
            }
            Setting first = names.getFirst();
            if (!(first.value() instanceof Text(String name, int atLine))) {
                problems.add(SpecProblem.NAME, "", OptionalInt.empty(), first.line(),
                        "must be a string, e.g. name = \"vm1\"");
                return Optional.empty();
            }
            if (name.isBlank()) {
                problems.add(SpecProblem.NAME, "", OptionalInt.empty(), atLine, "is empty");
                return Optional.empty();
            }
            if (name.chars().anyMatch(Character::isISOControl)) {
                problems.add(SpecProblem.NAME, "", OptionalInt.empty(), atLine, Excerpt.quote(name)
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
                problems.add(SpecProblem.MEMORY, "", OptionalInt.empty(), atLine,
                        Excerpt.quote(digits) + " is not a RAM size in MiB between 1 and " + MAX_MEMORY_MIB);
                return OptionalLong.empty();
            }
            problems.add(SpecProblem.MEMORY, "", OptionalInt.empty(), first.line(),
                    "must be a number of MiB, e.g. memory = 512");
            return OptionalLong.empty();
        }

        private List<SpecDraft> staticShm(List<Setting> settings) {
            List<Setting> found = all(settings, SpecProblem.STATIC_SHM);
            if (found.isEmpty()) {
                return List.of();
            }
            if (!(found.getFirst().value() instanceof ListValue(List<Value> items, _))) {
                problems.add(SpecProblem.STATIC_SHM, "", OptionalInt.empty(), found.getFirst().line(),
                        "must be a list of strings: static_shm = [ \"id=...\", ... ]");
                return List.of();
            }
            if (items.size() > MAX_SPECS) {
                problems.add(SpecProblem.LIMIT, "", OptionalInt.empty(), found.getFirst().line(), "static_shm has "
                        + items.size() + " entries; a domain may have at most " + MAX_SPECS);
                return List.of();
            }
            List<SpecDraft> drafts = new ArrayList<>();
            for (int index = 0; index < items.size(); index++) {
                switch (items.get(index)) {
                    case Text(String spec, int specLine) -> drafts.add(spec(spec, index, specLine));
                    case Value other -> problems.add(SpecProblem.STATIC_SHM, "", OptionalInt.of(index),
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
                problems.add(SpecProblem.STATIC_SHM, specId, at, specLine, "the entry is empty");
            } else {
                for (String rawPair : pairs) {
                    String pair = rawPair.strip();
                    int equals = pair.indexOf('=');
                    String key = (equals < 0 ? pair : pair.substring(0, equals)).strip();
                    Optional<SpecKey> known = SpecKey.fromConfigKey(key);
                    if (pair.isEmpty()) {
                        problems.add(SpecProblem.STATIC_SHM, specId, at, specLine,
                                "empty key=value pair (two commas in a row, or a trailing comma)");
                    } else if (known.isEmpty()) {
                        problems.add(key.isEmpty() ? SpecProblem.STATIC_SHM : key, specId, at, specLine,
                                unknownKey(key));
                    } else if (equals < 0) {
                        problems.add(key, specId, at, specLine, "has no value; write " + key + "=...");
                    } else if (values.putIfAbsent(known.get(), pair.substring(equals + 1).strip())
                            != null) {
                        problems.add(key, specId, at, specLine, "is given twice; each key may appear"
                                + " once per entry");
                    }
                }
            }
            return new SpecDraft(values, Optional.of(new SourceLocation(problems.source(), specLine)));
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
