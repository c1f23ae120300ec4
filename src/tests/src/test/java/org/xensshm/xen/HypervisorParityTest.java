package org.xensshm.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.MapSpace;
import org.xensshm.host.PageBatch;
import org.xensshm.host.XenCallException;
import org.xensshm.testkit.junit.NativeTestBed;
import org.xensshm.testkit.memory.InMemoryHypervisor;
import org.xensshm.testkit.testbed.SimulatedHypervisor;

/**
 * The in-memory hypervisor against the native stack (real libxenctrl over the simulated
 * hypervisor), call by call: every scenario must give the same per-page results and the same
 * whole-call errors on both, so the engine behaves the same on either.
 */
@NativeTestBed
class HypervisorParityTest {

    /** What a scenario may do to set up a host, on either backend. */
    private interface Host {
        void createDomain(int domid);

        void populate(int domid, long firstGfn, long count);

        void setTarget(int domid, int target);

        void stock();
    }

    private record Step(String name, Consumer<Host> setUp, int domid, int sourceDomid, MapSpace space, long[][] pages) {
    }

    private static final List<Step> SCENARIOS = List.of(
            new Step("success, unpopulated source, occupied target", host -> {
                host.populate(1, 0x100, 2);
                host.populate(2, 0x501, 1);
            }, 2, 1, MapSpace.GMFN_SHARE, new long[][] {{0x100, 0x500}, {0x101, 0x501}, {0x102, 0x502}}),
            new Step("missing receiving domain", host -> host.populate(1, 0x100, 1),
                    9, 1, MapSpace.GMFN_SHARE, new long[][] {{0x100, 0x500}}),
            new Step("missing source domain", host -> { },
                    2, 9, MapSpace.GMFN_SHARE, new long[][] {{0x100, 0x500}, {0x101, 0x501}}),
            new Step("stock Xen has no gmfn_share", host -> {
                host.stock();
                host.populate(1, 0x100, 2);
            }, 2, 1, MapSpace.GMFN_SHARE, new long[][] {{0x100, 0x500}, {0x101, 0x501}}),
            new Step("default XSM refuses gmfn_foreign between guests", host -> host.populate(1, 0x100, 2),
                    2, 1, MapSpace.GMFN_FOREIGN, new long[][] {{0x100, 0x500}, {0x101, 0x501}}),
            new Step("gmfn_foreign for the owner's target", host -> {
                host.populate(1, 0x100, 2);
                host.setTarget(2, 1);
            }, 2, 1, MapSpace.GMFN_FOREIGN, new long[][] {{0x100, 0x500}, {0x101, 0x501}}),
            new Step("gmfn_foreign from dom0", host -> { },
                    2, 0, MapSpace.GMFN_FOREIGN, new long[][] {{0x100, 0x500}}),
            new Step("target beyond the guest address space", host -> host.populate(1, 0x100, 1),
                    2, 1, MapSpace.GMFN_SHARE, new long[][] {{0x100, 1L << 28}}),
            new Step("INVALID_GFN as a target fails the whole call", host -> host.populate(1, 0x100, 2),
                    2, 1, MapSpace.GMFN_SHARE, new long[][] {{0x100, 0x500}, {0x101, -1L}}));

    @Test
    void bothBackendsAnswerEveryScenarioAlike(SimulatedHypervisor sim) {
        for (Step step : SCENARIOS) {
            sim.reset();
            sim.personality(SimulatedHypervisor.Personality.SERIES_FIXED);
            List<String> nativeResults;
            try (XenControl xen = XenControl.open()) {
                nativeResults = run(step, xen, new Host() {
                    public void createDomain(int domid) {
                        sim.createDomain(domid);
                    }

                    public void populate(int domid, long firstGfn, long count) {
                        sim.populate(domid, firstGfn, count);
                    }

                    public void setTarget(int domid, int target) {
                        sim.setTarget(domid, target);
                    }

                    public void stock() {
                        sim.personality(SimulatedHypervisor.Personality.STOCK);
                    }
                });
            }
            InMemoryHypervisor memory = new InMemoryHypervisor();
            List<String> memoryResults = run(step, memory, new Host() {
                public void createDomain(int domid) {
                    memory.createDomain(domid);
                }

                public void populate(int domid, long firstGfn, long count) {
                    memory.populate(domid, firstGfn, count);
                }

                public void setTarget(int domid, int target) {
                    memory.setTarget(domid, target);
                }

                public void stock() {
                    memory.personality(InMemoryHypervisor.Personality.STOCK);
                }
            });
            assertEquals(nativeResults, memoryResults, step.name());
        }
    }

    /** Unpausing, as a watcher does after an attach: the same answers and flags on both backends. */
    @Test
    void bothBackendsUnpauseAlike(SimulatedHypervisor sim) {
        sim.reset();
        List<String> nativeResults;
        try (XenControl xen = XenControl.open()) {
            sim.createDomain(1);
            sim.pauseDomain(1);
            nativeResults = unpauseTwice(xen);
        }
        InMemoryHypervisor memory = new InMemoryHypervisor();
        memory.createDomain(1);
        memory.pause(1);

        assertEquals(List.of("paused: true", "unpause 1: ok", "paused: false", "unpause 1: 22", "unpause 9: 3"),
                nativeResults);
        assertEquals(nativeResults, unpauseTwice(memory));
    }

    private static List<String> unpauseTwice(Hypervisor hypervisor) {
        List<String> results = new ArrayList<>();
        results.add("paused: " + hypervisor.domainInfo(1).orElseThrow().paused());
        for (int domid : new int[] {1, 1, 9}) {
            try {
                hypervisor.unpause(domid);
                results.add("unpause " + domid + ": ok");
                results.add("paused: " + hypervisor.domainInfo(1).orElseThrow().paused());
            } catch (XenCallException e) {
                results.add("unpause " + domid + ": " + e.errno());
            }
        }
        return results;
    }

    /** Sets the host up, maps the pages, then removes each target page; returns every result as text. */
    private static List<String> run(Step step, Hypervisor hypervisor, Host host) {
        host.createDomain(1);
        host.createDomain(2);
        step.setUp().accept(host);
        List<String> results = new ArrayList<>();
        try (PageBatch batch = PageBatch.allocate(step.pages().length)) {
            batch.count(step.pages().length);
            for (int i = 0; i < step.pages().length; i++) {
                batch.set(i, step.pages()[i][0], step.pages()[i][1]);
            }
            try {
                hypervisor.addToPhysmapBatch(step.domid(), step.sourceDomid(), step.space(), batch);
                results.add("map: ok");
            } catch (XenCallException e) {
                results.add("map: " + e.errno());
            }
            for (int i = 0; i < batch.count(); i++) {
                results.add("page " + i + ": " + (batch.error(i) == PageBatch.NOT_ATTEMPTED ? "not attempted" : batch.error(i)));
            }
            for (long[] page : step.pages()) {
                try {
                    hypervisor.removeFromPhysmap(step.domid(), page[1]);
                    results.add("remove 0x" + Long.toHexString(page[1]) + ": ok");
                } catch (XenCallException e) {
                    results.add("remove 0x" + Long.toHexString(page[1]) + ": " + e.errno());
                }
            }
        }
        return results;
    }
}
