package org.xensshm.e2e.dom0;

import org.xensshm.engine.EngineSettings;
import org.xensshm.engine.RecordLayout;
import org.xensshm.engine.StaticShmEngine;
import org.xensshm.testkit.interop.CToolstack;

/**
 * A host shared with the vendor's C toolstack, on the real xenstored and hypervisor: the C
 * toolstack's steps ({@link CToolstack}) set up one side of each region, the engine the other,
 * and each guest reads its owner's bytes; the counts are checked after every step, as the C code
 * reads them.
 */
final class InteropScenario {

    private static final int PAGES = 8;

    private InteropScenario() {
    }

    static Scenario withTheVendorToolstack() {
        return Scenario.of("vendor-toolstack", lab -> {
            CToolstack vendor = new CToolstack(CToolstack.Words.VENDOR, lab.host.store(), lab.hypervisor());
            long base = Regions.gfn(Regions.OWNER_BASE);

            // Its owner, our borrower.
            Lab.Guest cOwner = lab.create("vt-c-owner", 16);
            Lab.Guest ourBorrower = lab.create("vt-our-borrower", 16);
            lab.stamp(cOwner, base, PAGES);
            vendor.addOwner(cOwner.domid(), "vendor_owned", Regions.OWNER_BASE, PAGES * Lab.PAGE);
            StaticShmEngine engine = lab.engine(EngineSettings.defaults());
            engine.attach(ourBorrower.domid(), lab.specs(ourBorrower, Regions.borrower("vendor_owned", 2, 4)));
            lab.report.equal("count-with-our-borrower", 2, vendor.read("vendor_owned").userCount());
            lab.report.equal("entry-in-its-layout", "0x4000", XenstoreTree.below("/libxl/static_shm/vendor_owned")
                    .get("/libxl/static_shm/vendor_owned/borrowers/" + ourBorrower.domid() + "/size"));
            lab.report.equal("our-borrower-reads", lab.ownerBytes(cOwner, base + 2),
                    lab.guestSees(ourBorrower, Regions.window(0)));
            engine.detach(ourBorrower.domid());
            lab.report.equal("count-after-our-detach", 1, vendor.read("vendor_owned").userCount());
            vendor.removeDomain(cOwner.domid());
            lab.report.check("record-gone-after-its-teardown", !XenstoreTree.exists("/libxl/static_shm/vendor_owned"),
                    XenstoreTree.below("/libxl/static_shm").toString());

            // Our owner, its borrower; our owner leaves first.
            Lab.Guest ourOwner = lab.create("vt-our-owner", 16);
            Lab.Guest cBorrower = lab.create("vt-c-borrower", 16);
            lab.stamp(ourOwner, base, PAGES);
            lab.engine(EngineSettings.defaults().withLayout(RecordLayout.OWNER_BORROWER))
                    .attach(ourOwner.domid(), lab.specs(ourOwner, Regions.owner("ours", PAGES)));
            CToolstack.Region read = vendor.read("ours");
            lab.report.equal("it-reads-our-owner", ourOwner.domid(), read.owner());
            vendor.addBorrower(cBorrower.domid(), "ours", Lab.WINDOW_BASE, PAGES * Lab.PAGE, 0);
            lab.report.equal("count-with-its-borrower", 2, vendor.read("ours").userCount());
            lab.report.equal("its-borrower-reads", lab.ownerBytes(ourOwner, base), lab.guestSees(cBorrower,
                    Regions.window(0)));
            engine.detach(ourOwner.domid());
            lab.report.equal("orphaned-count", 1, vendor.read("ours").userCount());
            lab.report.equal("its-borrower-reads-on", lab.ownerBytes(ourOwner, base), lab.guestSees(cBorrower,
                    Regions.window(0)));
            vendor.removeDomain(cBorrower.domid());
            lab.report.check("record-gone-after-its-borrower", !XenstoreTree.exists("/libxl/static_shm"),
                    XenstoreTree.below("/libxl/static_shm").toString());
            lab.report.equal("window-unmapped", "ENOENT", lab.removePage(cBorrower, Regions.gfn(Regions.window(0))));
        });
    }
}
