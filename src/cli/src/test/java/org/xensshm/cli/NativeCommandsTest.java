package org.xensshm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xensshm.host.DomainInfo;
import org.xensshm.testkit.junit.NativeTestBed;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.testkit.testbed.TestBed;
import org.xensshm.xen.XenControl;
import org.xensshm.xen.XenStore;

/**
 * attach, status, detach and reconcile as processes of their own, on the native stack: real
 * libxenctrl over the simulated hypervisor this JVM shares with them, and the test bed's real
 * xenstored. What they did is checked here, in the hypervisor's physmaps and in xenstore.
 */
@NativeTestBed
class NativeCommandsTest {

    private static final long RAM_PAGES = 0x400;

    @TempDir
    Path dir;

    private TestBed bed;
    private SimulatedHypervisor xen;

    @BeforeEach
    void startDomains(TestBed bed) {
        this.bed = bed;
        this.xen = bed.hypervisor();
        Examples.write(dir);
        try (XenStore store = XenStore.open()) {
            for (int domid = 1; domid <= 3; domid++) {
                xen.createDomain(domid);
                xen.populate(domid, 0, RAM_PAGES);
                store.write(XenStore.NO_TRANSACTION, store.domainPath(domid) + "/name", "vm" + domid);
            }
        }
    }

    @Test
    void attachMapsTheOwnersFramesIntoEachBorrower() {
        attachAll();

        assertShared(1, 0x100, 2, 0x500, 0x100);
        assertShared(1, 0x310, 3, 0x690, 0xf0);
        assertEquals(Optional.of("2"), read("/libxl/static_shm/ID1/usercnt"));
        assertEquals(Optional.of("slave"), read("/local/domain/3/static_shm/ID2/role"));
    }

    @Test
    void attachReportsWhatItMapped() {
        run("attach", "--domid", "1", "vm1.cfg");

        Cli.Run text = run("attach", "--domid", "3", "vm3.cfg");
        Cli.Run json = run("--json", "detach", "--domid", "3");
        Cli.Run again = run("attach", "--domid", "3", "--json", "vm3.cfg");

        assertTrue(text.out().startsWith("domain 3 (vm3): attached 1 region\n"), text.describe());
        assertTrue(text.out().matches("(?s).*ID2\\s+borrower\\s+\\[0x690000, 0x780000\\)\\s+240\\s+maps domain 1's gfns"
                + " \\[0x310, 0x400\\) at its gfns \\[0x690, 0x780\\).*"), text.describe());
        assertEquals(Map.of("id", "ID2", "role", "borrower", "outcome", "unmapped"),
                ((List<?>) JsonReader.object(json.out()).get("regions")).getFirst());
        Map<?, ?> region = (Map<?, ?>) ((List<?>) JsonReader.object(again.out()).get("regions")).getFirst();
        assertEquals(1L, region.get("owner"));
        assertEquals(Map.of("first", "0x310", "end", "0x400", "count", 240L), region.get("ownerGfns"));
        assertEquals(Map.of("first", "0x690", "end", "0x780", "count", 240L), region.get("gfns"));
    }

    /** The vendor xl's layout on request; a borrower joins in its region's layout; status tells which. */
    @Test
    void attachRecordsANewRegionInTheLayoutAsked() {
        run("attach", "--domid", "1", "--layout", "owner-borrower", "vm1.cfg");
        run("attach", "--domid", "3", "vm3.cfg");

        List<?> regions = (List<?>) JsonReader.object(run("status", "--json").out()).get("regions");
        assertEquals(List.of("owner-borrower", "owner-borrower"), regions.stream().map(r -> ((Map<?, ?>) r).get("layout"))
                .toList());
        Cli.Run wrong = Cli.java().env(bed.clientEnvironment()).in(dir).run("attach", "--domid", "2", "--layout",
                "master-slave", "vm2.cfg");
        assertEquals(2, wrong.status(), wrong.describe());
        assertTrue(wrong.err().contains("seed or owner-borrower"), wrong.describe());
        run("detach", "--domid", "3");
        run("detach", "--domid", "1");
        assertEquals(List.of(), JsonReader.object(run("status", "--json").out()).get("regions"));
    }

    @Test
    void statusShowsOwnersBorrowersAndCounts() {
        attachAll();

        Cli.Run text = run("status");
        Cli.Run json = run("status", "--json");
        Cli.Run one = run("status", "--id", "ID2", "--json");

        assertTrue(text.out().startsWith("2 regions recorded in xenstore\n"), text.describe());
        assertTrue(text.out().matches("(?s).*\\nID1\\s+seed\\s+1 \\(vm1\\)\\s+\\[0x100000, 0x200000\\)\\s+256\\s+rw\\s+ARM_normal"
                + "\\s+2\\s+1\\s+active\\n.*"), text.describe());
        assertTrue(text.out().matches("(?s).*\\n3 \\(vm3\\)\\s+ID2\\s+\\[0x690000, 0x780000\\)\\s+0x10000\\s+240\\s+gmfn_share\\s+mapped\\n.*"),
                text.describe());
        List<?> regions = (List<?>) JsonReader.object(json.out()).get("regions");
        assertEquals(List.of("ID1", "ID2"), regions.stream().map(r -> ((Map<?, ?>) r).get("id")).toList());
        Map<?, ?> id2 = (Map<?, ?>) ((List<?>) JsonReader.object(one.out()).get("regions")).getFirst();
        assertEquals(1L, id2.get("owner"));
        assertEquals("seed", id2.get("layout"));
        assertEquals(2L, id2.get("userCount"));
        assertEquals("0x300000", id2.get("begin"));
        Map<?, ?> borrower = (Map<?, ?>) ((List<?>) id2.get("borrowers")).getFirst();
        assertEquals(3L, borrower.get("domid"));
        assertEquals("mapped", borrower.get("state"));
    }

    @Test
    void verboseShowsTheEnginesStepsOnStderr() {
        Cli.Run run = Cli.java().env(bed.clientEnvironment()).in(dir).run("attach", "--verbose", "--domid", "1", "vm1.cfg");

        assertEquals(0, run.status(), run.describe());
        assertTrue(run.err().contains("domain 1: attached static_shm [ID1 (owner), ID2 (owner)]"), run.describe());
        assertTrue(run.out().startsWith("domain 1 (vm1): attached 2 regions"), "stdout has the result only");
    }

    @Test
    void statusOfAnUnknownRegionFails() {
        Cli.Run run = Cli.java().env(bed.clientEnvironment()).run("status", "--id", "NOPE");

        assertEquals(1, run.status(), run.describe());
        assertEquals(List.of("xen-sshm: no region NOPE is recorded in xenstore"), run.errLines());
    }

    @Test
    void detachUnmapsAndAnOwnerLeavingFirstOrphansItsRegion() {
        attachAll();

        Cli.Run owner = run("detach", "--domid", "1");
        assertTrue(owner.out().contains("orphaned"), owner.describe());
        assertEquals(Optional.of("orphaned"), read("/libxl/static_shm/ID1/state"));
        assertShared(1, 0x100, 2, 0x500, 0x100);

        run("detach", "--domid", "2");
        run("detach", "--domid", "3");
        assertUnmapped(2, 0x500, 0x100);
        assertUnmapped(3, 0x690, 0xf0);
        assertEquals(List.of(), directory("/libxl/static_shm"));
        assertEquals("no region is recorded in xenstore\n", run("status").out());
    }

    @Test
    void aRefusedAttachIsOneLineAndStatusOne() {
        Cli.Run beforeOwner = Cli.java().env(bed.clientEnvironment()).in(dir).run("attach", "--domid", "2", "vm2.cfg");

        assertEquals(1, beforeOwner.status(), beforeOwner.describe());
        assertEquals(List.of("xen-sshm: domain 2, static_shm id ID1: no owner has set up this region (attach its"
                + " owner first)"), beforeOwner.errLines());
        assertEquals(List.of(), directory("/libxl/static_shm"), "nothing was recorded");
    }

    /** What --json failures carry for programs: a stable type and reason (README, "The command"). */
    @Test
    void jsonFailuresCarryTheirTypeAndReason() {
        assertEquals(Map.of("type", "REGION_REFUSED", "reason", "NO_OWNER", "exitStatus", 1L),
                code(Cli.java().env(bed.clientEnvironment()).in(dir).run("--json", "attach", "--domid", "2", "vm2.cfg")));
        run("attach", "--domid", "1", "vm1.cfg");
        assertEquals(Map.of("type", "REGION_REFUSED", "reason", "ID_IN_USE", "exitStatus", 1L),
                code(Cli.java().env(bed.clientEnvironment()).in(dir).run("--json", "attach", "--domid", "1", "vm1.cfg")));
        assertEquals(Map.of("type", "MAP_SPACE_REFUSED", "reason", "EPERM", "exitStatus", 1L),
                code(Cli.java().env(bed.clientEnvironment()).in(dir)
                        .run("--json", "attach", "--domid", "2", "--map-space", "foreign", "vm2.cfg")));
        xen.personality(SimulatedHypervisor.Personality.STOCK);
        assertEquals(Map.of("type", "MAP_SPACE_REFUSED", "reason", "ENOSYS", "exitStatus", 1L),
                code(Cli.java().env(bed.clientEnvironment()).in(dir).run("--json", "attach", "--domid", "2", "vm2.cfg")));
        Examples.write(dir, "bad", "name = \"bad\"\nstatic_shm = [ \"id=X, begin=0x1001, size=0x1000\" ]\n");
        assertEquals(Map.of("type", "INVALID_SPEC", "exitStatus", 2L),
                code(Cli.java().env(bed.clientEnvironment()).in(dir).run("--json", "attach", "--domid", "2", "bad.cfg")));
        assertEquals(Map.of("type", "BAD_INPUT", "exitStatus", 2L),
                code(Cli.java().env(bed.clientEnvironment()).in(dir).run("--json", "attach", "--domid", "2", "nope.cfg")));
        assertEquals(Map.of("type", "USAGE", "exitStatus", 2L), code(Cli.java().run("--json", "attach")));
    }

    private static Map<String, Object> code(Cli.Run run) {
        Map<String, Object> failure = JsonReader.object(run.out());
        assertEquals(false, failure.get("ok"), run.describe());
        Map<String, Object> code = new java.util.HashMap<>();
        code.put("type", failure.get("type"));
        code.put("exitStatus", failure.get("exitStatus"));
        if (failure.containsKey("reason")) {
            code.put("reason", failure.get("reason"));
        }
        return code;
    }

    @Test
    void theMapSpaceCanBeChosenAndARefusalExplainsIt() {
        run("attach", "--domid", "1", "vm1.cfg");

        // Xen's default policy lets only dom0 (or a device model) map a domU's pages with gmfn_foreign.
        Cli.Run foreign = Cli.java().env(bed.clientEnvironment()).in(dir)
                .run("attach", "--domid", "2", "--map-space", "foreign", "vm2.cfg");
        assertEquals(1, foreign.status(), foreign.describe());
        assertEquals(1, foreign.errLines().size(), foreign.describe());
        assertTrue(foreign.err().contains("XENMAPSPACE_gmfn_foreign (space 4) (EPERM)"), foreign.describe());

        xen.personality(SimulatedHypervisor.Personality.STOCK);
        Cli.Run stock = Cli.java().env(bed.clientEnvironment()).in(dir).run("attach", "--domid", "2", "vm2.cfg");
        assertEquals(1, stock.status(), stock.describe());
        assertTrue(stock.err().contains("XENMAPSPACE_gmfn_share (space 6) (ENOSYS)"), stock.describe());
        assertUnmapped(2, 0x500, 0x100);
    }

    /** What the hypervisor does with shared pages, through the command, for each Xen. */
    @Test
    void selftestTellsTheThreeHypervisorsApart() {
        Map<SimulatedHypervisor.Personality, String> verdicts = Map.of(
                SimulatedHypervisor.Personality.STOCK, "gmfn_share is not offered here (ENOSYS)",
                SimulatedHypervisor.Personality.SERIES, "gmfn_share holds NO page reference here",
                SimulatedHypervisor.Personality.SERIES_FIXED, "gmfn_share maps and keeps its page references");
        for (SimulatedHypervisor.Personality personality : SimulatedHypervisor.Personality.values()) {
            xen.personality(personality);
            Cli.Run text = run("selftest");
            assertTrue(text.out().contains(verdicts.get(personality)), text.describe());
            Map<String, Object> json = JsonReader.object(run("selftest", "--json").out());
            assertEquals(true, json.get("cached"), "the answer is kept for the boot");
            assertEquals(personality == SimulatedHypervisor.Personality.SERIES, json.get("shareFreesOwnerPages"));
            assertEquals(true, json.get("batchedRemovals"));
            Map<?, ?> hypervisor = (Map<?, ?>) json.get("hypervisor");
            assertEquals("4.17", hypervisor.get("version"));
        }
        for (int domid = 4; domid < 20; domid++) {
            assertTrue(domainInfo(domid).isEmpty(), "no scratch domain is left: " + domid);
        }
    }

    @Test
    void onTheShippedSeriesAttachRefusesAndTheOverrideWarnsAtDetach() {
        xen.personality(SimulatedHypervisor.Personality.SERIES);
        run("attach", "--domid", "1", "vm1.cfg");
        assertEquals(Map.of("type", "HYPERVISOR_DEFECT", "reason", "SHARE_WITHOUT_REFERENCE", "exitStatus", 1L),
                code(Cli.java().env(bed.clientEnvironment()).in(dir).run("--json", "attach", "--domid", "2", "vm2.cfg")));
        assertUnmapped(2, 0x500, 0x100);

        run("attach", "--domid", "2", "--allow-unreferenced-share", "vm2.cfg");
        assertTrue(run("status").out().contains("NO page reference"));
        Cli.Run detach = Cli.java().env(bed.clientEnvironment()).in(dir).run("detach", "--domid", "2");
        assertEquals(0, detach.status(), detach.describe());
        assertTrue(detach.err().contains("freed them under their owner"), detach.describe());
    }

    @Test
    void aTrustedBorrowerMapsOnStockXenAndStatusSaysSo() {
        xen.personality(SimulatedHypervisor.Personality.STOCK);
        run("attach", "--domid", "1", "vm1.cfg");
        Cli.Run attach = run("attach", "--domid", "2", "--trust-borrower", "vm2.cfg");
        assertTrue(attach.out().contains("maps domain 1's gfns"), attach.describe());
        assertShared(1, 0x100, 2, 0x500, 0x100);
        assertTrue(run("status").out().contains("gmfn_foreign, trusted (owner is its target)"));
        Cli.Run mixed = Cli.java().env(bed.clientEnvironment()).in(dir)
                .run("attach", "--domid", "3", "--trust-borrower", "--map-space", "share", "vm3.cfg");
        assertEquals(2, mixed.status(), mixed.describe());
        run("detach", "--domid", "2");
        assertUnmapped(2, 0x500, 0x100);
    }

    @Test
    void reconcileUndoesAnAttachInterruptedByACrash() throws Exception {
        attachAll();
        // What a crash between mapping the pages and the final commit leaves: vm2's entry still
        // marked as mapping, by a process that is gone.
        long deadPid = deadProcess();
        try (XenStore store = XenStore.open()) {
            store.write(XenStore.NO_TRANSACTION, "/libxl/static_shm/ID1/slaves/2/state", "mapping");
            store.write(XenStore.NO_TRANSACTION, "/libxl/static_shm/ID1/slaves/2/worker", deadPid + "@0#1");
        }

        Cli.Run run = run("reconcile", "--json");

        List<?> actions = (List<?>) JsonReader.object(run.out()).get("actions");
        assertEquals(1, actions.size(), run.describe());
        Map<?, ?> action = (Map<?, ?>) actions.getFirst();
        assertEquals("AttachUndone", action.get("kind"));
        assertEquals("ID1", action.get("id"));
        assertEquals(2L, action.get("domid"));
        assertUnmapped(2, 0x500, 0x100);
        assertShared(1, 0x310, 3, 0x690, 0xf0);
        assertEquals(Optional.of("2"), read("/libxl/static_shm/ID2/usercnt"), "ID2 was left alone");
        assertEquals("nothing to reconcile: every record is consistent\n", run("reconcile").out());
    }

    @Test
    void reconcileDropsTheEntriesOfADomainThatIsGone() {
        attachAll();
        xen.destroyDomain(3);

        Cli.Run run = run("reconcile");

        assertTrue(run.out().startsWith("1 action\n"), run.describe());
        assertTrue(run.out().matches("(?s).*ID2\\s+3\\s+dropped this borrower: the domain no longer exists\\n"),
                run.describe());
        assertEquals(List.of(), directory("/libxl/static_shm/ID2/slaves"));
        assertEquals(Optional.of("1"), read("/libxl/static_shm/ID2/usercnt"));
    }

    private void attachAll() {
        for (int domid = 1; domid <= 3; domid++) {
            run("attach", "--domid", Integer.toString(domid), "vm" + domid + ".cfg");
        }
    }

    /** Runs a command that must succeed, printing nothing on stderr. */
    private Cli.Run run(String... arguments) {
        Cli.Run run = Cli.java().env(bed.clientEnvironment()).in(dir).run(arguments);
        assertEquals(0, run.status(), run.describe());
        assertEquals("", run.err(), run.describe());
        return run;
    }

    /** Borrower gfns [gfn, gfn + count) are backed by the owner's frames from ownerGfn on. */
    private void assertShared(int owner, long ownerGfn, int borrower, long gfn, long count) {
        for (long i = 0; i < count; i++) {
            Optional<Long> frame = xen.frameOf(borrower, gfn + i);
            assertTrue(frame.isPresent(), "gfn 0x" + Long.toHexString(gfn + i) + " of domain " + borrower + " is not mapped");
            assertEquals(xen.frameOf(owner, ownerGfn + i), frame, "gfn 0x" + Long.toHexString(gfn + i));
            assertTrue(xen.isForeign(borrower, gfn + i));
        }
    }

    private void assertUnmapped(int domid, long gfn, long count) {
        for (long i = 0; i < count; i++) {
            assertEquals(Optional.empty(), xen.frameOf(domid, gfn + i), "gfn 0x" + Long.toHexString(gfn + i));
        }
    }

    private static Optional<String> read(String path) {
        try (XenStore store = XenStore.open()) {
            return store.read(XenStore.NO_TRANSACTION, path);
        }
    }

    private static List<String> directory(String path) {
        try (XenStore store = XenStore.open()) {
            return store.list(XenStore.NO_TRANSACTION, path);
        }
    }

    /** The pid of a process that has ended, so that no operation can be running under it. */
    private static long deadProcess() throws IOException, InterruptedException {
        Process process = new ProcessBuilder("true").start();
        process.waitFor();
        return process.pid();
    }

    /** The domain as libxenctrl reports it, over the test bed. */
    private static Optional<DomainInfo> domainInfo(int domid) {
        try (XenControl control = XenControl.open()) {
            return control.domainInfo(domid);
        }
    }
}
