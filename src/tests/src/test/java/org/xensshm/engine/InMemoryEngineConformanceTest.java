package org.xensshm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;

import org.junit.jupiter.api.Test;
import org.xensshm.host.Errno;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.MapSpace;
import org.xensshm.host.PageBatch;
import org.xensshm.host.Store;
import org.xensshm.host.StoreTransaction;
import org.xensshm.host.XenCallException;
import org.xensshm.spec.InvalidSpecException;
import org.xensshm.spec.Platform;
import org.xensshm.spec.Role;
import org.xensshm.spec.SpecProblem;
import org.xensshm.testkit.fault.Fault;
import org.xensshm.testkit.fault.FaultInjector;
import org.xensshm.testkit.fault.Operation;
import org.xensshm.testkit.memory.InMemoryHost;
import org.xensshm.testkit.memory.InMemoryHypervisor;
import org.xensshm.testkit.memory.InMemoryStore;

/**
 * The conformance suite over the in-memory backends, plus what only they can set up: page-level
 * faults, Xen's replacing of occupied gfns, and guest connections to the store.
 */
class InMemoryEngineConformanceTest extends EngineConformanceTest {

    @Override
    protected ConformanceHost newHost() {
        return new MemoryHost();
    }

    private InMemoryHypervisor xen() {
        return ((MemoryHost) host).hypervisor;
    }

    @Test
    void aPageThatCannotBeMappedFailsTheAttachAndOnlyMappedPagesAreUndone() {
        exampleDomains();
        engine().attach(VM1, List.of(ID1_OWNER));
        HostState before = snapshot(VM1, VM2);
        xen().failMappingAt(VM2, 0x503, Errno.EIO);

        PageMappingException e = assertThrows(PageMappingException.class, () -> engine().attach(VM2, List.of(ID1_VM2)));
        assertEquals(List.of(new PageRun(0x503, 1, Errno.EIO)), e.failures());
        assertEquals(VM1, e.ownerDomid());
        assertEquals(before, snapshot(VM1, VM2));
    }

    /**
     * A call that failed as a whole reports no per-entry results; the native layer cannot tell
     * which entries Xen reached, so the rollback treats them as mapped and removes them, and a
     * gfn with nothing mapped (ENOENT) is fine.
     */
    @Test
    void entriesOfACallThatFailedAsAWholeAreTreatedAsMaybeMapped() {
        exampleDomains();
        StaticShmEngine engine = new StaticShmEngine(xen(), host.store(), EngineSettings.defaults().withChunkPages(8));
        engine.attach(VM1, List.of(ID1_OWNER));
        HostState before = snapshot(VM1, VM2);
        xen().failNthCall(InMemoryHypervisor.Call.ADD_TO_PHYSMAP_BATCH, 2, Errno.EIO);
        long removals = xen().calls(InMemoryHypervisor.Call.REMOVE_FROM_PHYSMAP_BATCH);

        assertThrows(BackendFailureException.class,
                () -> engine.attach(VM2, List.of(borrower("ID1", 0x500000, 0x510000, 0))));
        // each chunk's window emptied before it is mapped; then, undone, the 8 pages of the first
        // chunk and the 8 of the failed call, each in one batch
        assertEquals(4, xen().calls(InMemoryHypervisor.Call.REMOVE_FROM_PHYSMAP_BATCH) - removals);
        assertEquals(before, snapshot(VM1, VM2));
    }

    /**
     * A mapping a crashed toolstack left in the window goes before the window is mapped: mapping
     * over it would leak a page reference (the same page) or silently replace it (another one).
     */
    @Test
    void whatAnInterruptedToolstackLeftInTheWindowGoesBeforeMapping() {
        exampleDomains();
        engine().attach(VM1, List.of(ID1_OWNER));
        try (PageBatch leftover = PageBatch.allocate(2)) {
            leftover.fillRange(0x105, 0x505, 2);
            xen().addToPhysmapBatch(VM2, VM1, MapSpace.GMFN_SHARE, leftover);
        }
        long replacedBefore = xen().replacedMappings();

        engine().attach(VM2, List.of(ID1_VM2));
        assertEquals(replacedBefore, xen().replacedMappings(), "nothing was mapped over");
        assertEquals(2, xen().references(VM1, 0x105), "the owner's reference and one mapping's");
        assertTrue(xen().samePage(VM1, 0x105, VM2, 0x505));
        engine().detach(VM2);
        assertEquals(1, xen().references(VM1, 0x105));
    }

    @Test
    void aRollbackThatCannotUnmapLeavesTheEntryForReconcileToFinish() {
        exampleDomains();
        engine().attach(VM1, List.of(ID1_OWNER));
        HostState before = snapshot(VM1, VM2);
        FaultInjector faults = new FaultInjector();
        StaticShmEngine engine = new StaticShmEngine(faults.wrap(xen()), faults.wrap(host.store()),
                EngineSettings.defaults().withChunkPages(128));
        faults.arm(Operation.ADD_TO_PHYSMAP_BATCH, 2, Fault.fail(Errno.EIO));
        // The rollback's first batch of removals (after the two that emptied the windows) fails as
        // a whole, so its pages go one by one; the third sticks.
        xen().failNthCall(InMemoryHypervisor.Call.REMOVE_FROM_PHYSMAP_BATCH, 3, Errno.EIO);
        xen().failNthCall(InMemoryHypervisor.Call.REMOVE_FROM_PHYSMAP, 3, Errno.EBUSY);

        BackendFailureException e = assertThrows(BackendFailureException.class, () -> engine.attach(VM2, List.of(ID1_VM2)));
        assertTrue(e.needsReconcile());
        CleanupIncompleteException incomplete = (CleanupIncompleteException) e.getSuppressed()[0];
        assertEquals(List.of(new PageRun(0x502, 1, Errno.EBUSY)), incomplete.stillMapped());
        assertEquals("unmapping", dump().get("/libxl/static_shm/ID1/slaves/2/state"));
        assertEquals(RAM_PAGES + 1, host.mappedPages(VM2));
        assertEquals(RegionStatus.BorrowerStatus.State.UNMAPPING,
                engine().status().regions().getFirst().borrowers().getFirst().state());
        assertRefused(RegionRefusedException.Reason.ID_IN_USE, () -> engine().attach(VM2, List.of(ID1_VM2)));

        assertEquals(List.of(new ReconcileReport.DetachFinished("ID1", VM2)), engine().reconcile().actions());
        assertEquals(before, snapshot(VM1, VM2));
    }

    @Test
    void aDetachThatCannotUnmapIsFinishedByDetachingAgain() {
        exampleDomains();
        engine().attach(VM1, List.of(ID1_OWNER));
        HostState before = snapshot(VM1, VM2);
        engine().attach(VM2, List.of(ID1_VM2));
        xen().failGfn(VM2, 0x510, Errno.EBUSY);

        CleanupIncompleteException e = assertThrows(CleanupIncompleteException.class, () -> engine().detach(VM2));
        assertEquals(List.of(new PageRun(0x510, 1, Errno.EBUSY)), e.stillMapped());
        assertEquals(RAM_PAGES + 1, host.mappedPages(VM2));
        assertThrows(CleanupIncompleteException.class, () -> engine().detach(VM2));

        xen().clearFaults();
        assertEquals(List.of(new DetachReport.Released("ID1", Role.BORROWER,
                DetachReport.Outcome.UNMAPPED)), engine().detach(VM2).regions());
        assertEquals(before, snapshot(VM1, VM2));
    }

    @Test
    void regionRecordsAreForDom0OnlyWhileAGuestSeesItsOwnRole() {
        exampleDomains();
        engine().attach(VM1, List.of(ID1_OWNER));
        engine().attach(VM2, List.of(ID1_VM2));
        Store guest = ((MemoryHost) host).store.connection(VM2);
        try (StoreTransaction tx = guest.begin()) {
            assertEquals(Errno.EACCES, assertThrows(XenCallException.class,
                    () -> tx.read("/libxl/static_shm/ID1/master")).errno());
            assertEquals(Optional.of("slave"), tx.read("/local/domain/2/static_shm/ID1/role"));
            assertEquals(Errno.EACCES, assertThrows(XenCallException.class,
                    () -> tx.read("/local/domain/1/static_shm/ID1/role")).errno());
        }
    }

    @Test
    void anX86HostIsRefusedBeforeAnythingIsTouched() {
        InMemoryHypervisor x86 = new InMemoryHypervisor(InMemoryHypervisor.Personality.SERIES_FIXED, Platform.X86);
        x86.createDomain(VM1);
        SortedMap<String, String> before = dump();
        InvalidSpecException e = assertThrows(InvalidSpecException.class,
                () -> new StaticShmEngine(x86, host.store()).attach(VM1, List.of(ID1_OWNER)));
        assertEquals(List.of("platform", "cache_policy"), e.problems().stream().map(SpecProblem::field).toList());
        assertEquals(before, dump());
    }

    /** In-memory backends set up the way {@link ConformanceHost} describes. */
    static final class MemoryHost implements ConformanceHost {
        final InMemoryHost host = new InMemoryHost();
        final InMemoryHypervisor hypervisor = host.hypervisor();
        final InMemoryStore store = host.store();

        @Override
        public Hypervisor hypervisor() {
            return hypervisor;
        }

        @Override
        public Store store() {
            return store;
        }

        @Override
        public void personality(Personality personality) {
            hypervisor.personality(InMemoryHypervisor.Personality.valueOf(personality.name()));
        }

        @Override
        public void createDomain(int domid) {
            host.createDomain(domid);
        }

        @Override
        public void destroyDomain(int domid) {
            host.destroyDomain(domid);
        }

        @Override
        public void populate(int domid, long firstGfn, long count) {
            hypervisor.populate(domid, firstGfn, count);
        }

        @Override
        public void writeGuest(int domid, long address, byte[] bytes) {
            hypervisor.writeGuest(domid, address, bytes);
        }

        @Override
        public byte[] readGuest(int domid, long address, int length) {
            return hypervisor.readGuest(domid, address, length);
        }

        @Override
        public long mappedPages(int domid) {
            return hypervisor.mappedPages(domid);
        }

        @Override
        public long references(int domid, long gfn) {
            return hypervisor.references(domid, gfn);
        }
    }
}
