package org.xensshm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The unit file that runs {@code xen-sshm watch} under systemd: valid, and what the README says it is. */
class SystemdUnitTest {

    private static final Path UNIT = Cli.ROOT.resolve("src/cli/systemd/xen-sshm-watch.service");
    private static final Path SYSTEMD_ANALYZE = Path.of("/usr/bin/systemd-analyze");

    @TempDir
    Path dir;

    @Test
    void itRestartsTheWatcherOnFailureAfterXenstoredAndStopsItWithSigterm() throws IOException {
        List<String> lines = Files.readAllLines(UNIT);

        assertTrue(lines.contains("Restart=on-failure"), "restarted when xenstored is lost (exit status 1)");
        assertTrue(lines.contains("After=xenstored.service xen.service"), "after xenstored, upstream's or Debian's");
        assertTrue(lines.contains("KillSignal=SIGTERM"));
        assertEquals(List.of("watch", "--config-dir", "/etc/xen", "--unpause"), execStart(lines).subList(1, 5));
    }

    @Test
    void itsCommandLineIsOneTheToolAccepts() throws IOException {
        List<String> command = new ArrayList<>(execStart(Files.readAllLines(UNIT)).subList(1, 5));
        command.add("--help");

        Cli.Run help = Cli.java().run(command.toArray(String[]::new));

        assertEquals(0, help.status(), help.describe());
        assertTrue(help.out().startsWith("Set up regions as domains are created"), help.describe());
    }

    @Test
    void systemdFindsNothingWrongWithIt() throws Exception {
        boolean ci = "true".equals(System.getenv("CI"));
        if (!Files.isExecutable(SYSTEMD_ANALYZE)) {
            Assumptions.assumeTrue(ci, SYSTEMD_ANALYZE + " is missing (apt-get install systemd)");
            throw new AssertionError(SYSTEMD_ANALYZE + " is missing under CI=true (apt-get install systemd)");
        }
        // The unit names the installed launcher; here it is this checkout's.
        Path unit = dir.resolve("xen-sshm-watch.service");
        Files.writeString(unit, Files.readString(UNIT).replace("/usr/local/bin/xen-sshm", Cli.LAUNCHER.toString()));

        Process verify = new ProcessBuilder(SYSTEMD_ANALYZE.toString(), "verify", unit.toString())
                .redirectErrorStream(true).start();
        String output = new String(verify.getInputStream().readAllBytes());
        assertTrue(verify.waitFor(60, TimeUnit.SECONDS));

        assertEquals(0, verify.exitValue(), output);
        assertEquals("", output.strip(), "no warning");
    }

    private static List<String> execStart(List<String> lines) {
        String line = lines.stream().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
        List<String> words = Arrays.asList(line.substring("ExecStart=".length()).split(" +"));
        assertEquals("/usr/local/bin/xen-sshm", words.getFirst());
        return words;
    }
}
