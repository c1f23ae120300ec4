package org.xensshm.e2e.dom0;

import java.time.Duration;
import java.util.Locale;

import org.xensshm.engine.EngineSettings;
import org.xensshm.engine.StaticShmEngine;
import org.xensshm.host.Errno;
import org.xensshm.host.ForwardingHypervisor;
import org.xensshm.host.PageBatch;
import org.xensshm.host.XenCallException;

/**
 * Detach by one multicall of removals against the per-page way, side by side in one boot, on the
 * same region: both must leave nothing mapped and the owner's pages in place; the times are
 * reported for the benchmark record, never asserted.
 */
final class TeardownTiming {

    private static final int PAGES = 16384;
    /** The region: 64 MiB after the owner's first 16 MiB of RAM. */
    private static final long BASE = 0x4100_0000L;

    private TeardownTiming() {
    }

    /**
     * The comparison, {@code rounds} rounds each way: multicall, per page, then per page,
     * multicall, and so on, keeping each way's fastest detach, since the other emulated hosts
     * share the machine and their load comes and goes.
     */
    static Scenario compare(EngineSettings settings, int rounds) {
        return Scenario.of("teardown-timing", lab -> {
            Lab.Guest owner = lab.create("tt-owner", 16 + 64);
            Lab.Guest borrower = lab.create("tt-borrower", 16);
            long ownerPages = lab.totalPages(owner.domid());
            StaticShmEngine batched = lab.engine(settings);
            StaticShmEngine perPage = new StaticShmEngine(new PerPageRemovals(lab), lab.host.store(), settings);
            batched.attach(owner.domid(), lab.specs(owner, Regions.owner("teardown", BASE, PAGES)));

            double multicall = Double.MAX_VALUE;
            double onePerPage = Double.MAX_VALUE;
            for (int round = 1; round <= rounds; round++) {
                if (round % 2 == 1) {
                    multicall = Math.min(multicall, round(lab, batched, borrower, "multicall-" + round));
                    onePerPage = Math.min(onePerPage, round(lab, perPage, borrower, "per-page-" + round));
                } else {
                    onePerPage = Math.min(onePerPage, round(lab, perPage, borrower, "per-page-" + round));
                    multicall = Math.min(multicall, round(lab, batched, borrower, "multicall-" + round));
                }
            }
            lab.report.note(String.format(Locale.ROOT, "detach of %d pages: per-page %.3f s, multicall %.3f s,"
                    + " per-page/multicall %.2f (the fastest of %d round(s) each)", PAGES, onePerPage, multicall,
                    onePerPage / multicall, rounds));
            lab.report.equal("owner-pages-intact", ownerPages, lab.totalPages(owner.domid()));
            lab.report.equal("borrower-destroyed", "gone", lab.destroy(borrower));
            batched.detach(owner.domid());
            lab.report.equal("owner-released", "gone", lab.destroy(owner));
        });
    }

    /** Attach, then detach with {@code engine}: the detach's seconds. */
    private static double round(Lab lab, StaticShmEngine engine, Lab.Guest borrower, String way) {
        long start = System.nanoTime();
        engine.attach(borrower.domid(), lab.specs(borrower, Regions.borrower("teardown", 0, PAGES)));
        lab.report.time("attach-before-" + way, Duration.ofNanos(System.nanoTime() - start));
        start = System.nanoTime();
        engine.detach(borrower.domid());
        Duration detach = Duration.ofNanos(System.nanoTime() - start);
        lab.report.time("detach-" + way, detach);
        lab.report.equal("unmapped-" + way, PAGES, SharingScenarios.unmappedPages(lab, borrower, PAGES));
        return detach.toNanos() / 1e9;
    }

    /** The host as one whose hypervisor refuses batched removals: the engine removes page by page. */
    private static final class PerPageRemovals extends ForwardingHypervisor {

        PerPageRemovals(Lab lab) {
            super(lab.hypervisor());
        }

        @Override
        public void removeFromPhysmapBatch(int domid, PageBatch batch) {
            throw new XenCallException("multicall", "refused for the per-page comparison", Errno.ENOSYS);
        }
    }
}
