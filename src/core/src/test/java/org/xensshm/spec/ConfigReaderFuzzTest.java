package org.xensshm.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * The config reader cannot be crashed: whatever bytes it is given, it ends in a config or an
 * {@link InvalidSpecException} whose problems are printable single lines, never in another
 * exception. Random bytes, config-like text built from the syntax's own pieces (with NULs,
 * control characters and bytes that are not UTF-8 mixed in), and inputs at and beyond every
 * limit. The random runs are bounded by their number of tries (a few seconds in all); jqwik prints
 * the seed of a failing run, and {@code @Property(seed = "...")} replays it.
 */
class ConfigReaderFuzzTest {

    /** Only a guard against a hung run: the reader takes milliseconds for the largest input. */
    private static final Duration HANG_GUARD = Duration.ofSeconds(60);

    @Property(tries = 2000)
    void anyBytesEndInAConfigOrProblems(@ForAll @Size(max = 2048) byte[] content) {
        read(content);
    }

    @Property(tries = 2000)
    void configLikeTextEndsInAConfigOrProblems(@ForAll("configLike") byte[] content) {
        read(content);
    }

    /** Pieces repeated up to beyond the file size limit: huge files with structure in them. */
    @Property(tries = 25)
    void hugeRepetitiveFilesEndInAConfigOrProblems(@ForAll("fragment") String fragment,
                                                  @ForAll("hugeLength") int length) {
        byte[] unit = fragment.getBytes(StandardCharsets.ISO_8859_1);
        byte[] content = new byte[length];
        for (int i = 0; i < length; i++) {
            content[i] = unit[i % unit.length];
        }
        assertTimeoutPreemptively(HANG_GUARD, () -> read(content));
    }

    @Provide
    Arbitrary<byte[]> configLike() {
        return fragment().list().ofMaxSize(120).map(pieces -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            pieces.forEach(piece -> out.writeBytes(piece.getBytes(StandardCharsets.ISO_8859_1)));
            return out.toByteArray();
        });
    }

    /**
     * The syntax's pieces, whole specs, and what breaks them. Each piece is a string of bytes
     * (ISO-8859-1), so that it can hold bytes that are not UTF-8.
     */
    @Provide
    Arbitrary<String> fragment() {
        return Arbitraries.oneOf(
                Arbitraries.of("name", "memory", "static_shm", "vif", "=", " = ", "[", "]", "[ ", " ]", ",", ";",
                        "\n", "\r\n", "\t", " ", "#", "# a comment\n", "\"", "'", "\\", "\\n", "\\q", "0x",
                        "0x1000", "123", "0777", "18446744073709551616", "-1", "\"vm1\"", "'vm2'", "\"\"",
                        "\"id=ID1, role=owner, begin=0x100000, size=0x100000\"",
                        "\"id=ID1, begin=0x500000, size=0x1000, offset=0x1000, prot=rw\"",
                        "\"id=ID2, role=borrower, begin=0x1001, end=0x0, size=0x1000, cache_policy=x86_normal\"",
                        "\"id=, =, ,, role\"", "\"ID=X, Begin=1\"", "'id=a/b'", "name = \"vm\"\n",
                        "static_shm = [ ", "\"id=ID1, role=owner, begin=0x100000, size=0x100000\", ",
                        // NUL, other control characters, DEL, a terminal escape
                        "\0", "\u0001", "\u001b[31m", "\u007f", "\u000b", "\f",
                        // UTF-8 done right (é, U+2028, a bidi override, a byte order mark, a clef)
                        "\u00c3\u00a9", "\u00e2\u0080\u00a8", "\u00e2\u0080\u00ae", "\u00ef\u00bb\u00bf",
                        "\u00f0\u009d\u0084\u009e",
                        // and wrong: a stray continuation byte, a cut sequence, an encoded surrogate,
                        // an overlong slash, bytes that never occur
                        "\u0080", "\u00c3", "\u00ed\u00a0\u0080", "\u00c0\u00af", "\u00ff", "\u00fe"),
                Arbitraries.strings().withCharRange('\0', '\u00ff').ofMinLength(1).ofMaxLength(8),
                Arbitraries.strings().withChars("[]\"',=;#\n").ofMinLength(1).ofMaxLength(40));
    }

    @Provide
    Arbitrary<Integer> hugeLength() {
        return Arbitraries.oneOf(Arbitraries.integers().between(XlConfigParser.MAX_LINE_LENGTH,
                        XlConfigParser.MAX_FILE_BYTES),
                Arbitraries.of(XlConfigParser.MAX_FILE_BYTES, XlConfigParser.MAX_FILE_BYTES + 1));
    }

    @Test
    void aFileLargerThanTheLimitIsRefusedUnread(@TempDir Path dir) throws IOException {
        Path huge = dir.resolve("huge.cfg");
        byte[] line = "# a comment line of a config far too large to be one\n".getBytes(StandardCharsets.UTF_8);
        try (var out = Files.newOutputStream(huge)) {
            for (long written = 0; written < 2L * XlConfigParser.MAX_FILE_BYTES; written += line.length) {
                out.write(line);
            }
        }

        SpecProblem problem = onlyProblem(() -> XlConfigParser.parse(huge));

        assertEquals(SpecProblem.LIMIT, problem.field());
        assertEquals(huge.toString() + ": domain (unnamed), limit: the file is larger than 1 MiB, the most a config"
                + " may be; it was not read", problem.describe());
    }

    @Test
    void anEndlessFileIsReadOnlyUpToTheLimit() {
        SpecProblem problem = onlyProblem(() -> XlConfigParser.parse(Path.of("/dev/zero")));

        assertEquals(SpecProblem.LIMIT, problem.field());
    }

    @Test
    void aFileAtTheLimitIsRead() {
        String header = "name = \"vm1\"\nstatic_shm = [ \"id=ID1, role=owner, begin=0x100000, size=0x1000\" ]\n";
        StringBuilder text = new StringBuilder(header);
        while (text.length() < XlConfigParser.MAX_FILE_BYTES - 64) {
            text.append("# padding that an editor might leave, many times over\n");
        }
        byte[] content = text.toString().getBytes(StandardCharsets.UTF_8);

        DomainConfig config = assertTimeoutPreemptively(HANG_GUARD,
                () -> XlConfigParser.parse(content, "big.cfg"));

        assertEquals("vm1", config.name());
        assertEquals(1, config.drafts().size());
    }

    @Test
    void deeplyNestedListsStopAtTheNestingLimit() {
        String deep = "name = \"vm\"\nx = " + "[\n".repeat(400_000) + "\n";

        SpecProblem last = lastProblem(() -> XlConfigParser.parse(deep, "deep.cfg"));

        assertEquals(SpecProblem.LIMIT, last.field());
        assertEquals("deep.cfg:" + (2 + XlConfigParser.MAX_NESTING) + ": domain (unnamed), limit: lists nest more"
                + " than 8 deep here, more than a config may", last.describe());
    }

    @Test
    void listsNestedUpToTheLimitAreRead() {
        int depth = XlConfigParser.MAX_NESTING;
        String text = "name = \"vm\"\nx = " + "[".repeat(depth) + "1" + "]".repeat(depth) + "\n";

        assertEquals("vm", XlConfigParser.parse(text, "nested.cfg").name());
    }

    @Test
    void aLineLongerThanTheLimitStopsReading() {
        String text = "name = \"vm\"\nextra = \"" + "x".repeat(XlConfigParser.MAX_LINE_LENGTH) + "\"\n";

        SpecProblem last = lastProblem(() -> XlConfigParser.parse(text, "long.cfg"));

        assertEquals(SpecProblem.LIMIT, last.field());
        assertEquals("long.cfg:2: domain (unnamed), limit: the line is longer than 65536 characters, the most a"
                + " config line may be", last.describe());
    }

    @Test
    void moreSpecsThanTheLimitAreRefused() {
        StringBuilder text = new StringBuilder("name = \"vm\"\nstatic_shm = [\n");
        for (int i = 0; i <= XlConfigParser.MAX_SPECS; i++) {
            text.append("  \"id=ID").append(i).append(", begin=").append(Numbers.hex(0x100000L * (i + 1)))
                    .append(", size=0x1000\",\n");
        }
        text.append("]\n");

        SpecProblem problem = onlyProblem(() -> XlConfigParser.parse(text.toString(), "many.cfg"));

        assertEquals("many.cfg:2: domain vm, limit: static_shm has 257 entries; a domain may have at most 256",
                problem.describe());
    }

    @Test
    void garbageStopsAfterTheProblemLimit() {
        String garbage = "name = \"vm\"\n" + "@ ! ?\n".repeat(10_000);

        List<SpecProblem> problems = assertThrows(InvalidSpecException.class,
                () -> XlConfigParser.parse(garbage, "junk.cfg")).problems();

        assertEquals(XlConfigParser.MAX_PROBLEMS + 1, problems.size());
        assertEquals("junk.cfg:35: domain (unnamed), limit: more than 100 problems; stopped reading here (is this"
                + " an xl config?)", problems.getLast().describe());
    }

    @Test
    void bytesThatAreNotUtf8AreNamedByLineAndColumn() {
        byte[] content = "name = \"vm\"\n\n# caf\u00e9\nmemory = \"x\u00ff\"\n".getBytes(StandardCharsets.ISO_8859_1);

        SpecProblem problem = onlyProblem(() -> XlConfigParser.parse(content, "latin1.cfg"));

        assertEquals("latin1.cfg:3: domain (unnamed), syntax: not UTF-8 text: byte 0xE9 at column 6 is not part of a"
                + " UTF-8 character; save the file as UTF-8", problem.describe());
    }

    @Test
    void controlCharactersNeverReachAMessageAsThemselves() {
        String text = "name = \"v\\nm\"\nstatic_shm = [ \"id=I\u001b[2J, begin=\0\" ]\n\0\n";

        List<String> lines = assertThrows(InvalidSpecException.class, () -> XlConfigParser.parse(text, "ctl.cfg"))
                .problems().stream().map(SpecProblem::describe).toList();

        assertEquals(List.of(
                "ctl.cfg:1: domain (unnamed), name: 'v\\u000Am' holds a control character; a domain's name is one"
                        + " printable line",
                "ctl.cfg:2: domain (unnamed), syntax: control character U+001B inside a string; remove it",
                "ctl.cfg:3: domain (unnamed), syntax: unexpected character '\\u0000' (U+0000)"), lines);
    }

    @Test
    void aByteOrderMarkIsSkipped() {
        byte[] content = "\u00ef\u00bb\u00bfname = \"vm\"\n".getBytes(StandardCharsets.ISO_8859_1);

        assertEquals("vm", XlConfigParser.parse(content, "bom.cfg").name());
    }

    @Test
    void userTextInMessagesIsCutShort() {
        String text = "name = \"vm\"\nmemory = " + "9".repeat(50_000) + "\nx = \"" + "y".repeat(50_000) + "\n";

        List<String> lines = assertThrows(InvalidSpecException.class, () -> XlConfigParser.parse(text, "cut.cfg"))
                .problems().stream().map(SpecProblem::describe).toList();

        assertEquals(2, lines.size(), lines::toString);
        lines.forEach(line -> assertTrue(line.length() < 400, line));
        assertTrue(lines.get(1).contains("... (50001 characters) is not closed on its line"), lines::toString);
    }

    /**
     * Reads the bytes as the command does (parse, then validate); fails the property on anything
     * but a config or problems that each print as one printable line.
     */
    private static void read(byte[] content) {
        try {
            DomainConfig config = XlConfigParser.parse(content, "fuzz.cfg");
            SpecValidator.validate(config, Platform.ARM);
            PlanChecker.check(List.of(config), Platform.ARM);
        } catch (InvalidSpecException e) {
            List<SpecProblem> problems = e.problems();
            assertFalse(problems.isEmpty());
            assertTrue(problems.size() <= XlConfigParser.MAX_PROBLEMS + 1, () -> problems.size() + " problems");
            for (SpecProblem problem : problems) {
                String line = problem.describe();
                assertTrue(line.length() <= 1200, () -> "too long: " + line.length());
                assertTrue(line.codePoints().noneMatch(ConfigReaderFuzzTest::breaksALine),
                        () -> "not one printable line: " + line);
            }
        }
    }

    private static boolean breaksALine(int codePoint) {
        int type = Character.getType(codePoint);
        return type == Character.CONTROL || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR || type == Character.FORMAT || type == Character.SURROGATE;
    }

    private static SpecProblem onlyProblem(ThrowingSupplier read) {
        List<SpecProblem> problems = assertThrows(InvalidSpecException.class, read::get).problems();
        assertEquals(1, problems.size(), problems::toString);
        return problems.getFirst();
    }

    private static SpecProblem lastProblem(Supplier<DomainConfig> read) {
        return assertTimeoutPreemptively(HANG_GUARD,
                () -> assertThrows(InvalidSpecException.class, read::get).problems().getLast());
    }

    private interface ThrowingSupplier {
        DomainConfig get() throws IOException;
    }
}
