package org.xensshm.e2e.dom0;

import org.xensshm.engine.EngineSettings;
import org.xensshm.engine.HypervisorDefectException;
import org.xensshm.engine.MapSpaceRefusedException;
import org.xensshm.engine.SshmException;
import org.xensshm.engine.StaticShmEngine;
import org.xensshm.host.MapSpace;

/**
 * Attaches the engine must refuse on a hypervisor, leaving nothing behind: no page mapped in the
 * borrower, no trace of it in xenstore.
 */
final class RefusalScenarios {

    private static final int PAGES = 16;

    private RefusalScenarios() {
    }

    /** Stock Xen has no gmfn_share: the default attach fails with the map space named. */
    static Scenario shareMissing() {
        return refused("share-missing", EngineSettings.defaults(), MapSpaceRefusedException.class, "ENOSYS");
    }

    /** Stock Xen lets a domU map another's pages only as its device model. */
    static Scenario foreignUntrusted() {
        return refused("foreign-untrusted", EngineSettings.defaults().withMapSpace(MapSpace.GMFN_FOREIGN),
                MapSpaceRefusedException.class, "EPERM");
    }

    /** The series as shipped would free the owner's pages at the first detach: refused, named. */
    static Scenario shareWithoutReference() {
        return refused("share-without-reference", EngineSettings.defaults(), HypervisorDefectException.class,
                "reference");
    }

    private static Scenario refused(String name, EngineSettings settings, Class<? extends SshmException> expected,
                                    String named) {
        return Scenario.of(name, lab -> {
            String id = name.replace('-', '_');
            Lab.Guest owner = lab.create(name + "-o", 16);
            Lab.Guest borrower = lab.create(name + "-b", 16);
            StaticShmEngine engine = lab.engine(settings);
            engine.attach(owner.domid(), lab.specs(owner, Regions.owner(id, PAGES)));
            try {
                engine.attach(borrower.domid(), lab.specs(borrower, Regions.borrower(id, 0, PAGES)));
                lab.report.check("refused", false, "the attach went through");
            } catch (SshmException e) {
                lab.report.equal("error-type", expected.getSimpleName(), e.getClass().getSimpleName());
                lab.report.check("error-names-the-cause", e.getMessage().contains(named),
                        "want '" + named + "' in: " + e.getMessage());
            }
            lab.report.equal("first-page-not-mapped", "ENOENT", lab.removePage(borrower, Regions.gfn(Regions.window(0))));
            lab.report.equal("last-page-not-mapped", "ENOENT",
                    lab.removePage(borrower, Regions.gfn(Regions.window(PAGES - 1))));
            String record = "/libxl/static_shm/" + id;
            lab.report.check("no-borrower-entry", !XenstoreTree.exists(record + "/slaves/" + borrower.domid()),
                    XenstoreTree.below(record).toString());
            lab.report.equal("count-unchanged", "1", XenstoreTree.below(record).get(record + "/usercnt"));
            lab.report.check("no-role-entry", !XenstoreTree.exists(Lab.roleDirectory(borrower)),
                    XenstoreTree.below(Lab.roleDirectory(borrower)).toString());
            engine.detach(owner.domid());
            lab.report.check("no-record-after-owner-detach", !XenstoreTree.exists("/libxl/static_shm"),
                    XenstoreTree.below("/libxl/static_shm").toString());
        });
    }
}
