package org.xensshm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.xensshm.spec.SshmSpec;
import org.xensshm.testkit.testbed.SimulatedHypervisor;

/**
 * What must hold on the test bed once nothing is in progress (after a reconcile): every record
 * settled, counts exact, and records and mappings in one-to-one agreement, page by page. Read
 * through the engine's own {@link StaticShmEngine#status()} and the simulated hypervisor's p2m,
 * not through xenstore paths, so that it holds whatever layout the records use.
 */
final class HostInvariants {

    private HostInvariants() {
    }

    /**
     * @param ownPages per domain, how many pages of its own RAM it has: every other mapped page
     *                 of it must be a recorded borrower's
     * @param context  said with every failure (e.g. the seed and the cycle)
     */
    static void check(StaticShmEngine engine, SimulatedHypervisor sim, Map<Integer, Long> ownPages,
                      Supplier<String> context) {
        HostStatus status = engine.status();
        assertEquals(Map.of(), status.unreadable(), () -> "unreadable records; " + context.get());
        Map<Integer, Long> borrowedPages = new HashMap<>();
        for (RegionStatus region : status.regions()) {
            String where = "region " + region.id() + " " + region;
            assertTrue(region.state() != RegionStatus.State.ATTACHING, () -> "owner attach left pending: " + where
                    + "; " + context.get());
            int owner = region.state() == RegionStatus.State.ACTIVE ? 1 : 0;
            assertEquals(owner + region.borrowers().size(), region.userCount(),
                    () -> "usercnt is not owner + borrowers: " + where + "; " + context.get());
            for (RegionStatus.BorrowerStatus borrower : region.borrowers()) {
                assertEquals(RegionStatus.BorrowerStatus.State.MAPPED, borrower.state(),
                        () -> "borrower left pending: " + where + "; " + context.get());
                long pages = (borrower.end() - borrower.begin()) >> SshmSpec.PAGE_SHIFT;
                long ownerFirst = (region.begin() + borrower.offset()) >> SshmSpec.PAGE_SHIFT;
                long first = borrower.begin() >> SshmSpec.PAGE_SHIFT;
                for (long i = 0; i < pages; i++) {
                    long page = i;
                    Optional<Long> ownerFrame = sim.frameOf(region.owner(), ownerFirst + i);
                    assertTrue(ownerFrame.isPresent(), () -> "owner page missing: " + where + "; " + context.get());
                    assertEquals(ownerFrame, sim.frameOf(borrower.domid(), first + i), () -> "record without its"
                            + " mapping: domain " + borrower.domid() + " gfn 0x" + Long.toHexString(first + page)
                            + " of " + where + "; " + context.get());
                }
                borrowedPages.merge(borrower.domid(), pages, Long::sum);
            }
        }
        ownPages.forEach((domid, own) -> {
            long foreign = sim.mappedPages(domid) - own;
            assertEquals(borrowedPages.getOrDefault(domid, 0L).longValue(), foreign, () -> "domain " + domid
                    + " maps " + foreign + " pages beyond its RAM, but its records account for "
                    + borrowedPages.getOrDefault(domid, 0L) + " (mapped pages without a record); " + context.get());
        });
    }
}
