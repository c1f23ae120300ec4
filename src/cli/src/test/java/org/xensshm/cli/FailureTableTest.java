package org.xensshm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xensshm.engine.HypervisorSelfTest;
import org.xensshm.host.Errno;
import org.xensshm.spec.SshmSpec;
import org.xensshm.testkit.junit.NativeTestBed;
import org.xensshm.testkit.testbed.DetachedTestBed;
import org.xensshm.testkit.testbed.GuestDomains;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.testkit.testbed.TestBed;
import org.xensshm.xen.XenControl;
import org.xensshm.xen.XenStore;

/**
 * The README's failure table is what the command does: each test provokes one failure an
 * operator can meet, on the test bed, and checks that the command's exit status, {@code --json}
 * type and reason form a row of the table, and that one of its stderr lines has the shape of
 * that row's example message. Once all have run, every row must have been met.
 */
@NativeTestBed
class FailureTableTest {

    private static final long RAM_PAGES = 0x400;
    /** Only a guard against a hung test. */
    private static final Duration HANG_GUARD = Duration.ofSeconds(60);
    private static final List<Row> TABLE = Row.readTable(Cli.ROOT.resolve("README.md"));
    private static final Set<Row> MET = Collections.synchronizedSet(new HashSet<>());

    /**
     * One row: {@code | failure | `example message` | exit | `TYPE` | reasons |}. The reasons are
     * codes in backquotes, "errno" for any errno name, or "-" for none. In the example,
     * {@code <...>} stands for what varies (a path, a pid) and a trailing {@code ...} for the rest
     * of the line.
     */
    record Row(String failure, List<Pattern> messages, int exit, String type, Set<String> reasons, boolean anyErrno) {

        private static final Pattern CODE = Pattern.compile("`([A-Z0-9_]+)`");

        static List<Row> readTable(Path readme) {
            List<String> lines;
            try {
                lines = Files.readAllLines(readme);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            int header = lines.indexOf("| failure | message (an example) | exit | type | reason |");
            assertTrue(header >= 0, "the README has no failure table");
            List<Row> rows = new ArrayList<>();
            for (String line : lines.subList(header + 2, lines.size())) {
                if (!line.startsWith("|")) {
                    break;
                }
                String[] cells = line.substring(1, line.length() - 1).split(" \\| ", -1);
                assertEquals(5, cells.length, "not a row of five cells: " + line);
                Matcher type = CODE.matcher(cells[3]);
                assertTrue(type.find(), "no type in " + line);
                Set<String> reasons = new TreeSet<>();
                Matcher reason = CODE.matcher(cells[4]);
                while (reason.find()) {
                    reasons.add(reason.group(1));
                }
                rows.add(new Row(cells[0].strip(), examples(cells[1]), Integer.parseInt(cells[2].strip()),
                        type.group(1), reasons, cells[4].contains("errno")));
            }
            assertFalse(rows.isEmpty());
            return rows;
        }

        /** Each example in backquotes, as a pattern. */
        private static List<Pattern> examples(String cell) {
            List<Pattern> examples = new ArrayList<>();
            Matcher quoted = Pattern.compile("`([^`]+)`").matcher(cell);
            while (quoted.find()) {
                examples.add(example(quoted.group(1)));
            }
            assertFalse(examples.isEmpty(), "no example in backquotes: " + cell);
            return examples;
        }

        /** An example as a pattern: {@code <...>} matches anything, a trailing ... the rest of the line. */
        private static Pattern example(String example) {
            String text = example;
            boolean open = text.endsWith("...");
            if (open) {
                text = text.substring(0, text.length() - 3);
            }
            StringBuilder regex = new StringBuilder();
            Matcher variable = Pattern.compile("<[^>]*>").matcher(text);
            int at = 0;
            while (variable.find()) {
                regex.append(Pattern.quote(text.substring(at, variable.start()))).append(".+?");
                at = variable.end();
            }
            regex.append(Pattern.quote(text.substring(at))).append(open ? ".*" : "");
            return Pattern.compile(regex.toString());
        }

        boolean takes(String reason) {
            return reason.isEmpty() ? reasons.isEmpty() && !anyErrno
                    : reasons.contains(reason) || anyErrno && reason.matches("E[A-Z0-9]+");
        }
    }

    @TempDir
    Path dir;

    private TestBed bed;
    private SimulatedHypervisor sim;
    private Path envFile;

    @BeforeEach
    void domains(TestBed bed, SimulatedHypervisor sim) {
        this.bed = bed;
        this.sim = sim;
        this.envFile = dir.resolve("run").resolve("testbed.env");
        Examples.write(dir);
        Examples.write(dir, "bad", "name = \"bad\"\nstatic_shm = [ \"id=X, begin=0x1001, size=0x1000\" ]\n");
        try (XenControl xen = XenControl.open(); XenStore store = XenStore.open()) {
            for (int domid = 1; domid <= 3; domid++) {
                GuestDomains.create(sim, store, domid, "vm" + domid, RAM_PAGES << SshmSpec.PAGE_SHIFT, false);
            }
            new HypervisorSelfTest(xen, store).cachedOrRun();
        }
    }

    @AfterEach
    void noFaultsLeft() {
        sim.clearFaults();
        DetachedTestBed.read(envFile).ifPresent(DetachedTestBed::stop);
    }

    @AfterAll
    static void everyRowWasMet() {
        List<String> unmet = TABLE.stream().filter(row -> !MET.contains(row)).map(Row::failure).toList();
        assertEquals(List.of(), unmet, "rows of the README's failure table no test met");
    }

    @Test
    void usage() {
        meets(onBed().run("--json", "attach"));
    }

    @Test
    void aHostTreeWithoutTheDomainsNodes() throws IOException {
        Files.writeString(dir.resolve("host.dts"), "/dts-v1/;\n/ {\n\tchosen {\n\t\t#address-cells = <2>;\n"
                + "\t\t#size-cells = <2>;\n\t\tvm1 {\n\t\t\tcompatible = \"xen,domain\";\n"
                + "\t\t\tmemory = <0x0 0x10000>;\n\t\t};\n\t};\n};\n");
        meets(onBed().run("--json", "dom0less", "--host-dts", "host.dts", "--host-base", "0x70000000", "vm1.cfg",
                "vm2.cfg", "vm3.cfg"));
    }

    @Test
    void badInput() {
        meets(onBed().run("--json", "check", "nope.cfg"));
        meets(onBed().run("--json", "attach", "--domid", "99999", "vm1.cfg"));
    }

    @Test
    void invalidConfig() {
        meets(onBed().run("--json", "attach", "--domid", "2", "bad.cfg"));
        meets(onBed().run("--json", "check", "/dev/zero"));
    }

    @Test
    void refusedRegion() {
        meets(onBed().run("--json", "attach", "--domid", "2", "vm2.cfg"));
        attachOwner();
        meets(onBed().run("--json", "attach", "--domid", "1", "vm1.cfg"));
    }

    @Test
    void refusedMapSpace() {
        attachOwner();
        sim.personality(SimulatedHypervisor.Personality.STOCK);
        meets(onBed().run("--json", "attach", "--domid", "2", "vm2.cfg"));
    }

    @Test
    void pagesThatCannotBeMapped() {
        attachOwner();
        try (XenControl xen = XenControl.open()) {
            xen.removeFromPhysmap(1, 0x150);
        }
        meets(onBed().run("--json", "attach", "--domid", "2", "vm2.cfg"));
    }

    @Test
    void aHypervisorWhoseSharesHoldNoReference() {
        attachOwner();
        sim.personality(SimulatedHypervisor.Personality.SERIES);
        meets(onBed().run("--json", "attach", "--domid", "2", "vm2.cfg"));
    }

    @Test
    void aHypercallThatFailsAsAWhole() {
        attachOwner();
        sim.failNth(SimulatedHypervisor.Op.ADD_TO_PHYSMAP_BATCH, 1, Errno.EIO);
        meets(onBed().run("--json", "attach", "--domid", "2", "vm2.cfg"));
    }

    @Test
    void aDetachThatStopsShort() {
        attachOwner();
        assertEquals(0, onBed().run("attach", "--domid", "2", "vm2.cfg").status());
        sim.failGfn(2, 0x510, Errno.EIO);
        meets(onBed().run("--json", "detach", "--domid", "2"));
    }

    @Test
    void xenstoredNotRunning() throws IOException {
        meets(onBed().env("XENSTORED_PATH", dir.resolve("nowhere").toString()).run("--json", "status"));
        Path refusing = dir.resolve("refusing");
        try (ServerSocketChannel socket = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            socket.bind(UnixDomainSocketAddress.of(refusing));
        }
        meets(onBed().env("XENSTORED_PATH", refusing.toString()).run("--json", "status"));
    }

    @Test
    void xenstoredStoppedOrHung() {
        bed.xenstored().suspend();
        try {
            meets(onBed().run("--json", "--store-deadline", "300ms", "status"));
        } finally {
            bed.xenstored().resume();
        }
    }

    @Test
    void xenstoredConnectionLost() {
        // A device that takes requests and answers with an end of file: a connection that broke.
        meets(onBed().env("XENSTORED_PATH", "/dev/null").run("--json", "status"));
    }

    @Test
    void noXenHere() {
        assumeFalse(Files.exists(Path.of("/dev/xen/privcmd")), "a Xen host: it has a hypervisor interface");
        meets(Cli.java().env("XEN_SSHM_TESTBED_ENV", envFile.toString()).in(dir).run("--json", "status"));
    }

    @Test
    void testBedsThatCannotBeUsed() {
        Cli launcher = Cli.launcher().in(dir).env("XEN_SSHM_TESTBED_ENV", envFile.toString());
        assertEquals(0, launcher.run("testbed", "start").status());
        meets(launcher.run("--json", "testbed", "start"));
        meets(Cli.java().env("XEN_SSHM_TESTBED_ENV", envFile.toString()).in(dir).run("--json", "status"));

        DetachedTestBed started = DetachedTestBed.read(envFile).orElseThrow();
        ProcessHandle.of(started.pid()).ifPresent(ProcessHandle::destroyForcibly);
        assertTimeoutPreemptively(HANG_GUARD, () -> {
            while (started.alive()) {
                Thread.sleep(5);
            }
        });
        meets(launcher.run("--json", "status"));
        // With the dead bed's variables still set, as in a shell that sourced its env file.
        meets(Cli.java().env(Map.of("LD_PRELOAD", SimulatedHypervisor.preloadedLibrary().orElseThrow().toString(),
                "XENSIM_STATE", started.stateFile().toString(), "XENSTORED_PATH", started.socket().toString(),
                "XEN_SSHM_TESTBED_ENV", envFile.toString())).in(dir).run("--json", "status"));
    }

    @Test
    void noNativeAccess() {
        meets(Cli.javaWithoutNativeAccess().env(bed.clientEnvironment()).env("XEN_SSHM_TESTBED_ENV",
                envFile.toString()).in(dir).run("--json", "status"));
    }

    @Test
    void anotherXenCallFails() {
        sim.failNth(SimulatedHypervisor.Op.ANY, 1, Errno.EIO);
        meets(onBed().run("--json", "status"));
    }

    @Test
    void anythingElse() {
        meets(onBed().run("--json", "status", "--id", "NOPE"));
    }

    /** The run's codes and message form a row of the table; the row is marked as met. */
    private static void meets(Cli.Run run) {
        Map<String, Object> failure = JsonReader.object(run.out());
        assertEquals(false, failure.get("ok"), run.describe());
        int exit = ((Long) failure.get("exitStatus")).intValue();
        assertEquals(run.status(), exit, run.describe());
        String type = (String) failure.get("type");
        String reason = (String) failure.getOrDefault("reason", "");
        List<Row> rows = TABLE.stream().filter(row -> row.type().equals(type) && row.exit() == exit
                && row.takes(reason)).toList();
        assertFalse(rows.isEmpty(), "no row of the README's failure table for exit " + exit + ", type " + type
                + ", reason '" + reason + "':\n" + run.describe());
        Optional<Row> shaped = rows.stream().filter(row -> run.errLines().stream()
                .anyMatch(line -> row.messages().stream().anyMatch(example -> example.matcher(line).matches())))
                .findFirst();
        assertTrue(shaped.isPresent(), "no stderr line has the shape of the example of "
                + rows.stream().map(Row::failure).collect(Collectors.joining(" or ")) + ":\n" + run.describe());
        MET.add(shaped.get());
    }

    private void attachOwner() {
        assertEquals(0, onBed().run("attach", "--domid", "1", "vm1.cfg").status());
    }

    /** The command on the test bed this JVM runs, with no test bed env file of its own. */
    private Cli onBed() {
        return Cli.java().env(bed.clientEnvironment()).env("XEN_SSHM_TESTBED_ENV", envFile.toString()).in(dir);
    }
}
