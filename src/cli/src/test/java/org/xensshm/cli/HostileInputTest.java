package org.xensshm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files no config reader should choke on, given to the command: each run ends with status 2 and
 * one line per problem on stderr (never a stack trace), and --json says the same.
 */
class HostileInputTest {

    /** The random files' seed: fixed, so that a failure replays. */
    private static final long SEED = 0x5EEDL;

    @TempDir
    Path dir;

    @Test
    void everyHostileFileIsOneLineOrMorePerProblemAndStatusTwo() throws IOException {
        Random random = new Random(SEED);
        byte[] noise = new byte[4096];
        random.nextBytes(noise);
        List<Path> files = List.of(
                file("nul.cfg", new byte[1000]),
                file("noise.cfg", noise),
                file("latin1.cfg", "name = \"caf\u00e9\"\n".getBytes(StandardCharsets.ISO_8859_1)),
                file("deep.cfg", ("name = \"deep\"\nx = " + "[".repeat(50_000)).getBytes(StandardCharsets.UTF_8)),
                file("long.cfg", ("name = \"long\"\n# " + "x".repeat(100_000)).getBytes(StandardCharsets.UTF_8)),
                file("escape.cfg", "name = \"a\\nb\u001b[2J\"\n\u2028static_shm = 1\n".getBytes(StandardCharsets.UTF_8)),
                file("huge.cfg", new byte[3 << 20]));

        List<String> arguments = new java.util.ArrayList<>(List.of("check"));
        files.forEach(f -> arguments.add(f.getFileName().toString()));
        arguments.add("/dev/zero");
        Cli.Run text = Cli.java().in(dir).run(arguments.toArray(String[]::new));
        arguments.addFirst("--json");
        Cli.Run json = Cli.java().in(dir).run(arguments.toArray(String[]::new));

        assertEquals(2, text.status(), text.describe());
        assertEquals("", text.out(), text.describe());
        assertFalse(text.err().contains("Exception") || text.err().contains("\tat "), text.describe());
        for (String line : text.errLines()) {
            assertTrue(line.matches("(\\S+\\.cfg|/dev/zero)(:\\d+)?: domain .*, [a-z_]+: \\S.*"), "not a problem line: " + line);
            assertTrue(line.chars().noneMatch(c -> Character.isISOControl(c)), "control character in: " + line);
        }
        for (Path file : files) {
            assertTrue(text.errLines().stream().anyMatch(line -> line.startsWith(file.getFileName() + ":")),
                    "nothing about " + file.getFileName() + ":\n" + text.describe());
        }
        assertTrue(text.errLines().contains("/dev/zero: domain (unnamed), limit: the file is larger than 1 MiB, the most"
                + " a config may be; it was not read"), text.describe());
        Map<String, Object> failure = JsonReader.object(json.out());
        assertEquals(2L, failure.get("exitStatus"));
        assertEquals("INVALID_SPEC", failure.get("type"));
        assertEquals(text.errLines(), failure.get("errors"));
    }

    @Test
    void aDirectoryIsNotAConfig() {
        Cli.Run run = Cli.java().in(dir).run("check", ".");

        assertEquals(2, run.status(), run.describe());
        assertEquals(1, run.errLines().size(), run.describe());
        assertTrue(run.err().startsWith("xen-sshm: cannot read .: "), run.describe());
    }

    private Path file(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }
}
