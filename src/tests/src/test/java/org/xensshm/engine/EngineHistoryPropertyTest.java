package org.xensshm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeSet;

import org.xensshm.host.Errno;
import org.xensshm.spec.CachePolicy;
import org.xensshm.spec.Prot;
import org.xensshm.spec.Role;
import org.xensshm.spec.SshmSpec;
import org.xensshm.testkit.fault.Fault;
import org.xensshm.testkit.fault.FaultInjector;
import org.xensshm.testkit.fault.SimulatedCrash;
import org.xensshm.testkit.memory.InMemoryHost;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Random histories of attaches, detaches, failures at any operation, crashes before or after any
 * operation (followed by reconcile) and domains that vanish, over four domains and three regions.
 * After every step the records and the physmaps agree.
 */
class EngineHistoryPropertyTest {

    private static final int DOMAINS = 4;
    /** Owner range of each region: first gfn and pages. Every domain has RAM there. */
    private static final long[][] REGIONS = {{0x100, 8}, {0x200, 8}, {0x300, 4}};

    sealed interface Step {
    }

    record AttachOwner(int domid, int region) implements Step {
    }

    record AttachBorrower(int domid, int region, int offsetPages, int pages) implements Step {
    }

    /** Owns one region and borrows another in a single attach. */
    record AttachBoth(int domid, int owned, int borrowed) implements Step {
    }

    record Detach(int domid) implements Step {
    }

    record FailAt(Step step, int nth) implements Step {
    }

    record CrashAt(Step step, int nth, boolean afterIt) implements Step {
    }

    record Vanish(int domid) implements Step {
    }

    @Provide
    Arbitrary<List<Step>> histories() {
        Arbitrary<Integer> domid = Arbitraries.integers().between(1, DOMAINS);
        Arbitrary<Integer> region = Arbitraries.integers().between(0, REGIONS.length - 1);
        Arbitrary<Step> owner = Combinators.combine(domid, region).as(AttachOwner::new);
        Arbitrary<Step> borrower = Combinators.combine(domid, region, Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(1, 4)).as(AttachBorrower::new);
        Arbitrary<Step> both = Combinators.combine(domid, region, region).as(AttachBoth::new);
        Arbitrary<Step> detach = domid.map(Detach::new);
        Arbitrary<Step> plain = Arbitraries.frequencyOf(Tuple.of(5, owner), Tuple.of(6, borrower), Tuple.of(1, both),
                Tuple.of(2, detach));
        Arbitrary<Integer> nth = Arbitraries.integers().between(1, 60);
        Arbitrary<Step> fail = Combinators.combine(plain, nth).as(FailAt::new);
        Arbitrary<Step> crash = Combinators.combine(plain, nth, Arbitraries.of(true, false)).as(CrashAt::new);
        Arbitrary<Step> vanish = domid.map(Vanish::new);
        return Arbitraries.frequencyOf(Tuple.of(10, plain), Tuple.of(3, fail), Tuple.of(3, crash), Tuple.of(1, vanish))
                .list().ofMaxSize(40);
    }

    @Property(tries = 300)
    void recordsAndPhysmapsStayConsistent(@ForAll("histories") List<Step> history) {
        InMemoryHost host = new InMemoryHost();
        for (int domid = 1; domid <= DOMAINS; domid++) {
            createDomain(host, domid);
        }
        FaultInjector faults = new FaultInjector();
        EngineSettings settings = EngineSettings.defaults().withChunkPages(3);
        StaticShmEngine engine = new StaticShmEngine(faults.wrap(host.hypervisor()), faults.wrap(host.store()), settings);
        StaticShmEngine restarted = new StaticShmEngine(host.hypervisor(), host.store(), settings);

        for (Step step : history) {
            switch (step) {
                case FailAt(Step inner, int nth) -> {
                    faults.arm(nth, Fault.fail(Errno.EIO));
                    try {
                        run(engine, inner);
                    } catch (SshmException e) {
                        if (e.needsReconcile()) {
                            assertFalse(restarted.reconcile().hasFailures());
                        }
                    } finally {
                        faults.disarm();
                    }
                }
                case CrashAt(Step inner, int nth, boolean afterIt) -> {
                    faults.arm(nth, afterIt ? Fault.crashAfter() : Fault.crashBefore());
                    try {
                        run(engine, inner);
                    } catch (SimulatedCrash | SshmException e) {
                        // the toolstack is restarted below either way
                    } finally {
                        faults.disarm();
                    }
                    assertFalse(restarted.reconcile().hasFailures());
                }
                case Vanish(int domid) -> {
                    host.destroyDomain(domid);
                    assertFalse(restarted.reconcile().hasFailures());
                }
                default -> {
                    try {
                        run(engine, step);
                    } catch (RegionRefusedException refused) {
                        // the host's state did not allow it, which is fine
                    }
                }
            }
            assertConsistent(host, restarted);
            reuseFreedDomids(host, restarted);
        }
    }

    /**
     * A destroyed domain stays, dying, while others map its pages; once it is gone its domid is
     * given to a new domain, after the toolstack has reconciled.
     */
    private static void reuseFreedDomids(InMemoryHost host, StaticShmEngine toolstack) {
        for (int domid = 1; domid <= DOMAINS; domid++) {
            if (host.hypervisor().domainInfo(domid).isEmpty()) {
                assertFalse(toolstack.reconcile().hasFailures());
                createDomain(host, domid);
            }
        }
    }

    private static void run(StaticShmEngine engine, Step step) {
        switch (step) {
            case AttachOwner(int domid, int region) -> engine.attach(domid, List.of(owner(region)));
            case AttachBorrower(int domid, int region, int offset, int pages) ->
                    engine.attach(domid, List.of(borrower(region, offset, pages)));
            case AttachBoth(int domid, int owned, int borrowed) -> {
                if (owned != borrowed) {
                    engine.attach(domid, List.of(owner(owned), borrower(borrowed, 0, 2)));
                }
            }
            case Detach(int domid) -> engine.detach(domid);
            default -> throw new IllegalArgumentException("not a plain step: " + step);
        }
    }

    private static SshmSpec owner(int region) {
        return new SshmSpec("R" + region, Role.OWNER, REGIONS[region][0] << 12, REGIONS[region][1] << 12, 0, Prot.RW,
                CachePolicy.ARM_NORMAL);
    }

    /** Each region has its own window in a borrower, so a domain can borrow all three. */
    private static SshmSpec borrower(int region, int offsetPages, int pages) {
        return new SshmSpec("R" + region, Role.BORROWER, (0x1000L + 0x10L * region) << 12, (long) pages << 12,
                (long) offsetPages << 12, Prot.RW, null);
    }

    private static void createDomain(InMemoryHost host, int domid) {
        host.createDomain(domid);
        for (long[] region : REGIONS) {
            host.hypervisor().populate(domid, region[0], region[1]);
        }
    }

    private static void assertConsistent(InMemoryHost host, StaticShmEngine engine) {
        HostStatus status = engine.status();
        assertEquals(Map.of(), status.unreadable());
        Map<Integer, Long> borrowedPages = new HashMap<>();
        Map<Integer, TreeSet<String>> roles = new HashMap<>();
        for (RegionStatus region : status.regions()) {
            assertTrue(region.state() != RegionStatus.State.ATTACHING, region.toString());
            boolean ownerPresent = region.state() == RegionStatus.State.ACTIVE;
            assertEquals((ownerPresent ? 1 : 0) + region.borrowers().size(), region.userCount(), region.toString());
            if (ownerPresent) {
                roles.computeIfAbsent(region.owner(), d -> new TreeSet<>()).add(region.id());
            }
            for (RegionStatus.BorrowerStatus b : region.borrowers()) {
                assertEquals(RegionStatus.BorrowerStatus.State.MAPPED, b.state(), region.toString());
                long pages = (b.end() - b.begin()) >>> 12;
                borrowedPages.merge(b.domid(), pages, Long::sum);
                roles.computeIfAbsent(b.domid(), d -> new TreeSet<>()).add(region.id());
                long ownerGfn = (region.begin() + b.offset()) >>> 12;
                // An orphaned region's pages belong to an owner that left (or vanished: its domid
                // may be a new domain by now).
                if (ownerPresent) {
                    assertTrue(host.hypervisor().samePage(region.owner(), ownerGfn, b.domid(), b.begin() >>> 12));
                    assertTrue(host.hypervisor().samePage(region.owner(), ownerGfn + pages - 1, b.domid(),
                            (b.end() >>> 12) - 1));
                }
            }
        }
        SortedMap<String, String> store = host.store().dump();
        for (int domid = 1; domid <= DOMAINS; domid++) {
            assertEquals(borrowedPages.getOrDefault(domid, 0L), host.hypervisor().foreignPages(domid), "domain " + domid);
            TreeSet<String> recorded = new TreeSet<>();
            String dir = "/local/domain/" + domid + "/static_shm/";
            for (String path : store.keySet()) {
                if (path.startsWith(dir) && path.indexOf('/', dir.length()) < 0) {
                    recorded.add(path.substring(dir.length()));
                }
            }
            assertEquals(roles.getOrDefault(domid, new TreeSet<>()), recorded, "roles of domain " + domid);
        }
        assertFalse(store.keySet().stream().anyMatch(p -> p.endsWith("/state") && !store.get(p).equals("orphaned")
                || p.endsWith("/worker")), () -> "pending marks left: " + store);
        assertEquals(store.containsKey("/libxl/static_shm"), !status.regions().isEmpty());
        assertTrue(store.keySet().stream().noneMatch(p -> p.endsWith("/slaves")
                && store.keySet().stream().noneMatch(q -> q.startsWith(p + "/"))), "empty slaves directory");
    }
}
