package org.xensshm.e2e.dom0;

import java.time.Duration;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import org.xensshm.engine.AttachReport;
import org.xensshm.engine.DetachReport;
import org.xensshm.engine.EngineSettings;
import org.xensshm.engine.StaticShmEngine;
import org.xensshm.host.Errno;
import org.xensshm.host.PageBatch;
import org.xensshm.host.XenCallException;

/**
 * gmfn_share between domUs, the seed's way: on the series built with the page reference kept,
 * everything the engine promises, with the owner's page count checked after every step; on the
 * series as shipped, what the missing reference does to an owner.
 */
final class SharingScenarios {

    private static final int PAGES = 16;
    private static final int OFFSET_PAGES = 4;
    private static final int SECOND_PAGES = 8;

    private SharingScenarios() {
    }

    /**
     * One owner, two borrowers (the second at an offset): each guest reads its own window, the
     * records are the promised layout node by node, the owner leaves first and the borrowers keep
     * reading, the last borrower takes the record with it; the owner's pages never change.
     */
    static Scenario twoBorrowers() {
        return Scenario.of("two-borrowers", lab -> {
            Lab.Guest owner = lab.create("sh-owner", 16);
            Lab.Guest first = lab.create("sh-borrower-1", 16);
            Lab.Guest second = lab.create("sh-borrower-2", 16);
            long base = Regions.gfn(Regions.OWNER_BASE);
            lab.stamp(owner, base, PAGES);
            long ownerPages = lab.totalPages(owner.domid());
            StaticShmEngine engine = lab.engine(EngineSettings.defaults());
            engine.attach(owner.domid(), lab.specs(owner, Regions.owner("shared", PAGES)));
            AttachReport one = engine.attach(first.domid(), lab.specs(first, Regions.borrower("shared", 0, PAGES)));
            AttachReport two = engine.attach(second.domid(),
                    lab.specs(second, Regions.borrower("shared", OFFSET_PAGES, SECOND_PAGES)));
            lab.report.equal("pages-mapped", PAGES + SECOND_PAGES, (int) (one.pagesMapped() + two.pagesMapped()));
            compareRecords(lab, owner, first, second);

            lab.report.equal("first-reads-page-0", lab.ownerBytes(owner, base), lab.guestSees(first, Regions.window(0)));
            lab.report.equal("first-reads-page-15", lab.ownerBytes(owner, base + PAGES - 1),
                    lab.guestSees(first, Regions.window(PAGES - 1)));
            lab.report.equal("second-reads-page-4", lab.ownerBytes(owner, base + OFFSET_PAGES),
                    lab.guestSees(second, Regions.window(0)));
            lab.report.equal("second-reads-page-11", lab.ownerBytes(owner, base + OFFSET_PAGES + SECOND_PAGES - 1),
                    lab.guestSees(second, Regions.window(SECOND_PAGES - 1)));
            lab.report.equal("owner-pages-after-attach", ownerPages, lab.totalPages(owner.domid()));

            engine.detach(owner.domid());
            String record = "/libxl/static_shm/shared";
            SortedMap<String, String> orphaned = XenstoreTree.below(record);
            lab.report.equal("orphaned-state", "orphaned", orphaned.get(record + "/state"));
            lab.report.equal("orphaned-count", "2", orphaned.get(record + "/usercnt"));
            lab.report.check("owner-role-gone", !XenstoreTree.exists(Lab.roleDirectory(owner)),
                    XenstoreTree.below(Lab.roleDirectory(owner)).toString());
            lab.report.equal("owner-pages-after-owner-detach", ownerPages, lab.totalPages(owner.domid()));
            Peek.write(owner.domid(), base + OFFSET_PAGES, "6f727068616e65642d72656164");   // "orphaned-read"
            lab.report.equal("first-keeps-reading", lab.ownerBytes(owner, base + OFFSET_PAGES),
                    lab.guestSees(first, Regions.window(OFFSET_PAGES)));
            lab.report.equal("second-keeps-reading", lab.ownerBytes(owner, base + OFFSET_PAGES),
                    lab.guestSees(second, Regions.window(0)));

            engine.detach(first.domid());
            lab.report.equal("count-after-first-detach", "1", XenstoreTree.below(record).get(record + "/usercnt"));
            lab.report.equal("owner-pages-after-first-detach", ownerPages, lab.totalPages(owner.domid()));
            lab.report.check("first-faults-after-detach", lab.guestSees(first, Regions.window(0)).startsWith("fault"),
                    "the first borrower reads its window after its detach");
            lab.report.equal("second-still-reads", lab.ownerBytes(owner, base + OFFSET_PAGES),
                    lab.guestSees(second, Regions.window(0)));
            engine.detach(second.domid());
            lab.report.check("record-gone-with-last-borrower", !XenstoreTree.exists("/libxl/static_shm"),
                    XenstoreTree.below("/libxl/static_shm").toString());
            lab.report.equal("owner-pages-after-last-detach", ownerPages, lab.totalPages(owner.domid()));
            String bytes = lab.ownerBytes(owner, base);
            lab.report.check("owner-bytes-intact", bytes.startsWith(lab.mark(base)), bytes);
            lab.report.equal("first-destroyed", "gone", lab.destroy(first));
            lab.report.equal("second-destroyed", "gone", lab.destroy(second));
            lab.report.equal("owner-pages-after-borrowers-destroyed", ownerPages, lab.totalPages(owner.domid()));
            lab.report.equal("owner-destroyed", "gone", lab.destroy(owner));
        });
    }

    /** The records, node by node, against the seed's layout the engine documents. */
    private static void compareRecords(Lab lab, Lab.Guest owner, Lab.Guest first, Lab.Guest second) {
        String record = "/libxl/static_shm/shared";
        SortedMap<String, String> expected = new TreeMap<>(Map.of(
                record + "/master", "0x" + Integer.toHexString(owner.domid()),
                record + "/owner_uuid", lab.handle(owner),
                record + "/begin", hex(Regions.OWNER_BASE),
                record + "/end", hex(Regions.OWNER_BASE + PAGES * Lab.PAGE),
                record + "/prot", "rw",
                record + "/cache_policy", "ARM_normal",
                record + "/usercnt", "3",
                record + "/slaves", ""));
        expectBorrower(lab, expected, record, first, 0, PAGES);
        expectBorrower(lab, expected, record, second, OFFSET_PAGES, SECOND_PAGES);
        lab.report.equal("record-nodes", expected, XenstoreTree.below(record));
        lab.report.equal("record-dom0-only", "n0", XenstoreTree.permissions(record));
        for (Lab.Guest guest : new Lab.Guest[] {owner, first, second}) {
            String role = Lab.roleDirectory(guest);
            lab.report.equal("role-nodes-" + guest.name(), new TreeMap<>(Map.of(role + "/shared", "",
                    role + "/shared/role", guest == owner ? "master" : "slave")), XenstoreTree.below(role));
            lab.report.equal("role-read-only-for-" + guest.name(), "n0,r" + guest.domid(),
                    XenstoreTree.permissions(role + "/shared/role"));
        }
    }

    private static void expectBorrower(Lab lab, SortedMap<String, String> expected, String record, Lab.Guest borrower,
                                       long offsetPages, long pages) {
        String entry = record + "/slaves/" + borrower.domid();
        expected.put(entry, "");
        expected.put(entry + "/begin", hex(Lab.WINDOW_BASE));
        expected.put(entry + "/end", hex(Lab.WINDOW_BASE + pages * Lab.PAGE));
        expected.put(entry + "/offset", hex(offsetPages * Lab.PAGE));
        expected.put(entry + "/prot", "rw");
        expected.put(entry + "/mapping", "gmfn_share");
        expected.put(entry + "/uuid", lab.handle(borrower));
    }

    /** 65536 pages, one more than a batch call takes, map in full and are all unmapped again. */
    static Scenario largeRegion() {
        return Scenario.of("large-region", lab -> {
            int pages = 65536;
            long base = 0x4100_0000L;    // after 16 MiB of RAM; the owner has 256 MiB more
            Lab.Guest owner = lab.create("lg-owner", 16 + 256);
            Lab.Guest borrower = lab.create("lg-borrower", 16);
            long first = Regions.gfn(base);
            long[] probed = {0, pages / 2, pages - 1};
            for (long page : probed) {
                lab.stamp(owner, first + page, 1);
            }
            long ownerPages = lab.totalPages(owner.domid());
            StaticShmEngine engine = lab.engine(EngineSettings.defaults());
            engine.attach(owner.domid(), lab.specs(owner, Regions.owner("large", base, pages)));
            long start = System.nanoTime();
            AttachReport attached = engine.attach(borrower.domid(), lab.specs(borrower, Regions.borrower("large", 0, pages)));
            lab.report.time("attach-65536", Duration.ofNanos(System.nanoTime() - start));
            lab.report.equal("pages-mapped", (long) pages, attached.pagesMapped());
            for (long page : probed) {
                lab.report.equal("guest-reads-page-" + page, lab.ownerBytes(owner, first + page),
                        lab.guestSees(borrower, Regions.window(page)));
            }
            start = System.nanoTime();
            engine.detach(borrower.domid());
            lab.report.time("detach-65536", Duration.ofNanos(System.nanoTime() - start));
            lab.report.equal("every-page-unmapped", pages, unmappedPages(lab, borrower, pages));
            lab.report.equal("owner-pages-intact", ownerPages, lab.totalPages(owner.domid()));
            lab.report.equal("borrower-destroyed", "gone", lab.destroy(borrower));
            engine.detach(owner.domid());
            lab.report.equal("owner-destroyed", "gone", lab.destroy(owner));
        });
    }

    /**
     * The owner destroyed while borrowed: Xen keeps it dying, with its pages, while the borrower
     * maps them; the borrower reads on; reconcile orphans the region; the borrower's unmap lets the
     * owner go; reconcile then leaves nothing.
     */
    static Scenario ownerDestroyedWhileBorrowed() {
        return Scenario.of("owner-destroyed", lab -> {
            Lab.Guest owner = lab.create("od-owner", 16);
            Lab.Guest borrower = lab.create("od-borrower", 16);
            long base = Regions.gfn(Regions.OWNER_BASE);
            lab.stamp(owner, base, PAGES);
            String expected = lab.ownerBytes(owner, base);
            StaticShmEngine engine = lab.engine(EngineSettings.defaults());
            engine.attach(owner.domid(), lab.specs(owner, Regions.owner("dying", PAGES)));
            engine.attach(borrower.domid(), lab.specs(borrower, Regions.borrower("dying", 0, PAGES)));
            lab.report.equal("guest-reads", expected, lab.guestSees(borrower, Regions.window(0)));

            Xl.destroy(owner.name());
            lab.report.equal("owner-held-dying", "dying", lab.settledState(owner.domid(), Duration.ofSeconds(3)));
            lab.report.equal("owner-keeps-the-shared-pages", (long) PAGES, lab.totalPages(owner.domid()));
            lab.report.equal("guest-reads-on", expected, lab.guestSees(borrower, Regions.window(0)));
            engine.reconcile();
            String record = "/libxl/static_shm/dying";
            lab.report.equal("reconcile-orphans", "orphaned", XenstoreTree.below(record).get(record + "/state"));
            lab.report.equal("reconcile-count", "1", XenstoreTree.below(record).get(record + "/usercnt"));

            engine.detach(borrower.domid());
            lab.report.equal("owner-goes-after-unmap", "gone", lab.settledState(owner.domid(), Duration.ofSeconds(30)));
            engine.reconcile();
            lab.report.check("nothing-left", !XenstoreTree.exists("/libxl/static_shm"),
                    XenstoreTree.below("/libxl/static_shm").toString());
            lab.report.equal("borrower-destroyed", "gone", lab.destroy(borrower));
            lab.forget(owner);
        });
    }

    /**
     * The series as shipped, with the refusal overridden: the mapping works, and the borrower's
     * detach takes the shared pages away from the owner, which still uses them.
     */
    static Scenario unreferencedShareLosesOwnerPages() {
        return Scenario.of("unreferenced-share", lab -> {
            Lab.Guest owner = lab.create("us-owner", 16);
            Lab.Guest borrower = lab.create("us-borrower", 16);
            long base = Regions.gfn(Regions.OWNER_BASE);
            lab.stamp(owner, base, PAGES);
            StaticShmEngine engine = lab.engine(EngineSettings.defaults().withUnreferencedShareAllowed(true));
            engine.attach(owner.domid(), lab.specs(owner, Regions.owner("unreferenced", PAGES)));
            engine.attach(borrower.domid(), lab.specs(borrower, Regions.borrower("unreferenced", 0, PAGES)));
            lab.report.equal("recorded-mapping", "gmfn_share-unreferenced", XenstoreTree.below("/libxl/static_shm")
                    .get("/libxl/static_shm/unreferenced/slaves/" + borrower.domid() + "/mapping"));
            lab.report.equal("guest-reads", lab.ownerBytes(owner, base), lab.guestSees(borrower, Regions.window(0)));
            long before = lab.totalPages(owner.domid());
            DetachReport detached = engine.detach(borrower.domid());
            lab.report.check("detach-warns", !detached.warnings().isEmpty(), "warnings: " + detached.warnings());
            long after = lab.totalPages(owner.domid());
            lab.report.equal("owner-lost-the-shared-pages", before - PAGES, after);
            // The borrower first: with the owner gone first, Xen would put pages it no longer has.
            lab.report.equal("borrower-destroyed", "gone", lab.destroy(borrower));
            engine.detach(owner.domid());
            lab.report.equal("owner-destroyed", "gone", lab.destroy(owner));
        });
    }

    /** How many of the window's pages a removal finds unmapped (ENOENT); removes what it finds. */
    static int unmappedPages(Lab lab, Lab.Guest borrower, int pages) {
        int unmapped = 0;
        try (PageBatch batch = PageBatch.allocate(pages)) {
            batch.fillTargets(Regions.gfn(Lab.WINDOW_BASE), pages);
            lab.hypervisor().removeFromPhysmapBatch(borrower.domid(), batch);
            for (int i = 0; i < pages; i++) {
                if (batch.error(i) == -Errno.ENOENT) {
                    unmapped++;
                }
            }
        } catch (XenCallException e) {
            lab.report.check("unmapped-pages-counted", false, e.getMessage());
        }
        return unmapped;
    }

    private static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }
}
