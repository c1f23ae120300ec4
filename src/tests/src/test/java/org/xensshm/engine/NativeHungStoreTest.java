package org.xensshm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xensshm.host.StoreUnreachableException;
import org.xensshm.spec.CachePolicy;
import org.xensshm.spec.Prot;
import org.xensshm.spec.Role;
import org.xensshm.spec.SshmSpec;
import org.xensshm.testkit.fault.Fault;
import org.xensshm.testkit.fault.FaultInjector;
import org.xensshm.testkit.junit.NativeTestBed;
import org.xensshm.testkit.testbed.GuestDomains;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.testkit.testbed.TestBed;
import org.xensshm.xen.XenControl;
import org.xensshm.xen.XenStore;

/**
 * The test bed's real xenstored is stopped (SIGSTOP) at a chosen point of a two-region attach:
 * the request waiting for it fails at the store deadline, the attach ends as after a lost
 * connection (what can be undone is, the rest is left marked), and once the daemon goes on,
 * reconcile leaves records and mappings in agreement and a fresh attach succeeds.
 */
@NativeTestBed
class NativeHungStoreTest {

    private static final int OWNER = 1;
    private static final int BORROWER = 2;
    private static final long RAM_PAGES = 0x400;
    private static final Duration DEADLINE = Duration.ofMillis(400);
    /** Only a guard against a hung test: the attach fails at the deadline. */
    private static final Duration HANG_GUARD = Duration.ofSeconds(120);

    private static final List<SshmSpec> OWNED = List.of(
            new SshmSpec("ID1", Role.OWNER, 0x100000, 0x20000, 0, Prot.RW, CachePolicy.ARM_NORMAL),
            new SshmSpec("ID2", Role.OWNER, 0x200000, 0x20000, 0, Prot.RW, CachePolicy.ARM_NORMAL));
    private static final List<SshmSpec> BORROWED = List.of(
            new SshmSpec("ID1", Role.BORROWER, 0x500000, 0x20000, 0, Prot.RW, null),
            new SshmSpec("ID2", Role.BORROWER, 0x600000, 0x10000, 0x10000, Prot.RW, null));
    private static final Map<Integer, Long> OWN_PAGES = Map.of(OWNER, RAM_PAGES, BORROWER, RAM_PAGES);

    private TestBed bed;
    private SimulatedHypervisor sim;

    @BeforeEach
    void domains(TestBed bed, SimulatedHypervisor sim) {
        this.bed = bed;
        this.sim = sim;
        try (XenStore admin = XenStore.open()) {
            for (int domid : OWN_PAGES.keySet()) {
                GuestDomains.create(sim, admin, domid);
                sim.populate(domid, 0, RAM_PAGES);
            }
        }
        try (XenControl xen = XenControl.open(); XenStore store = XenStore.open()) {
            StaticShmEngine engine = new StaticShmEngine(xen, store);
            engine.attach(OWNER, OWNED);
            // The hypervisor self-test runs once, and is kept: the attaches below do the same steps.
            engine.attach(BORROWER, BORROWED);
            engine.detach(BORROWER);
        }
    }

    @Test
    void xenstoredStoppedWhileTheAttachIsCompletedLeavesItsOutcomeToReconcile() {
        List<String> steps = trace();
        long lastCommit = IntStream.range(0, steps.size()).filter(i -> steps.get(i).contains(" STORE_COMMIT "))
                .reduce((a, b) -> b).orElseThrow() + 1;

        BackendFailureException failed = attachWithXenstoredStoppedAt(lastCommit);

        assertTrue(failed.needsReconcile(), failed::getMessage);
        assertEquals(RAM_PAGES + 0x30, sim.mappedPages(BORROWER),
                "nothing undone: xenstored may yet record the attach as complete");
        reconcileThenCheck();
    }

    @Test
    void xenstoredStoppedBetweenTwoRegionsUndoesWhatItCanAndReconcileTheRest() {
        List<String> steps = trace();
        int firstMapping = IntStream.range(0, steps.size())
                .filter(i -> steps.get(i).contains(" ADD_TO_PHYSMAP_BATCH ")).findFirst().orElseThrow();
        long nextStep = firstMapping + 2;

        BackendFailureException failed = attachWithXenstoredStoppedAt(nextStep);

        assertTrue(failed.needsReconcile(), "the records could not be removed: " + failed.getMessage());
        assertEquals(RAM_PAGES, sim.mappedPages(BORROWER), "the pages mapped so far were unmapped");
        reconcileThenCheck();
    }

    /** The operations one attach of the borrower makes, as the fault injector numbers them. */
    private List<String> trace() {
        FaultInjector counter = new FaultInjector();
        try (XenControl xen = XenControl.open(); XenStore store = XenStore.open()) {
            counter.startTrace();
            new StaticShmEngine(counter.wrap(xen), counter.wrap(store)).attach(BORROWER, BORROWED);
            new StaticShmEngine(xen, store).detach(BORROWER);
        }
        return counter.trace();
    }

    /** Attaches the borrower with xenstored stopped just before operation {@code nth}; expects the failure. */
    private BackendFailureException attachWithXenstoredStoppedAt(long nth) {
        FaultInjector faults = new FaultInjector();
        faults.arm(nth, Fault.before(() -> bed.xenstored().suspend()));
        try (XenControl xen = XenControl.open(); XenStore store = XenStore.open(DEADLINE)) {
            StaticShmEngine engine = new StaticShmEngine(faults.wrap(xen), faults.wrap(store));
            BackendFailureException failed = assertTimeoutPreemptively(HANG_GUARD,
                    () -> assertThrows(BackendFailureException.class, () -> engine.attach(BORROWER, BORROWED)));
            assertEquals(StoreUnreachableException.Reason.TIMED_OUT,
                    ((StoreUnreachableException) failed.call()).reason(), failed::getMessage);
            assertTrue(failed.getMessage().contains("xenstored at " + bed.xenstored().socket() + " did not answer"
                    + " within 400 ms"), failed::getMessage);
            return failed;
        } finally {
            bed.xenstored().resume();
        }
    }

    private void reconcileThenCheck() {
        try (XenControl xen = XenControl.open(); XenStore store = XenStore.open()) {
            StaticShmEngine engine = new StaticShmEngine(xen, store);
            ReconcileReport report = engine.reconcile();
            assertTrue(!report.hasFailures(), report::toString);
            HostInvariants.check(engine, sim, OWN_PAGES, report::toString);

            engine.detach(BORROWER);
            engine.attach(BORROWER, BORROWED);
            HostInvariants.check(engine, sim, OWN_PAGES, report::toString);
            assertEquals(RAM_PAGES + 0x30, sim.mappedPages(BORROWER), "a fresh attach maps both regions");
        }
    }
}
