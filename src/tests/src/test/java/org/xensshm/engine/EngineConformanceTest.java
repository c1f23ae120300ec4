package org.xensshm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.xensshm.engine.RegionRefusedException.Reason;
import org.xensshm.host.Errno;
import org.xensshm.host.MapSpace;
import org.xensshm.host.StoreTransaction;
import org.xensshm.host.XsPermission;
import org.xensshm.spec.CachePolicy;
import org.xensshm.spec.Prot;
import org.xensshm.spec.Role;
import org.xensshm.spec.SshmSpec;
import org.xensshm.testkit.fault.Fault;
import org.xensshm.testkit.fault.FaultInjector;
import org.xensshm.testkit.fault.Operation;
import org.xensshm.testkit.fault.SimulatedCrash;
import org.xensshm.testkit.interop.CToolstack;

/**
 * What {@link StaticShmEngine} must do on any backend pair, written once. A subclass supplies the
 * backends through {@link #newHost()}; the in-memory one is {@code InMemoryEngineConformanceTest}.
 */
public abstract class EngineConformanceTest extends ConformanceSupport {

    /** Small regions and chunks so that every step happens several times in the fault sweeps. */
    private static final EngineSettings SMALL_CHUNKS = EngineSettings.defaults().withChunkPages(6);
    private static final List<SshmSpec> VM4_SPECS = List.of(
            owner("ID3", 0x800000, 0x808000),
            borrower("ID1", 0x500000, 0x510000, 0),
            borrower("ID2", 0x600000, 0x608000, 0x8000));

    // ---- the example ----------------------------------------------------------------------------

    @Test
    void threeDomainExampleSharesBytesAndDetachesCleanly() {
        exampleDomains();
        HostState before = snapshot(VM1, VM2, VM3);
        StaticShmEngine engine = engine();

        engine.attach(VM1, List.of(ID1_OWNER, ID2_OWNER));
        engine.attach(VM2, List.of(ID1_VM2));
        engine.attach(VM3, List.of(ID2_VM3));

        SortedMap<String, String> store = dump();
        // The seed's layout (a new host's default) exactly, with the domain handles: no state or worker
        // node is left once an attach is complete.
        assertEquals(new TreeMap<>(Map.ofEntries(
                Map.entry("/libxl/static_shm/ID1", ""),
                Map.entry("/libxl/static_shm/ID1/master", "0x1"),
                Map.entry("/libxl/static_shm/ID1/owner_uuid", handle(VM1).orElseThrow().toString()),
                Map.entry("/libxl/static_shm/ID1/begin", "0x100000"),
                Map.entry("/libxl/static_shm/ID1/end", "0x200000"),
                Map.entry("/libxl/static_shm/ID1/prot", "rw"),
                Map.entry("/libxl/static_shm/ID1/cache_policy", "ARM_normal"),
                Map.entry("/libxl/static_shm/ID1/usercnt", "2"),
                Map.entry("/libxl/static_shm/ID1/slaves", ""),
                Map.entry("/libxl/static_shm/ID1/slaves/2", ""),
                Map.entry("/libxl/static_shm/ID1/slaves/2/begin", "0x500000"),
                Map.entry("/libxl/static_shm/ID1/slaves/2/end", "0x600000"),
                Map.entry("/libxl/static_shm/ID1/slaves/2/mapping", "gmfn_share"),
                Map.entry("/libxl/static_shm/ID1/slaves/2/offset", "0x0"),
                Map.entry("/libxl/static_shm/ID1/slaves/2/prot", "rw"),
                Map.entry("/libxl/static_shm/ID1/slaves/2/uuid", handle(VM2).orElseThrow().toString()))),
                subtree(store, "/libxl/static_shm/ID1"));
        assertEquals("0x10000", store.get("/libxl/static_shm/ID2/slaves/3/offset"));
        assertEquals("2", store.get("/libxl/static_shm/ID2/usercnt"));
        assertEquals("master", store.get("/local/domain/1/static_shm/ID1/role"));
        assertEquals("master", store.get("/local/domain/1/static_shm/ID2/role"));
        assertEquals("slave", store.get("/local/domain/2/static_shm/ID1/role"));
        assertEquals("slave", store.get("/local/domain/3/static_shm/ID2/role"));
        List<XsPermission> dom0Only = List.of(new XsPermission(0, XsPermission.Access.NONE));
        assertEquals(dom0Only, permissions("/libxl/static_shm/ID1"));
        assertEquals(dom0Only, permissions("/libxl/static_shm/ID1/master"));
        assertEquals(dom0Only, permissions("/libxl/static_shm/ID1/slaves/2/begin"));

        assertEquals(RAM_PAGES + 256, host.mappedPages(VM2));
        assertEquals(RAM_PAGES + 240, host.mappedPages(VM3));
        assertShared(VM1, 0x100000 + 0x1234, VM2, 0x500000 + 0x1234);
        assertShared(VM1, 0x1FF000, VM2, 0x5FF000);
        assertShared(VM2, 0x500010, VM1, 0x100010);
        assertShared(VM1, 0x310000, VM3, 0x690000);
        assertShared(VM1, 0x3FFFF0, VM3, 0x77FFF0);
        assertShared(VM3, 0x700000, VM1, 0x380000);

        HostStatus status = engine.status();
        assertEquals(Map.of(), status.unreadable());
        assertEquals(List.of(
                new RegionStatus("ID1", RecordLayout.SEED, VM1, handle(VM1), 0x100000, 0x200000, Prot.RW,
                        CachePolicy.ARM_NORMAL, 2, RegionStatus.State.ACTIVE, List.of(new RegionStatus.BorrowerStatus(VM2,
                        handle(VM2), 0x500000, 0x600000, 0, Prot.RW, MappingKind.SHARE,
                        RegionStatus.BorrowerStatus.State.MAPPED))),
                new RegionStatus("ID2", RecordLayout.SEED, VM1, handle(VM1), 0x300000, 0x400000, Prot.RW,
                        CachePolicy.ARM_NORMAL, 2, RegionStatus.State.ACTIVE, List.of(new RegionStatus.BorrowerStatus(VM3,
                        handle(VM3), 0x690000, 0x780000, 0x10000, Prot.RW, MappingKind.SHARE,
                        RegionStatus.BorrowerStatus.State.MAPPED)))), status.regions());

        assertEquals(List.of(new DetachReport.Released("ID1", Role.BORROWER, DetachReport.Outcome.UNMAPPED)),
                engine.detach(VM2).regions());
        assertEquals("1", dump().get("/libxl/static_shm/ID1/usercnt"));
        engine.detach(VM3);
        assertEquals(List.of(new DetachReport.Released("ID1", Role.OWNER, DetachReport.Outcome.REMOVED),
                new DetachReport.Released("ID2", Role.OWNER, DetachReport.Outcome.REMOVED)), engine.detach(VM1).regions());
        assertEquals(before, snapshot(VM1, VM2, VM3));
        assertTrue(engine.reconcile().isEmpty());
    }

    @Test
    void ownerLeavingFirstOrphansTheRegionUntilItsLastBorrowerLeaves() {
        exampleDomains();
        HostState before = snapshot(VM1, VM2, VM3);
        StaticShmEngine engine = engine();
        engine.attach(VM1, List.of(ID1_OWNER));
        engine.attach(VM2, List.of(ID1_VM2));
        write(VM1, 0x100000, "written by the owner");

        assertEquals(List.of(new DetachReport.Released("ID1", Role.OWNER, DetachReport.Outcome.ORPHANED)),
                engine.detach(VM1).regions());

        assertEquals("written by the owner", read(VM2, 0x500000, 20));
        assertShared(VM2, 0x5FF000, VM2, 0x5FF000);
        SortedMap<String, String> store = dump();
        assertEquals("orphaned", store.get("/libxl/static_shm/ID1/state"));
        assertEquals("1", store.get("/libxl/static_shm/ID1/usercnt"));
        assertFalse(store.containsKey("/local/domain/1/static_shm"));
        assertEquals(RegionStatus.State.ORPHANED, engine.status().regions().getFirst().state());
        assertRefused(Reason.ORPHANED, () -> engine.attach(VM3, List.of(borrower("ID1", 0x500000, 0x501000, 0))));
        assertRefused(Reason.ORPHANED, () -> engine.attach(VM3, List.of(owner("ID1", 0x100000, 0x200000))));
        assertTrue(engine.reconcile().isEmpty());

        engine.detach(VM2);
        assertEquals(before, snapshot(VM1, VM2, VM3));
        engine.attach(VM1, List.of(ID1_OWNER));
        engine.detach(VM1);
        assertEquals(before, snapshot(VM1, VM2, VM3));
    }

    // ---- what the hypervisor does with shared pages -----------------------------------------

    /** The self-test tells the three hypervisors apart on scratch domains it leaves no trace of. */
    @Test
    void theSelfTestTellsTheHypervisorsApartAndLeavesNothing() {
        exampleDomains();
        HostState before = snapshot(VM1, VM2, VM3);
        for (ConformanceHost.Personality personality : ConformanceHost.Personality.values()) {
            host.personality(personality);
            SelfTestReport report = new HypervisorSelfTest(host.hypervisor(), host.store()).run();
            SelfTestReport.MapSpaceFinding share = report.finding(MapSpace.GMFN_SHARE).orElseThrow();
            SelfTestReport.MapSpaceFinding foreign = report.finding(MapSpace.GMFN_FOREIGN).orElseThrow();
            assertEquals(personality == ConformanceHost.Personality.STOCK ? Errno.ENOSYS : 0, share.errno(), report.toString());
            assertEquals(personality == ConformanceHost.Personality.SERIES, report.shareFreesOwnerPages(), report.toString());
            assertEquals(java.util.Optional.of(true), foreign.holdsReference(), report.toString());
            assertTrue(report.batchedRemovals());
            assertEquals(report, new HypervisorSelfTest(host.hypervisor(), host.store()).cached().orElseThrow(),
                    "kept for the boot");
            assertEquals(before, snapshot(VM1, VM2, VM3), personality.toString());
            for (int domid = 5; domid < 40; domid++) {
                assertTrue(host.hypervisor().domainInfo(domid).isEmpty(), "scratch domain " + domid + " is gone");
            }
        }
    }

    /** The shipped series would free a running owner's pages at the borrower's detach: refused. */
    @Test
    void onTheShippedSeriesSharingIsRefusedBeforeAnythingIsTouched() {
        host.personality(ConformanceHost.Personality.SERIES);
        exampleDomains();
        engine().attach(VM1, List.of(ID1_OWNER));
        HostState before = snapshot(VM1, VM2);
        HypervisorDefectException e = assertThrows(HypervisorDefectException.class,
                () -> engine().attach(VM2, List.of(ID1_VM2)));
        assertTrue(e.getMessage().contains("no reference on the owner's page"), e.getMessage());
        assertEquals(before, snapshot(VM1, VM2));
    }

    /** Allowed anyway, the shipped series frees the owner's pages at detach, and the detach says so. */
    @Test
    void allowedOnTheShippedSeriesADetachFreesTheOwnersPagesAndSaysSo() {
        host.personality(ConformanceHost.Personality.SERIES);
        exampleDomains();
        StaticShmEngine engine = new StaticShmEngine(host.hypervisor(), host.store(),
                EngineSettings.defaults().withUnreferencedShareAllowed(true));
        engine.attach(VM1, List.of(ID1_OWNER));
        engine.attach(VM2, List.of(ID1_VM2));
        assertEquals(MappingKind.SHARE_UNREFERENCED,
                engine.status().regions().getFirst().borrowers().getFirst().mapping());
        long ownerPages = host.hypervisor().domainInfo(VM1).orElseThrow().totalPages();
        assertEquals(1, host.references(VM1, 0x100), "the mapping took no reference");

        DetachReport report = engine.detach(VM2);
        assertEquals(1, report.warnings().size(), report.toString());
        assertEquals(ownerPages - 0x100, host.hypervisor().domainInfo(VM1).orElseThrow().totalPages(),
                "the running owner lost the region's 256 pages");
    }

    /** On the fixed series the owner keeps its pages, and a destroyed owner waits for its borrowers. */
    @Test
    void onTheFixedSeriesTheOwnerKeepsItsPagesAndADestroyedOneWaitsForItsBorrowers() {
        exampleDomains();
        StaticShmEngine engine = engine();
        engine.attach(VM1, List.of(ID1_OWNER));
        engine.attach(VM2, List.of(ID1_VM2));
        long ownerPages = host.hypervisor().domainInfo(VM1).orElseThrow().totalPages();
        assertEquals(2, host.references(VM1, 0x100), "the owner's reference and the mapping's");
        write(VM1, 0x100000, "before the owner died");

        host.destroyDomain(VM1);
        assertTrue(host.hypervisor().domainInfo(VM1).orElseThrow().dying());
        assertEquals(0x100, host.hypervisor().domainInfo(VM1).orElseThrow().totalPages(), "held by the borrower");
        assertEquals("before the owner died", read(VM2, 0x500000, 21));
        assertTrue(ownerPages > 0x100);
        ReconcileReport reconciled = engine.reconcile();
        assertEquals(List.of(new ReconcileReport.DomainGone("ID1", VM1, Role.OWNER)), reconciled.actions());
        assertEquals(RegionStatus.State.ORPHANED, engine.status().regions().getFirst().state());

        engine.detach(VM2);
        assertTrue(host.hypervisor().domainInfo(VM1).isEmpty(), "gone with the last mapping");
        assertTrue(engine.status().regions().isEmpty());
    }

    /**
     * Stock Xen maps between two domUs with gmfn_foreign only for the owner's device model: the
     * trusted-borrower mode makes it so, records it, and refuses a second owner.
     */
    @Test
    void aTrustedBorrowerMapsOnStockXenAndCannotTakeASecondOwner() {
        host.personality(ConformanceHost.Personality.STOCK);
        exampleDomains();
        domain(VM4);
        host.populate(VM4, 0x900, 4);
        StaticShmEngine engine = new StaticShmEngine(host.hypervisor(), host.store(),
                EngineSettings.defaults().withTrustedBorrowers());
        engine.attach(VM1, List.of(ID1_OWNER));
        engine.attach(VM4, List.of(owner("ID4", 0x900000, 0x904000)));
        engine.attach(VM2, List.of(ID1_VM2));
        assertShared(VM1, 0x100000, VM2, 0x500000);
        assertEquals(MappingKind.FOREIGN_TRUSTED, engine.status().regions().getFirst().borrowers().getFirst().mapping());
        assertEquals("gmfn_foreign+target", dump().get("/libxl/static_shm/ID1/slaves/2/mapping"));

        assertRefused(Reason.TARGET_TAKEN, () -> engine.attach(VM2, List.of(borrower("ID4", 0x700000, 0x701000, 0))));
        engine.detach(VM2);
        // The target stays for the borrower's life: attaching again to the same owner works...
        engine.attach(VM2, List.of(ID1_VM2));
        engine.detach(VM2);
        // ... and another owner is refused by the hypervisor itself, then explained.
        RegionRefusedException e = assertThrows(RegionRefusedException.class,
                () -> engine.attach(VM2, List.of(borrower("ID4", 0x700000, 0x701000, 0))));
        assertEquals(Reason.TARGET_TAKEN, e.reason(), e.getMessage());
        assertFalse(e.needsReconcile());
        assertEquals(16, host.mappedPages(VM2), "nothing left mapped");
    }

    /** Seed bug: it writes the owner's domid in decimal and reads it back as hex (10 became 16). */
    @Test
    void ownerDomidsAreWrittenSoThatTheCReadersGetThemRight() {
        for (int ownerDomid : new int[] {10, 0x7FEF}) {
            domain(ownerDomid);
            host.populate(ownerDomid, 0x100, 4);
            domain(VM2);
            HostState before = snapshot(ownerDomid, VM2);
            StaticShmEngine engine = engine();
            engine.attach(ownerDomid, List.of(owner("ID1", 0x100000, 0x104000)));
            String written = dump().get("/libxl/static_shm/ID1/master");
            assertEquals("0x" + Integer.toHexString(ownerDomid), written);
            assertEquals(ownerDomid, CToolstack.readDomid(written), "as both C toolstacks read it");
            engine.attach(VM2, List.of(borrower("ID1", 0x500000, 0x504000, 0)));
            assertShared(ownerDomid, 0x103000, VM2, 0x503000);
            assertEquals(ownerDomid, engine.status().regions().getFirst().owner());
            engine.detach(VM2);
            engine.detach(ownerDomid);
            assertEquals(before, snapshot(ownerDomid, VM2));
            host.destroyDomain(ownerDomid);
            host.destroyDomain(VM2);
        }
    }

    @Test
    void recordsWrittenByTheSeedToolstackAreUsed() {
        domain(10);
        host.populate(10, 0x100, 16);
        domain(VM2);
        HostState before = snapshot(10, VM2);
        try (StoreTransaction tx = host.store().begin()) {
            tx.mkdir("/libxl/static_shm/SEED");
            tx.setPermissions("/libxl/static_shm/SEED", List.of(new XsPermission(0, XsPermission.Access.NONE)));
            tx.write("/libxl/static_shm/SEED/master", "10");
            tx.write("/libxl/static_shm/SEED/begin", "0x100000");
            tx.write("/libxl/static_shm/SEED/end", "0x110000");
            tx.write("/libxl/static_shm/SEED/prot", "rw");
            tx.write("/libxl/static_shm/SEED/cache_policy", "arm_normal");
            tx.write("/libxl/static_shm/SEED/usercnt", "1");
            tx.write("/local/domain/10/static_shm/SEED/role", "master");
            assertTrue(tx.commit());
        }
        StaticShmEngine engine = engine();
        engine.attach(VM2, List.of(borrower("SEED", 0x500000, 0x508000, 0x8000)));
        assertShared(10, 0x108000, VM2, 0x500000);
        assertEquals("2", dump().get("/libxl/static_shm/SEED/usercnt"));
        engine.detach(VM2);
        assertEquals("1", dump().get("/libxl/static_shm/SEED/usercnt"));
        assertFalse(dump().containsKey("/libxl/static_shm/SEED/slaves"));
        engine.detach(10);
        assertEquals(before, snapshot(10, VM2));
    }

    // ---- refusals -------------------------------------------------------------------------------

    @Test
    void checksThatNeedTheHostRefuseWithoutChangingIt() {
        exampleDomains();
        StaticShmEngine engine = engine();
        assertRefused(Reason.NO_OWNER, () -> engine.attach(VM2, List.of(ID1_VM2)));
        assertRefused(Reason.DOMAIN_NOT_FOUND, () -> engine.attach(7, List.of(ID1_OWNER)));

        engine.attach(VM1, List.of(ID1_OWNER,
                new SshmSpec("RO", Role.OWNER, 0x300000, 0x1000, 0, Prot.RO, CachePolicy.ARM_NORMAL)));
        write(VM1, 0x100000, "unchanged");
        assertRefused(Reason.ALREADY_OWNED, () -> engine.attach(VM2, List.of(owner("ID1", 0x700000, 0x701000))));
        assertRefused(Reason.ID_IN_USE, () -> engine.attach(VM1, List.of(borrower("ID1", 0x700000, 0x701000, 0))));
        assertRefused(Reason.ID_IN_USE, () -> engine.attach(VM1, List.of(ID1_OWNER)));
        assertRefused(Reason.OUTSIDE_OWNER_REGION,
                () -> engine.attach(VM2, List.of(borrower("ID1", 0x500000, 0x600000, 0x1000))));
        assertRefused(Reason.OUTSIDE_OWNER_REGION,
                () -> engine.attach(VM2, List.of(borrower("ID1", 0x500000, 0x501000, 0x100000))));
        assertInvalid("prot", () -> engine.attach(VM2,
                List.of(new SshmSpec("ID1", Role.BORROWER, 0x500000, 0x1000, 0, Prot.RO, null))));

        engine.attach(VM2, List.of(ID1_VM2));
        assertRefused(Reason.ID_IN_USE, () -> engine.attach(VM2, List.of(ID1_VM2)));
        assertEquals("unchanged", read(VM2, 0x500000, 9));
        engine.detach(VM2);
        assertRefused(Reason.PROT_NOT_GRANTED, () -> engine.attach(VM2, List.of(borrower("RO", 0x500000, 0x501000, 0))));

        host.destroyDomain(VM1);
        assertRefused(Reason.OWNER_GONE, () -> engine.attach(VM2, List.of(ID1_VM2)));
    }

    @Test
    void aFailureInALaterSpecUndoesTheEarlierOnes() {
        systematicScenario();
        HostState before = snapshot(VM1, VM4);
        FaultInjector faults = new FaultInjector();
        StaticShmEngine engine = engine(faults, SMALL_CHUNKS);
        // The fifth map call is the last one: ID2's second chunk (ID1 takes three, ID2 two).
        faults.arm(Operation.ADD_TO_PHYSMAP_BATCH, 5, Fault.fail(Errno.EIO));
        BackendFailureException e = assertThrows(BackendFailureException.class, () -> engine.attach(VM4, VM4_SPECS));
        assertEquals(Errno.EIO, e.call().errno());
        assertEquals("ID2", e.regionId().orElseThrow());
        assertFalse(e.needsReconcile());
        assertEquals(before, snapshot(VM1, VM4));
    }

    @Test
    void unmapFailuresDuringRollbackAreAllReportedAndReconcileFinishes() {
        systematicScenario();
        HostState before = snapshot(VM1, VM4);
        FaultInjector faults = new FaultInjector();
        StaticShmEngine engine = engine(faults, SMALL_CHUNKS);
        faults.startTrace();
        engine.attach(VM4, VM4_SPECS);
        engine.detach(VM4);
        // From the fifth map call (ID2's second chunk) on, everything fails, as if Xen went away.
        faults.failFrom(positionOf(faults.trace(), "ADD_TO_PHYSMAP_BATCH", 5), Errno.EIO);

        SshmException e = assertThrows(SshmException.class, () -> engine.attach(VM4, VM4_SPECS));
        assertTrue(e.needsReconcile());
        CleanupIncompleteException incomplete = (CleanupIncompleteException) e.getSuppressed()[0];
        // ID2's first chunk and its failed second one (which may have been mapped), then ID1.
        assertEquals(List.of(new PageRun(0x600, 8, Errno.EIO), new PageRun(0x500, 16, Errno.EIO)),
                incomplete.stillMapped());

        faults.disarm();
        ReconcileReport report = engine().reconcile();
        assertFalse(report.hasFailures(), report::toString);
        assertTrue(report.actions().contains(new ReconcileReport.AttachUndone("ID1", VM4, Role.BORROWER)), report::toString);
        assertTrue(report.actions().contains(new ReconcileReport.AttachUndone("ID2", VM4, Role.BORROWER)), report::toString);
        assertTrue(report.actions().contains(new ReconcileReport.AttachUndone("ID3", VM4, Role.OWNER)), report::toString);
        assertEquals(before, snapshot(VM1, VM4));
    }

    // ---- systematic faults and crashes ---------------------------------------------------------

    @Test
    void everyFailingOperationDuringAttachLeavesNothingBehind() {
        systematicScenario();
        HostState before = snapshot(VM1, VM4);
        FaultInjector faults = new FaultInjector();
        StaticShmEngine engine = engine(faults, SMALL_CHUNKS);
        faults.startTrace();
        engine.attach(VM4, VM4_SPECS);
        int operations = faults.trace().size();
        HostState attached = snapshot(VM1, VM4);
        engine.detach(VM4);
        assertEquals(before, snapshot(VM1, VM4));

        for (int n = 1; n <= operations; n++) {
            faults.arm(n, Fault.fail(Errno.EIO));
            SshmException e = null;
            try {
                engine.attach(VM4, VM4_SPECS);
            } catch (SshmException failure) {
                e = failure;
            }
            String failed = faults.lastInjected().orElseThrow();
            if (failed.contains(Operation.REMOVE_FROM_PHYSMAP_BATCH.name())) {
                // Emptying a window in a batch that fails as a whole is done again page by page.
                assertNull(e, failed);
                assertEquals(attached, snapshot(VM1, VM4), "after failing " + failed);
            } else {
                assertTrue(e != null, "failing " + failed + " went unnoticed");
                assertFalse(e.needsReconcile(), failed + ": " + e);
                assertEquals(before, snapshot(VM1, VM4), "after failing " + failed);
                engine.attach(VM4, VM4_SPECS);
                assertEquals(attached, snapshot(VM1, VM4), "attach after failing " + failed);
            }
            engine.detach(VM4);
        }
        assertTrue(operations > 40, "operations: " + operations);
    }

    /**
     * A detach is decided by its first commit (marking the borrowed regions unmapping and releasing
     * the owned ones): a failure up to it leaves everything attached; a failure after it leaves
     * pending work that {@link StaticShmEngine#reconcile()} finishes.
     */
    @Test
    void everyFailingOperationDuringDetachLeavesItUndoneOrForReconcileToFinish() {
        systematicScenario();
        HostState before = snapshot(VM1, VM4);
        FaultInjector faults = new FaultInjector();
        StaticShmEngine engine = engine(faults, SMALL_CHUNKS);
        engine.attach(VM4, VM4_SPECS);
        HostState attached = snapshot(VM1, VM4);
        faults.startTrace();
        engine.detach(VM4);
        List<String> trace = faults.trace();
        long decided = positionOf(trace, "STORE_COMMIT", 1);

        for (int n = 1; n <= trace.size(); n++) {
            engine.attach(VM4, VM4_SPECS);
            faults.arm(n, Fault.fail(Errno.EIO));
            SshmException e = null;
            try {
                engine.detach(VM4);
            } catch (SshmException failure) {
                e = failure;
            }
            String failed = faults.lastInjected().orElseThrow();
            if (failed.contains(Operation.REMOVE_FROM_PHYSMAP_BATCH.name())) {
                // A batch of removals that fails as a whole is done again page by page.
                assertNull(e, failed);
            } else if (e == null) {
                fail("failing " + failed + " went unnoticed");
            } else if (n <= decided) {
                assertFalse(e.needsReconcile(), failed + ": " + e);
                assertEquals(attached, snapshot(VM1, VM4), "after failing " + failed);
                engine.detach(VM4);
            } else {
                assertInstanceOf(CleanupIncompleteException.class, e, failed);
                ReconcileReport report = engine().reconcile();
                assertFalse(report.hasFailures(), failed + ": " + report);
                assertFalse(report.isEmpty(), failed);
            }
            assertEquals(before, snapshot(VM1, VM4), "after failing " + failed);
        }
    }

    @Test
    void reconcileUndoesAnAttachInterruptedAtAnyStep() {
        systematicScenario();
        HostState before = snapshot(VM1, VM4);
        FaultInjector faults = new FaultInjector();
        StaticShmEngine engine = engine(faults, SMALL_CHUNKS);
        long start = faults.count();
        engine.attach(VM4, VM4_SPECS);
        long operations = faults.count() - start;
        HostState attached = snapshot(VM1, VM4);
        engine.detach(VM4);

        for (Fault crash : List.of(Fault.crashBefore(), Fault.crashAfter())) {
            for (int n = 1; n <= operations; n++) {
                faults.arm(n, crash);
                assertThrows(SimulatedCrash.class, () -> engine.attach(VM4, VM4_SPECS));
                String at = crash + " at " + faults.lastInjected().orElseThrow();
                ReconcileReport report = engine().reconcile();
                assertFalse(report.hasFailures(), at + ": " + report);
                // Only a crash after the final commit leaves a completed attach.
                if (n == operations && crash instanceof Fault.CrashAfter) {
                    assertTrue(report.isEmpty(), at + ": " + report);
                    assertEquals(attached, snapshot(VM1, VM4), at);
                    engine().detach(VM4);
                }
                assertEquals(before, snapshot(VM1, VM4), at);
            }
        }
    }

    @Test
    void reconcileFinishesADetachInterruptedAfterItWasDecided() {
        systematicScenario();
        HostState before = snapshot(VM1, VM4);
        FaultInjector faults = new FaultInjector();
        StaticShmEngine engine = engine(faults, SMALL_CHUNKS);
        engine.attach(VM4, VM4_SPECS);
        HostState attached = snapshot(VM1, VM4);
        faults.startTrace();
        engine.detach(VM4);
        List<String> trace = faults.trace();
        long decided = positionOf(trace, "STORE_COMMIT", 1);

        for (Fault crash : List.of(Fault.crashBefore(), Fault.crashAfter())) {
            for (int n = 1; n <= trace.size(); n++) {
                engine().attach(VM4, VM4_SPECS);
                faults.arm(n, crash);
                assertThrows(SimulatedCrash.class, () -> engine.detach(VM4));
                String at = crash + " at " + faults.lastInjected().orElseThrow();
                ReconcileReport report = engine().reconcile();
                assertFalse(report.hasFailures(), at + ": " + report);
                if (n < decided || (n == decided && crash instanceof Fault.CrashBefore)) {
                    assertTrue(report.isEmpty(), at + ": " + report);
                    assertEquals(attached, snapshot(VM1, VM4), at);
                    engine().detach(VM4);
                }
                assertEquals(before, snapshot(VM1, VM4), at);
            }
        }
    }

    // ---- reconcile ------------------------------------------------------------------------------

    @Test
    void reconcileDropsTheEntriesOfDomainsThatAreGone() {
        exampleDomains();
        StaticShmEngine engine = engine();
        engine.attach(VM1, List.of(ID1_OWNER));
        engine.attach(VM2, List.of(ID1_VM2));
        engine.attach(VM3, List.of(borrower("ID1", 0x600000, 0x610000, 0x10000)));
        write(VM1, 0x110000, "still here");

        host.destroyDomain(VM2);
        assertEquals(List.of(new ReconcileReport.DomainGone("ID1", VM2, Role.BORROWER)), engine.reconcile().actions());
        assertEquals("2", dump().get("/libxl/static_shm/ID1/usercnt"));

        host.destroyDomain(VM1);
        assertEquals(List.of(new ReconcileReport.DomainGone("ID1", VM1, Role.OWNER)), engine.reconcile().actions());
        assertEquals("orphaned", dump().get("/libxl/static_shm/ID1/state"));
        assertEquals("still here", read(VM3, 0x600000, 10));
        assertTrue(engine.reconcile().isEmpty());

        engine.detach(VM3);
        assertEquals(RAM_PAGES, host.mappedPages(VM3));
        assertFalse(dump().containsKey("/libxl/static_shm"));
    }

    @Test
    void reconcileLeavesWorkOfLiveProcessesAlone() {
        ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
        assumeTrue(parent != null && parent.info().startInstant().isPresent(), "needs a live parent process");
        String live = parent.pid() + "@" + parent.info().startInstant().map(Instant::toEpochMilli).orElseThrow() + "#1";
        // This pid with another start time is a process that has died (its pid was reused).
        String dead = ProcessHandle.current().pid() + "@1#1";
        exampleDomains();
        HostState before = snapshot(VM1, VM2);
        StaticShmEngine engine = engine();
        engine.attach(VM1, List.of(ID1_OWNER));
        engine.attach(VM2, List.of(ID1_VM2));

        markPending("/libxl/static_shm/ID1/slaves/2", "mapping", live);
        assertEquals(List.of(new ReconcileReport.Skipped("ID1", VM2, "a running operation is mapping it")),
                engine.reconcile().actions());
        assertRefused(Reason.BUSY, () -> engine.detach(VM2));
        assertEquals(RAM_PAGES + 256, host.mappedPages(VM2));

        markPending("/libxl/static_shm/ID1/slaves/2", "mapping", dead);
        assertEquals(List.of(new ReconcileReport.AttachUndone("ID1", VM2, Role.BORROWER)), engine.reconcile().actions());
        assertEquals(RAM_PAGES, host.mappedPages(VM2));

        markPending("/libxl/static_shm/ID1", "attaching", dead);
        assertEquals(List.of(new ReconcileReport.AttachUndone("ID1", VM1, Role.OWNER)), engine.reconcile().actions());
        assertEquals(before, snapshot(VM1, VM2));
    }

    @Test
    void reconcileRepairsAUserCountThatDoesNotMatch() {
        exampleDomains();
        StaticShmEngine engine = engine();
        engine.attach(VM1, List.of(ID1_OWNER));
        engine.attach(VM2, List.of(ID1_VM2));
        try (StoreTransaction tx = host.store().begin()) {
            tx.write("/libxl/static_shm/ID1/usercnt", "7");
            assertTrue(tx.commit());
        }
        assertEquals(List.of(new ReconcileReport.CountRepaired("ID1", "7", 2)), engine.reconcile().actions());
        assertEquals("2", dump().get("/libxl/static_shm/ID1/usercnt"));
    }

    // ---- concurrency ----------------------------------------------------------------------------

    @Test
    void eightBorrowersAttachingAndDetachingAtOnceKeepExactCounts() throws Exception {
        domain(VM1);
        host.populate(VM1, 0x100, 64);
        int[] borrowers = IntStream.rangeClosed(11, 18).toArray();
        for (int domid : borrowers) {
            domain(domid);
        }
        StaticShmEngine engine = new StaticShmEngine(host.hypervisor(), host.store(),
                EngineSettings.defaults().withTransactionAttempts(10_000).withRetryBackoff(Duration.ofMillis(1)));
        engine.attach(VM1, List.of(owner("ID1", 0x100000, 0x140000)));
        write(VM1, 0x13F000, "one region, eight borrowers");
        int[] all = IntStream.concat(IntStream.of(VM1), IntStream.of(borrowers)).toArray();
        HostState ownerOnly = snapshot(all);
        List<SshmSpec> spec = List.of(borrower("ID1", 0x500000, 0x540000, 0));

        try (ExecutorService pool = Executors.newFixedThreadPool(borrowers.length)) {
            for (int round = 0; round < 3; round++) {
                runAtOnce(pool, borrowers, domid -> engine.attach(domid, spec));
                SortedMap<String, String> store = dump();
                assertEquals("9", store.get("/libxl/static_shm/ID1/usercnt"));
                for (int domid : borrowers) {
                    assertEquals("0x500000", store.get("/libxl/static_shm/ID1/slaves/" + domid + "/begin"));
                    assertEquals("slave", store.get("/local/domain/" + domid + "/static_shm/ID1/role"));
                    assertEquals(RAM_PAGES + 64, host.mappedPages(domid));
                    assertEquals("one region, eight borrowers", read(domid, 0x53F000, 27));
                }
                runAtOnce(pool, borrowers, engine::detach);
                assertEquals(ownerOnly, snapshot(all));
            }
            runAtOnce(pool, borrowers, domid -> {
                for (int i = 0; i < 5; i++) {
                    engine.attach(domid, spec);
                    engine.detach(domid);
                }
            });
        }
        assertEquals(ownerOnly, snapshot(all));
        assertTrue(engine.reconcile().isEmpty());
    }

    // ---- hypervisors that refuse ----------------------------------------------------------------

    @Test
    void stockXenRefusesGmfnShareWithAClearError() {
        host.personality(ConformanceHost.Personality.STOCK);
        exampleDomains();
        StaticShmEngine engine = engine();
        engine.attach(VM1, List.of(ID1_OWNER));
        HostState before = snapshot(VM1, VM2);

        MapSpaceRefusedException e = assertThrows(MapSpaceRefusedException.class,
                () -> engine.attach(VM2, List.of(ID1_VM2)));
        assertEquals(Errno.ENOSYS, e.errno());
        assertEquals(MapSpace.GMFN_SHARE, e.space());
        assertTrue(e.getMessage().contains("no XENMAPSPACE_gmfn_share (space 6)"), e.getMessage());
        assertTrue(e.getMessage().contains("map space gmfn_foreign"), e.getMessage());
        assertTrue(e.getMessage().contains("static shm series"), e.getMessage());
        assertFalse(e.needsReconcile());
        assertEquals(before, snapshot(VM1, VM2));
    }

    @Test
    void foreignMappingBetweenTwoGuestsIsRefusedByTheDefaultXsmPolicy() {
        exampleDomains();
        StaticShmEngine engine = new StaticShmEngine(host.hypervisor(), host.store(),
                EngineSettings.defaults().withMapSpace(MapSpace.GMFN_FOREIGN));
        engine.attach(VM1, List.of(ID1_OWNER));
        HostState before = snapshot(VM1, VM2);

        MapSpaceRefusedException e = assertThrows(MapSpaceRefusedException.class,
                () -> engine.attach(VM2, List.of(ID1_VM2)));
        assertEquals(Errno.EPERM, e.errno());
        assertTrue(e.getMessage().contains("XSM"), e.getMessage());
        assertEquals(before, snapshot(VM1, VM2));
    }

    // ---- size -----------------------------------------------------------------------------------

    @Test
    void aRegionOfTwoHundredThousandPagesMapsInFullInChunks() {
        long pages = 200_000;
        long ownerGfn = 0x80000;        // clear of Xen's fixed guest areas
        long borrowerGfn = 0x1000000;   // and of the borrower's RAM banks, as Xen lays them out
        domain(VM1);
        host.populate(VM1, ownerGfn, pages);
        domain(VM2);
        HostState before = snapshot(VM1, VM2);
        FaultInjector counter = new FaultInjector();
        StaticShmEngine engine = engine(counter, EngineSettings.defaults());

        engine.attach(VM1, List.of(owner("BIG", ownerGfn << 12, (ownerGfn + pages) << 12)));
        engine.attach(VM2, List.of(borrower("BIG", borrowerGfn << 12, (borrowerGfn + pages) << 12, 0)));

        assertEquals(4, counter.count(Operation.ADD_TO_PHYSMAP_BATCH));
        assertEquals(RAM_PAGES + pages, host.mappedPages(VM2));
        assertShared(VM1, ownerGfn << 12, VM2, borrowerGfn << 12);
        assertShared(VM1, ((ownerGfn + 65535) << 12) + 8, VM2, ((borrowerGfn + 65535) << 12) + 8);
        assertShared(VM1, ((ownerGfn + pages) << 12) - 16, VM2, ((borrowerGfn + pages) << 12) - 16);
        engine.detach(VM2);
        engine.detach(VM1);
        assertEquals(8, counter.count(Operation.REMOVE_FROM_PHYSMAP_BATCH),
                "in chunks too: 4 to empty the window before mapping, 4 to unmap");
        assertEquals(0, counter.count(Operation.REMOVE_FROM_PHYSMAP));
        assertEquals(before, snapshot(VM1, VM2));
    }

    @Test
    void detachingADomainWithoutRegionsDoesNothing() {
        domain(VM2);
        HostState before = snapshot(VM2);
        assertEquals(new DetachReport(VM2, List.of(), List.of()), engine().detach(VM2));
        assertEquals(before, snapshot(VM2));
    }

    // ---- helpers --------------------------------------------------------------------------------

    private void markPending(String entry, String state, String worker) {
        try (StoreTransaction tx = host.store().begin()) {
            tx.write(entry + "/state", state);
            tx.write(entry + "/worker", worker);
            assertTrue(tx.commit());
        }
    }

    /** Position (1-based) of the {@code occurrence}th operation of this kind in a trace. */
    private static long positionOf(List<String> trace, String kind, int occurrence) {
        int seen = 0;
        for (int i = 0; i < trace.size(); i++) {
            if (trace.get(i).contains(" " + kind + " ") && ++seen == occurrence) {
                return i + 1;
            }
        }
        throw new AssertionError("no " + kind + " #" + occurrence + " in " + trace);
    }

    /** vm1 owns ID1 and ID2 (16 pages each); vm4 has RAM behind its own region ID3. */
    private void systematicScenario() {
        domain(VM1);
        host.populate(VM1, 0x100, 16);
        host.populate(VM1, 0x300, 16);
        domain(VM4);
        host.populate(VM4, 0x800, 8);
        engine().attach(VM1, List.of(owner("ID1", 0x100000, 0x110000), owner("ID2", 0x300000, 0x310000)));
    }

    /** Specs built in code that are not valid together are refused before anything is touched. */
    @Test
    void specsBuiltInCodeGetTheValidatorsDomainWideChecks() {
        exampleDomains();
        StaticShmEngine engine = engine();
        assertInvalid("begin", () -> engine.attach(VM1, List.of(ID1_OWNER, owner("ID9", 0x1FF000, 0x201000))));
        assertInvalid("id", () -> engine.attach(VM1, List.of(ID1_OWNER, owner("ID1", 0x300000, 0x301000))));
        assertInvalid("id", () -> engine.attach(VM1, List.of(owner("../x", 0x300000, 0x301000))));
        assertInvalid("cache_policy", () -> engine.attach(VM1,
                List.of(new SshmSpec("X86", Role.OWNER, 0x300000, 0x1000, 0, Prot.RW, CachePolicy.X86_NORMAL))));
    }

    /** Runs the action for every domid on its own thread, all released at once; rethrows failures. */
    private static void runAtOnce(ExecutorService pool, int[] domids, IntConsumer action) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> running = new ArrayList<>();
        for (int domid : domids) {
            running.add(pool.submit(() -> {
                go.await();
                action.accept(domid);
                return null;
            }));
        }
        go.countDown();
        for (Future<?> f : running) {
            f.get();
        }
    }
}
