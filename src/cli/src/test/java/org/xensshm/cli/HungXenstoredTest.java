package org.xensshm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xensshm.engine.HypervisorSelfTest;
import org.xensshm.spec.SshmSpec;
import org.xensshm.testkit.junit.NativeTestBed;
import org.xensshm.testkit.testbed.GuestDomains;
import org.xensshm.testkit.testbed.Signals;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.testkit.testbed.TestBed;
import org.xensshm.xen.XenControl;
import org.xensshm.xen.XenStore;

/**
 * The test bed's xenstored is stopped (SIGSTOP) in the middle of an attach by the command: the
 * command is frozen by the simulated hypervisor right after it mapped its first region, the
 * daemon is stopped, the command goes on, and its next xenstore request meets the deadline.
 * It exits 1 naming xenstored; once the daemon goes on, reconcile leaves nothing half done and
 * the attach succeeds. Nothing here is timed but "it returned".
 */
@NativeTestBed
class HungXenstoredTest {

    private static final long RAM_PAGES = 0x400;
    /** Only a guard against a hung test. */
    private static final Duration HANG_GUARD = Duration.ofSeconds(120);
    /** vm2 borrows both of vm1's regions, so the attach has a step after its first mapping. */
    private static final String TWO_REGIONS = """
            name = "vm2"
            static_shm = [ "id=ID1, begin=0x500000, size=0x100000, role=borrower",
                           "id=ID2, begin=0x700000, size=0x100000, role=borrower" ]
            """;

    @TempDir
    Path dir;

    private TestBed bed;
    private SimulatedHypervisor sim;

    @BeforeEach
    void domains(TestBed bed, SimulatedHypervisor sim) {
        this.bed = bed;
        this.sim = sim;
        Examples.write(dir);
        Examples.write(dir, "vm2", TWO_REGIONS);
        try (XenControl xen = XenControl.open(); XenStore store = XenStore.open()) {
            for (int domid = 1; domid <= 2; domid++) {
                GuestDomains.create(sim, store, domid, "vm" + domid, RAM_PAGES << SshmSpec.PAGE_SHIFT, false);
            }
            // Known for this boot from now on: the command's first mapping is its own.
            new HypervisorSelfTest(xen, store).cachedOrRun();
        }
        assertEquals(0, cli().run("attach", "--domid", "1", "vm1.cfg").status());
    }

    @Test
    void theCommandExitsAtTheDeadlineNamingXenstoredAndReconcileFinishesTheJob() {
        sim.stopAfterNth(SimulatedHypervisor.Op.ADD_TO_PHYSMAP_BATCH, 1);
        Cli.Started attach = cli().start("--json", "--store-deadline", "1s", "attach", "--domid", "2", "vm2.cfg");
        Cli.Run run;
        try {
            long pid = attach.process().pid();
            assertTimeoutPreemptively(HANG_GUARD, () -> {
                while (!Signals.stopped(pid)) {
                    Thread.sleep(5);
                }
            }, "the command stops after its first mapping");
            assertEquals(RAM_PAGES + 0x100, sim.mappedPages(2), "frozen with ID1 mapped");
            bed.xenstored().suspend();
            Signals.resume(pid);
            run = attach.finish();
        } finally {
            bed.xenstored().resume();
        }

        assertEquals(1, run.status(), run.describe());
        List<String> lines = run.errLines();
        assertTrue(lines.getFirst().startsWith("xen-sshm: domain 2, static_shm id ID2: recording the borrower's mapping"
                + " failed: xs_transaction_start() failed: ETIMEDOUT: xenstored at " + bed.xenstored().socket()
                + " did not answer within 1 s, so the connection was shut down (is the daemon stopped or hung?)"),
                run.describe());
        assertEquals("xen-sshm: run 'xen-sshm reconcile' once xenstored answers again to finish or undo what this"
                + " command left", lines.getLast(), run.describe());
        Map<String, Object> failure = JsonReader.object(run.out());
        assertEquals("XENSTORED_UNREACHABLE", failure.get("type"));
        assertEquals("TIMED_OUT", failure.get("reason"));
        assertEquals(true, failure.get("needsReconcile"));
        assertEquals(RAM_PAGES, sim.mappedPages(2), "the pages it had mapped were unmapped");

        Cli.Run reconcile = cli().run("--json", "reconcile");
        assertEquals(0, reconcile.status(), reconcile.describe());
        Map<?, ?> id1 = region(cli().run("--json", "status", "--id", "ID1"));
        assertEquals(List.of(), id1.get("borrowers"), "nothing half done: " + reconcile.describe());
        assertEquals(1L, id1.get("userCount"));
        assertEquals(List.of(), region(cli().run("--json", "status", "--id", "ID2")).get("borrowers"));
        assertEquals(RAM_PAGES, sim.mappedPages(2));

        Cli.Run again = cli().run("attach", "--domid", "2", "vm2.cfg");
        assertEquals(0, again.status(), again.describe());
        assertEquals(RAM_PAGES + 0x200, sim.mappedPages(2));
        assertEquals(sim.frameOf(1, 0x300), sim.frameOf(2, 0x700), "ID2 maps vm1's frames");
    }

    @Test
    void aStoppedDaemonFailsAQueryAtTheDeadline() {
        bed.xenstored().suspend();
        Cli.Run status;
        try {
            status = assertTimeoutPreemptively(HANG_GUARD, () -> cli().run("--store-deadline", "300ms", "status"));
        } finally {
            bed.xenstored().resume();
        }

        assertEquals(1, status.status(), status.describe());
        assertEquals(1, status.errLines().size(), status.describe());
        assertTrue(status.err().contains("xenstored at " + bed.xenstored().socket() + " did not answer within 300 ms"),
                status.describe());
    }

    private static Map<?, ?> region(Cli.Run status) {
        assertEquals(0, status.status(), status.describe());
        return (Map<?, ?>) ((List<?>) JsonReader.object(status.out()).get("regions")).getFirst();
    }

    private Cli cli() {
        return Cli.java().env(bed.clientEnvironment()).env("XEN_SSHM_TESTBED_ENV", dir.resolve("none.env").toString())
                .in(dir);
    }
}
