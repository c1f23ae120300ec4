package org.xensshm.host;

import org.xensshm.spec.Platform;

/**
 * The engine's view of the hypervisor: the few calls static shared memory needs. Implemented over
 * libxenctrl and in memory; both report failures as {@link XenCallException} with Xen's errno.
 */
public interface Hypervisor {

    /** The host platform, from the hypervisor's capabilities (not the JVM's os.arch). */
    Platform platform();

    /** Whether a domain with exactly this id exists. */
    boolean domainExists(int domid);

    /**
     * Maps {@code batch.count()} pages of {@code sourceDomid} into {@code domid}: entry i maps
     * source page {@code batch.sourcePage(i)} at {@code batch.targetPage(i)}. Per-page results go
     * to {@code batch.error(i)}: 0, a negative errno, or {@link PageBatch#NOT_ATTEMPTED} for
     * entries never reached because a whole call failed, in which case this throws after filling
     * in what was done.
     *
     * @throws XenCallException when a hypercall fails as a whole (e.g. ESRCH for a missing domain)
     */
    void addToPhysmapBatch(int domid, int sourceDomid, MapSpace space, PageBatch batch);

    /**
     * Removes the page at {@code gfn} from {@code domid}'s physmap.
     *
     * @throws XenCallException with Xen's errno when the page cannot be removed
     */
    void removeFromPhysmap(int domid, long gfn);
}
