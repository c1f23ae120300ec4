package org.xensshm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xensshm.testkit.junit.NativeTestBed;
import org.xensshm.testkit.testbed.DetachedTestBed;

/**
 * The launcher with the user-space Xen: a long-lived test bed that later commands use through its
 * env file, and the demo, which brings its own bed and must leave a running one alone. Each test
 * has an env file of its own, so no bed of a developer's is touched.
 */
@NativeTestBed
class TestbedAndDemoTest {

    private static final List<String> HEADINGS = List.of("A private user-space Xen", "The xl configs", "The plan",
            "Attach, in creation order", "The mappings", "A message through shared memory", "The records in xenstore",
            "Detach, borrowers first", "Nothing left");

    @TempDir
    Path dir;

    private Path envFile;

    @BeforeEach
    void privateEnvFile() {
        envFile = dir.resolve("run").resolve("testbed.env");
        Examples.write(dir);
    }

    @AfterEach
    void stopWhateverIsLeft() {
        DetachedTestBed.read(envFile).ifPresent(DetachedTestBed::stop);
    }

    @Test
    void theDemoRunsTwiceInARowAndLeavesNothing() {
        for (int round = 1; round <= 2; round++) {
            Cli.Run run = cli().run("demo");

            assertEquals(0, run.status(), "round " + round + ": " + run.describe());
            assertEquals("", run.err(), run.describe());
            List<String> lines = run.out().lines().toList();
            for (int i = 0; i < HEADINGS.size(); i++) {
                String heading = "== " + (i + 1) + ". " + HEADINGS.get(i);
                assertTrue(lines.stream().anyMatch(line -> line.startsWith(heading)), heading + " missing:\n" + run.out());
            }
            for (String domain : Examples.DOMAINS) {
                assertTrue(run.out().contains(Examples.text(domain).strip()), "the config of " + domain + " is shown");
            }
            assertTrue(lines.contains("vm2 borrows ID1: vm1's gfns [0x100, 0x200) -> vm2's gfns [0x500, 0x600),"
                    + " 256 of 256 frames shared"), run.out());
            assertTrue(lines.contains("vm3 borrows ID2: vm1's gfns [0x310, 0x400) -> vm3's gfns [0x690, 0x780),"
                    + " 240 of 240 frames shared"), run.out());
            assertTrue(lines.contains("vm3 reads  at 0x690000  \"Hello vm3, this is vm1 on ID2\""), run.out());
            assertTrue(lines.contains("/libxl/static_shm/ID2/slaves/3/offset = \"0x10000\""), run.out());
            assertTrue(lines.contains("pages still mapped in borrowers' windows:  0"), run.out());
        }
    }

    @Test
    void theDemoReportsAsJson() {
        Cli.Run run = cli().run("demo", "--json");

        assertEquals(0, run.status(), run.describe());
        Map<String, Object> demo = JsonReader.object(run.out());
        assertEquals(true, demo.get("ok"));
        for (Object entry : (List<?>) demo.get("mappings")) {
            Map<?, ?> mapping = (Map<?, ?>) entry;
            assertEquals(((Map<?, ?>) mapping.get("gfns")).get("count"), mapping.get("framesShared"), mapping.toString());
        }
        List<?> messages = (List<?>) demo.get("messages");
        assertEquals(2, messages.size());
        for (Object entry : messages) {
            Map<?, ?> message = (Map<?, ?>) entry;
            assertEquals(message.get("message"), message.get("read"));
        }
        assertEquals(Map.of("regions", 0L, "domainEntries", 0L, "mappedPages", 0L), demo.get("left"));
    }

    @Test
    void aTestBedServesLaterCommandsUntilStopped() {
        assertTrue(cli().run("testbed", "status").out().startsWith("no test bed"));

        Cli.Run start = cli().run("testbed", "start");
        assertEquals(0, start.status(), start.describe());
        DetachedTestBed bed = DetachedTestBed.read(envFile).orElseThrow();
        assertTrue(bed.alive(), "xenstored outlives the command that started it");
        String env = read(envFile);
        for (String variable : List.of("LD_PRELOAD", "XENSIM_STATE", "XENSTORED_PATH")) {
            assertTrue(env.lines().anyMatch(line -> line.startsWith("export " + variable + "='")), env);
        }

        // Later commands find the bed through the env file alone.
        assertOk(cli().run("attach", "--domid", "1", "vm1.cfg"));
        assertOk(cli().run("attach", "--domid", "2", "vm2.cfg"));
        Cli.Run status = cli().run("status", "--id", "ID1");
        assertOk(status);
        assertTrue(status.out().contains("2 (vm2)"), "the bed named its domains in xenstore: " + status.describe());
        Cli.Run bedStatus = cli().run("testbed", "status", "--json");
        assertEquals("running", JsonReader.object(bedStatus.out()).get("state"));
        assertEquals(bed.pid(), JsonReader.object(bedStatus.out()).get("pid"));

        // The demo brings its own bed and leaves this one as it was.
        assertOk(cli().run("demo"));
        assertTrue(bed.alive());
        assertTrue(cli().run("status", "--id", "ID1").out().contains("2 (vm2)"), "the bed's records are intact");

        Cli.Run stop = cli().run("testbed", "stop");
        assertOk(stop);
        assertEquals("test bed stopped (xenstored pid " + bed.pid() + ")\n", stop.out());
        assertFalse(Files.exists(envFile));
        assertFalse(Files.exists(bed.home()), "the bed's directory and hypervisor state are gone");
        assertTrue(waitForExit(bed.pid()), "xenstored is gone");
        assertTrue(cli().run("testbed", "status").out().startsWith("no test bed"));
    }

    @Test
    void aSecondTestBedIsRefusedWhileOneRuns() {
        assertOk(cli().run("testbed", "start", "--domain", "alpha=4", "--ram", "64K"));

        Cli.Run again = cli().run("testbed", "start");

        assertEquals(1, again.status(), again.describe());
        assertTrue(again.err().contains("a test bed is already running"), again.describe());
        assertEquals(List.of(new DetachedTestBed.Domain("alpha", 4)), DetachedTestBed.read(envFile).orElseThrow().domains());
    }

    /** How the README has a person try 'watch' without Xen: domains made and destroyed by 'testbed'. */
    @Test
    void theWatcherFollowsDomainsTheTestBedCreatesAndDestroys() throws Exception {
        assertOk(cli().run("testbed", "start"));
        Examples.write(dir, "vm4", "name = \"vm4\"\nstatic_shm = [ \"id=ID4, begin=0x100000, size=0x100000, role=owner\" ]\n");
        try (Cli.Running watch = cli().launch("watch", "--config-dir", dir.toString(), "--unpause")) {
            watch.awaitLine(line -> line.startsWith("watching for domains"));

            Cli.Run create = cli().run("testbed", "create", "--domain", "vm4=4", "--paused");
            assertOk(create);
            assertTrue(create.out().startsWith("domain 4 (vm4) created, paused\n"), create.describe());
            watch.awaitLine(line -> line.equals("unpaused domain 4 (vm4)"));
            assertTrue(cli().run("status").out().contains("ID4"));

            assertOk(cli().run("testbed", "destroy", "--domid", "4"));
            watch.awaitLine(line -> line.equals("detached domain 4 (vm4) (gone): ID4 removed"));

            Cli.Run run = watch.terminate();
            assertEquals(0, run.status(), run.describe());
            assertTrue(run.out().contains("refused domain 1 (vm1): it is already running"), run.describe());
        }
        assertEquals(List.of(new DetachedTestBed.Domain("vm1", 1), new DetachedTestBed.Domain("vm2", 2),
                new DetachedTestBed.Domain("vm3", 3)), DetachedTestBed.read(envFile).orElseThrow().domains());
        Cli.Run taken = cli().run("testbed", "create", "--domain", "again=2");
        assertEquals(1, taken.status(), taken.describe());
        assertTrue(taken.err().contains("the test bed has a domain vm2 with domid 2 already"), taken.describe());
    }

    @Test
    void theLauncherIgnoresTheEnvFileOfADeadTestBed() throws Exception {
        assertOk(cli().run("testbed", "start"));
        DetachedTestBed bed = DetachedTestBed.read(envFile).orElseThrow();
        ProcessHandle.of(bed.pid()).orElseThrow().destroyForcibly();
        assertTrue(waitForExit(bed.pid()));

        Cli.Run status = cli().run("status");

        assertTrue(status.errLines().getFirst().startsWith("xen-sshm: warning: ignoring the stale test bed env file "
                + envFile), status.describe());
        assertEquals(1, status.status(), "with nothing preloaded there is no Xen to ask: " + status.describe());
        assertTrue(cli().run("testbed", "status").out().startsWith("stale test bed"));

        Cli.Run stop = cli().run("testbed", "stop");
        assertEquals("stale test bed removed\n", stop.out(), stop.describe());
        assertFalse(Files.exists(envFile));
        assertFalse(Files.exists(bed.home()));
    }

    private Cli cli() {
        return Cli.launcher().in(dir).env("XEN_SSHM_TESTBED_ENV", envFile.toString());
    }

    private static void assertOk(Cli.Run run) {
        assertEquals(0, run.status(), run.describe());
        assertEquals("", run.err(), run.describe());
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static boolean waitForExit(long pid) {
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty()) {
            return true;
        }
        try {
            process.get().onExit().get(5, TimeUnit.SECONDS);
            return true;
        } catch (Exception e) {
            // A process that is not our child is polled; a zombie never "exits" this way.
            return !Files.exists(Path.of("/proc", Long.toString(pid), "cmdline")) || read(Path.of("/proc",
                    Long.toString(pid), "cmdline")).isEmpty();
        }
    }
}
