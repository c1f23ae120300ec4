package org.xensshm.e2e.facts;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.function.Supplier;

import org.xensshm.engine.HypervisorSelfTest;
import org.xensshm.engine.SelfTestReport.MapSpaceFinding;
import org.xensshm.engine.SelfTestReport;
import org.xensshm.ffi.xen_h;
import org.xensshm.host.DomainInfo;
import org.xensshm.host.Errno;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.MapSpace;
import org.xensshm.host.PageBatch;
import org.xensshm.host.Store;
import org.xensshm.host.XenCallException;

/**
 * What a hypervisor does with the calls static shared memory makes, as named facts: the same code
 * runs in the dom0 of a real Xen and over the simulated hypervisor, and the two lists must be
 * equal. Each fact's value is what was seen (an errno name, {@code ok}, a sequence of domain
 * states), never a domid, so that two hosts can be compared word for word.
 *
 * <p>Only scratch domains are used (made with {@link Hypervisor#createScratchDomain()}, never
 * run). Calls that would free a page still in use are not made where the self-test found share
 * mappings to hold no reference: on such a hypervisor a later removal can panic it.
 */
public final class HypervisorFacts {

    /** The start of guest RAM in Xen's Arm guest layout: where the scratch owners get RAM. */
    private static final long RAM_GFN = 0x40000;
    /** Above a scratch domain's RAM and clear of Xen's fixed guest areas. */
    private static final long WINDOW_GFN = 0x50000;
    private static final long ABSENT_DOMID = 0x7FEF;

    private final Hypervisor hypervisor;
    private final Store store;
    private final Duration settle;
    private final Map<String, String> facts = new LinkedHashMap<>();
    private final List<Integer> domains = new ArrayList<>();

    private HypervisorFacts(Hypervisor hypervisor, Store store, Duration settle) {
        this.hypervisor = hypervisor;
        this.store = store;
        this.settle = settle;
    }

    /**
     * Observes {@code hypervisor}, with {@code store} for the self-test's cache. The one call the
     * {@link Hypervisor} seam cannot make (a batch whose count does not fit the ABI's 16 bits) goes
     * through a libxenctrl handle of its own. Leaves no domain behind but the zombie a remap may
     * make.
     *
     * @param settle how long a destroyed domain may take to go before it counts as held (dying):
     *               Xen finishes destroying a domain asynchronously
     */
    public static Map<String, String> observe(Hypervisor hypervisor, Store store, Duration settle) {
        HypervisorFacts observer = new HypervisorFacts(hypervisor, store, settle);
        try {
            observer.observeAll();
        } finally {
            observer.destroyAll();
        }
        return observer.facts;
    }

    private void observeAll() {
        SelfTestReport selfTest = new HypervisorSelfTest(hypervisor, store).run();
        fact("selftest.batched-removal", () -> selfTest.batchedRemovals() ? "taken" : "refused");
        for (MapSpaceFinding finding : selfTest.mapSpaces()) {
            fact("selftest." + finding.space(), finding::toString);
        }
        boolean shareMaps = selfTest.finding(MapSpace.GMFN_SHARE).map(MapSpaceFinding::maps).orElse(false);
        boolean shareSafe = shareMaps && !selfTest.shareFreesOwnerPages();

        int owner = owner(4);
        int borrower = domain();
        fact("map.foreign.untrusted", () -> map(borrower, owner, MapSpace.GMFN_FOREIGN, RAM_GFN, WINDOW_GFN, 1));
        fact("map.share", () -> shareMaps && !shareSafe ? "not tried: holds no reference"
                : mapAndRemove(borrower, owner, MapSpace.GMFN_SHARE, RAM_GFN, WINDOW_GFN));
        fact("set-target.first", () -> outcome(() -> hypervisor.setTarget(borrower, owner)));
        fact("set-target.again", () -> outcome(() -> hypervisor.setTarget(borrower, owner)));
        int other = domain();
        fact("set-target.other", () -> outcome(() -> hypervisor.setTarget(borrower, other)));
        fact("map.foreign.trusted", () -> map(borrower, owner, MapSpace.GMFN_FOREIGN, RAM_GFN, WINDOW_GFN, 1));
        fact("map.foreign.unpopulated-source",
                () -> map(borrower, owner, MapSpace.GMFN_FOREIGN, RAM_GFN + 100, WINDOW_GFN + 1, 1));
        fact("map.foreign.mixed-batch", () -> mapPages(borrower, owner, MapSpace.GMFN_FOREIGN,
                new long[] {RAM_GFN + 1, RAM_GFN + 200, RAM_GFN + 2}, new long[] {WINDOW_GFN + 2, WINDOW_GFN + 3,
                        WINDOW_GFN + 4}));
        fact("map.absent-source", () -> map(borrower, (int) ABSENT_DOMID, MapSpace.GMFN_FOREIGN, RAM_GFN,
                WINDOW_GFN + 5, 1));
        fact("map.absent-target", () -> map((int) ABSENT_DOMID, owner, MapSpace.GMFN_FOREIGN, RAM_GFN,
                WINDOW_GFN + 5, 1));
        fact("map.count-65536", () -> countBeyondSixteenBits(borrower, owner));
        fact("remove.unmapped", () -> outcome(() -> hypervisor.removeFromPhysmap(borrower, WINDOW_GFN + 99)));
        fact("remove.batch", () -> removeBatch(borrower,
                new long[] {WINDOW_GFN + 2, WINDOW_GFN + 3, WINDOW_GFN + 4, WINDOW_GFN + 2}));
        fact("remove.mapped", () -> outcome(() -> hypervisor.removeFromPhysmap(borrower, WINDOW_GFN)));

        fact("owner-destroyed.foreign", () -> ownerDestroyedWhileBorrowed(MapSpace.GMFN_FOREIGN));
        fact("owner-destroyed.share", () -> shareSafe ? ownerDestroyedWhileBorrowed(MapSpace.GMFN_SHARE)
                : "not tried: " + (shareMaps ? "holds no reference" : "share does not map"));
        fact("remap.foreign", () -> remapOverLiveMapping(MapSpace.GMFN_FOREIGN));
        fact("remap.share", () -> shareSafe ? remapOverLiveMapping(MapSpace.GMFN_SHARE)
                : "not tried: " + (shareMaps ? "holds no reference" : "share does not map"));
    }

    /** Records a fact; one that fails unexpectedly records the failure, and the others go on. */
    private void fact(String name, Supplier<String> observation) {
        String value;
        try {
            value = observation.get();
        } catch (RuntimeException e) {
            value = "failed: " + e;
        }
        facts.put(name, value);
    }

    private int domain() {
        int domid = hypervisor.createScratchDomain();
        domains.add(domid);
        return domid;
    }

    private int owner(int pages) {
        int domid = domain();
        hypervisor.populate(domid, RAM_GFN, pages);
        return domid;
    }

    private String map(int domid, int source, MapSpace space, long firstSource, long firstTarget, int count) {
        long[] sources = new long[count];
        long[] targets = new long[count];
        for (int i = 0; i < count; i++) {
            sources[i] = firstSource + i;
            targets[i] = firstTarget + i;
        }
        return mapPages(domid, source, space, sources, targets);
    }

    /** "ok", an errno per entry ("ok,EINVAL,ok"), or "call: ERRNO" when the call failed as a whole. */
    private String mapPages(int domid, int source, MapSpace space, long[] sources, long[] targets) {
        try (PageBatch batch = PageBatch.allocate(sources.length)) {
            batch.count(sources.length);
            for (int i = 0; i < sources.length; i++) {
                batch.set(i, sources[i], targets[i]);
            }
            try {
                hypervisor.addToPhysmapBatch(domid, source, space, batch);
            } catch (XenCallException e) {
                return "call: " + Errno.name(e.errno());
            }
            return entries(batch);
        }
    }

    private String mapAndRemove(int domid, int source, MapSpace space, long sourceGfn, long targetGfn) {
        String mapped = map(domid, source, space, sourceGfn, targetGfn, 1);
        if (mapped.equals("ok")) {
            hypervisor.removeFromPhysmap(domid, targetGfn);
        }
        return mapped;
    }

    private String removeBatch(int domid, long[] gfns) {
        try (PageBatch batch = PageBatch.allocate(gfns.length)) {
            batch.count(gfns.length);
            for (int i = 0; i < gfns.length; i++) {
                batch.set(i, 0, gfns[i]);
            }
            try {
                hypervisor.removeFromPhysmapBatch(domid, batch);
            } catch (XenCallException e) {
                return "call: " + Errno.name(e.errno());
            }
            return entries(batch);
        }
    }

    private static String entries(PageBatch batch) {
        StringJoiner joined = new StringJoiner(",");
        for (int i = 0; i < batch.count(); i++) {
            int error = batch.error(i);
            joined.add(error == 0 ? "ok" : error == PageBatch.NOT_ATTEMPTED ? "not-attempted" : Errno.name(-error));
        }
        return joined.toString();
    }

    private static String outcome(Runnable call) {
        try {
            call.run();
            return "ok";
        } catch (XenCallException e) {
            return Errno.name(e.errno());
        }
    }

    /**
     * XENMEM_add_to_physmap_batch carries its count in 16 bits, and libxenctrl takes an unsigned
     * int: a count of 65536 reaches Xen as 0. What Xen does then is why the engine chunks at 65535.
     */
    private String countBeyondSixteenBits(int domid, int source) {
        int count = 65536;
        MemorySegment xch = xen_h.xc_interface_open(MemorySegment.NULL, MemorySegment.NULL, 0);
        if (xch.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("xc_interface_open failed");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment idxs = arena.allocate(ValueLayout.JAVA_LONG, count);
            MemorySegment gpfns = arena.allocate(ValueLayout.JAVA_LONG, count);
            MemorySegment errs = arena.allocate(ValueLayout.JAVA_INT, count);
            for (int i = 0; i < count; i++) {
                idxs.setAtIndex(ValueLayout.JAVA_LONG, i, RAM_GFN + (i % 4));
                gpfns.setAtIndex(ValueLayout.JAVA_LONG, i, WINDOW_GFN + 0x1000 + i);
                errs.setAtIndex(ValueLayout.JAVA_INT, i, PageBatch.NOT_ATTEMPTED);
            }
            int rc = xen_h.xc_domain_add_to_physmap_batch(xch, domid, source, MapSpace.GMFN_FOREIGN.abiValue(),
                    count, idxs, gpfns, errs);
            int touched = 0;
            for (int i = 0; i < count; i++) {
                if (errs.getAtIndex(ValueLayout.JAVA_INT, i) != PageBatch.NOT_ATTEMPTED) {
                    touched++;
                }
            }
            String firstPage = outcome(() -> hypervisor.removeFromPhysmap(domid, WINDOW_GFN + 0x1000));
            return "rc=" + rc + " results=" + touched + " first-page-removal=" + firstPage;
        } finally {
            xen_h.xc_interface_close(xch);
        }
    }

    /** The owner's states as it is destroyed while borrowed, after the unmap, after the borrower goes. */
    private String ownerDestroyedWhileBorrowed(MapSpace space) {
        int owner = owner(1);
        int borrower = domain();
        if (space == MapSpace.GMFN_FOREIGN) {
            hypervisor.setTarget(borrower, owner);
        }
        String mapped = map(borrower, owner, space, RAM_GFN, WINDOW_GFN, 1);
        if (!mapped.equals("ok")) {
            return "map: " + mapped;
        }
        StringJoiner states = new StringJoiner(", ");
        hypervisor.destroyDomain(owner);
        states.add("destroyed: " + settledState(owner));
        states.add("unmapped: " + outcome(() -> hypervisor.removeFromPhysmap(borrower, WINDOW_GFN)) + " "
                + settledState(owner));
        hypervisor.destroyDomain(borrower);
        states.add("borrower destroyed: " + settledState(owner));
        return states.toString();
    }

    /**
     * Maps one owner page at a gfn where the same page is mapped already, removes it once, lets
     * the borrower go and destroys the owner: whether the owner then goes or stays a zombie.
     */
    private String remapOverLiveMapping(MapSpace space) {
        int owner = owner(1);
        int borrower = domain();
        if (space == MapSpace.GMFN_FOREIGN) {
            hypervisor.setTarget(borrower, owner);
        }
        String first = map(borrower, owner, space, RAM_GFN, WINDOW_GFN, 1);
        String again = map(borrower, owner, space, RAM_GFN, WINDOW_GFN, 1);
        String removed = outcome(() -> hypervisor.removeFromPhysmap(borrower, WINDOW_GFN));
        String removedAgain = outcome(() -> hypervisor.removeFromPhysmap(borrower, WINDOW_GFN));
        hypervisor.destroyDomain(borrower);
        String borrowerState = settledState(borrower);
        hypervisor.destroyDomain(owner);
        return "map " + first + ", again " + again + ", remove " + removed + ", again " + removedAgain
                + ", borrower destroyed: " + borrowerState + ", owner destroyed: " + settledState(owner);
    }

    /**
     * A domain's state once Xen has had time to finish destroying it: "gone", "dying" (held by
     * references), "alive". Destruction is asynchronous on real Xen: wait for "gone" a while.
     */
    private String settledState(int domid) {
        long deadline = System.currentTimeMillis() + settle.toMillis();
        while (true) {
            Optional<DomainInfo> info = hypervisor.domainInfo(domid);
            if (info.isEmpty()) {
                return "gone";
            }
            if (!info.get().dying()) {
                return "alive";
            }
            if (System.currentTimeMillis() > deadline) {
                return "dying";
            }
            sleep(100);
        }
    }

    /** The scratch domains that are left, borrowers (made later) first. */
    private void destroyAll() {
        for (int i = domains.size() - 1; i >= 0; i--) {
            int domid = domains.get(i);
            try {
                if (hypervisor.domainInfo(domid).filter(DomainInfo::alive).isPresent()) {
                    hypervisor.destroyDomain(domid);
                }
            } catch (XenCallException e) {
                facts.put("cleanup.domain-" + i, "failed: " + e.getMessage());
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
