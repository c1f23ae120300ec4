package org.xensshm.e2e.dom0;

import org.xensshm.engine.AttachReport;
import org.xensshm.engine.EngineSettings;
import org.xensshm.engine.MappingKind;
import org.xensshm.engine.RegionRefusedException;
import org.xensshm.engine.RegionStatus;
import org.xensshm.engine.StaticShmEngine;
import org.xensshm.host.MapSpace;
import org.xensshm.host.PageBatch;

/**
 * Runtime static shm on stock Xen: gmfn_foreign with the owner made the borrower's target
 * (opt-in, at the price the settings describe).
 */
final class TrustedBorrowerScenarios {

    private static final int PAGES = 16;

    private TrustedBorrowerScenarios() {
    }

    /** Attach, the guest reads the owner's bytes, detach unmaps, both domains go, xenstore is clean. */
    static Scenario sharesAndTearsDown() {
        return Scenario.of("trusted-borrower", lab -> {
            Lab.Guest owner = lab.create("tb-owner", 16);
            Lab.Guest borrower = lab.create("tb-borrower", 16);
            long first = Regions.gfn(Regions.OWNER_BASE);
            lab.stamp(owner, first, PAGES);
            StaticShmEngine engine = lab.engine(EngineSettings.defaults().withTrustedBorrowers());
            engine.attach(owner.domid(), lab.specs(owner, Regions.owner("trusted", PAGES)));
            AttachReport attached = engine.attach(borrower.domid(),
                    lab.specs(borrower, Regions.borrower("trusted", 0, PAGES)));
            lab.report.equal("pages-mapped", (long) PAGES, attached.pagesMapped());
            lab.report.equal("recorded-mapping", "gmfn_foreign+target", XenstoreTree.below("/libxl/static_shm/trusted")
                    .get("/libxl/static_shm/trusted/slaves/" + borrower.domid() + "/mapping"));
            lab.report.equal("status-mapping", MappingKind.FOREIGN_TRUSTED, engine.status().regions().getFirst()
                    .borrowers().getFirst().mapping());

            lab.report.equal("guest-reads-first-page", lab.ownerBytes(owner, first), lab.guestSees(borrower,
                    Regions.window(0)));
            lab.report.equal("guest-reads-last-page", lab.ownerBytes(owner, first + PAGES - 1),
                    lab.guestSees(borrower, Regions.window(PAGES - 1)));
            Peek.write(owner.domid(), first, "6c6976652d73686172696e67");   // "live-sharing": not a copy
            lab.report.equal("guest-sees-owner-change", lab.ownerBytes(owner, first), lab.guestSees(borrower,
                    Regions.window(0)));

            engine.detach(borrower.domid());
            lab.report.equal("first-page-unmapped", "ENOENT", lab.removePage(borrower, Regions.gfn(Regions.window(0))));
            lab.report.equal("last-page-unmapped", "ENOENT", lab.removePage(borrower, Regions.gfn(Regions.window(PAGES - 1))));
            lab.report.check("guest-faults-after-detach", lab.guestSees(borrower, Regions.window(0)).startsWith("fault"),
                    "the guest reads its window after the detach");
            lab.report.equal("borrower-destroyed", "gone", lab.destroy(borrower));
            engine.detach(owner.domid());
            lab.report.equal("owner-destroyed", "gone", lab.destroy(owner));
            lab.report.check("xenstore-clean", !XenstoreTree.exists("/libxl/static_shm")
                    && !XenstoreTree.exists(Lab.roleDirectory(owner)) && !XenstoreTree.exists(Lab.roleDirectory(borrower)),
                    XenstoreTree.below("/libxl/static_shm").toString());
        });
    }

    /** A target never changes: a second owner, in one attach or with a target set before, is refused. */
    static Scenario oneTargetForLife() {
        return Scenario.of("trusted-one-target", lab -> {
            Lab.Guest first = lab.create("t1-owner-a", 16);
            Lab.Guest second = lab.create("t1-owner-b", 16);
            Lab.Guest borrower = lab.create("t1-borrower", 16);
            StaticShmEngine engine = lab.engine(EngineSettings.defaults().withTrustedBorrowers());
            engine.attach(first.domid(), lab.specs(first, Regions.owner("ta", 4)));
            engine.attach(second.domid(), lab.specs(second, Regions.owner("tb", 4)));
            try {
                engine.attach(borrower.domid(), lab.specs(borrower, Regions.borrower("ta", 0, 4),
                        "id=tb, begin=0x" + Long.toHexString(Regions.window(16)) + ", size=0x4000, role=borrower"));
                lab.report.check("two-owners-refused", false, "the attach went through");
            } catch (RegionRefusedException e) {
                lab.report.equal("two-owners-refused", RegionRefusedException.Reason.TARGET_TAKEN, e.reason());
            }
            lab.report.equal("nothing-mapped", "ENOENT", lab.removePage(borrower, Regions.gfn(Regions.window(0))));
            lab.report.check("no-role-entry", !XenstoreTree.exists(Lab.roleDirectory(borrower)),
                    XenstoreTree.below(Lab.roleDirectory(borrower)).toString());

            Lab.Guest taken = lab.create("t1-taken", 16);
            lab.hypervisor().setTarget(taken.domid(), second.domid());   // as a device model setup would
            try {
                engine.attach(taken.domid(), lab.specs(taken, Regions.borrower("ta", 0, 4)));
                lab.report.check("target-taken-refused", false, "the attach went through");
            } catch (RegionRefusedException e) {
                lab.report.equal("target-taken-refused", RegionRefusedException.Reason.TARGET_TAKEN, e.reason());
            }
            lab.report.equal("taken-nothing-mapped", "ENOENT", lab.removePage(taken, Regions.gfn(Regions.window(0))));
            RegionStatus ta = engine.status().regions().stream().filter(r -> r.id().equals("ta")).findFirst()
                    .orElseThrow();
            lab.report.equal("no-borrower-recorded", 0, ta.borrowers().size());
        });
    }

    /**
     * A mapping left at the window by a toolstack that crashed before it recorded anything: the
     * attach clears the window before it maps, so the page is not mapped twice (stock Xen would
     * then keep a reference for good, and the owner would never go).
     */
    static Scenario leftoverMapping() {
        return Scenario.of("leftover-mapping", lab -> {
            Lab.Guest owner = lab.create("lo-owner", 16);
            Lab.Guest borrower = lab.create("lo-borrower", 16);
            long ownerFirst = Regions.gfn(Regions.OWNER_BASE);
            lab.stamp(owner, ownerFirst, PAGES);
            lab.hypervisor().setTarget(borrower.domid(), owner.domid());
            try (PageBatch batch = PageBatch.allocate(PAGES)) {
                batch.fillRange(ownerFirst, Regions.gfn(Regions.window(0)), PAGES);
                lab.hypervisor().addToPhysmapBatch(borrower.domid(), owner.domid(), MapSpace.GMFN_FOREIGN, batch);
                lab.report.equal("leftover-mapped", 0, batch.error(0));
            }
            StaticShmEngine engine = lab.engine(EngineSettings.defaults().withTrustedBorrowers());
            engine.attach(owner.domid(), lab.specs(owner, Regions.owner("leftover", PAGES)));
            engine.attach(borrower.domid(), lab.specs(borrower, Regions.borrower("leftover", 0, PAGES)));
            lab.report.equal("guest-reads", lab.ownerBytes(owner, ownerFirst), lab.guestSees(borrower, Regions.window(0)));
            engine.detach(borrower.domid());
            lab.report.equal("nothing-under-the-window", "ENOENT", lab.removePage(borrower, Regions.gfn(Regions.window(0))));
            lab.report.equal("borrower-destroyed", "gone", lab.destroy(borrower));
            engine.detach(owner.domid());
            lab.report.equal("owner-goes-no-zombie", "gone", lab.destroy(owner));
        });
    }
}
