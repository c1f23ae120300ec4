package org.xensshm.engine;

import java.io.Serial;

import org.xensshm.host.HypervisorIdentity;

/**
 * The hypervisor would corrupt a domain if the engine went on: its XENMAPSPACE_gmfn_share mappings
 * hold no reference on the owner's page (the static shm series as its vendor ships it), as
 * {@link HypervisorSelfTest} found. Nothing was changed.
 */
public final class HypervisorDefectException extends SshmException {

    @Serial
    private static final long serialVersionUID = 1L;

    private final transient HypervisorIdentity hypervisor;

    HypervisorDefectException(int domid, String regionId, HypervisorIdentity hypervisor) {
        super(domid, regionId, "refused to share pages with XENMAPSPACE_gmfn_share on " + hypervisor
                + ": its share mappings hold no reference on the owner's page, yet removing one drops a "
                + "reference, so every detach or death of a borrower would free pages the owner still uses "
                + "(its memory handed to whoever Xen gives those pages next; a hypervisor panic if the owner "
                + "goes first). Ways out: a hypervisor whose gmfn_share keeps the page reference as "
                + "gmfn_foreign does; or map space gmfn_foreign with trusted borrowers; or, on a host that "
                + "never detaches or destroys a borrower, allow it explicitly (allowUnreferencedShare, "
                + "--allow-unreferenced-share)", null);
        this.hypervisor = hypervisor;
    }

    /**
     * The hypervisor with the defect.
     *
     * @return the hypervisor the defect was found on
     */
    public HypervisorIdentity hypervisor() {
        return hypervisor;
    }
}
