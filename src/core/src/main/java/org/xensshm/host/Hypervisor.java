package org.xensshm.host;

import java.util.Optional;

import org.xensshm.spec.Platform;

/**
 * The engine's view of the hypervisor: the calls static shared memory needs. Implemented over
 * libxenctrl and in memory; both report failures as {@link XenCallException} with Xen's errno.
 */
public interface Hypervisor {

    /**
     * The host platform, from the hypervisor's capabilities (not the JVM's os.arch).
     *
     * @return the platform
     */
    Platform platform();

    /**
     * Which hypervisor this is: version, changeset, build id.
     *
     * @return its identity
     */
    HypervisorIdentity identity();

    /**
     * What the hypervisor reports about the domain with exactly this id, or empty when there is
     * none. A destroyed domain whose pages are still referenced elsewhere is reported, dying.
     *
     * @param domid the domain's id
     * @return what is known of it, or empty
     */
    Optional<DomainInfo> domainInfo(int domid);

    /**
     * Maps {@code batch.count()} pages of {@code sourceDomid} into {@code domid}: entry i maps
     * source page {@code batch.sourcePage(i)} at {@code batch.targetPage(i)}. Per-page results go
     * to {@code batch.error(i)}: 0, a negative errno, or {@link PageBatch#NOT_ATTEMPTED} for
     * entries never reached because a whole call failed, in which case this throws after filling
     * in what was done.
     *
     * @param domid the receiving domain
     * @param sourceDomid the domain whose pages are mapped
     * @param space how they are mapped
     * @param batch the pages, and where their results go
     * @throws XenCallException when a hypercall fails as a whole (e.g. ESRCH for a missing domain)
     */
    void addToPhysmapBatch(int domid, int sourceDomid, MapSpace space, PageBatch batch);

    /**
     * Removes the page at {@code gfn} from {@code domid}'s physmap.
     *
     * @param domid the domain
     * @param gfn the guest frame to remove
     * @throws XenCallException with Xen's errno when the page cannot be removed
     */
    void removeFromPhysmap(int domid, long gfn);

    /**
     * Removes the pages at {@code batch.targetPage(i)} from {@code domid}'s physmap in as few
     * hypercalls as the hypervisor allows (a multicall of removals), each with its own result in
     * {@code batch.error(i)}: 0, or the negative errno that {@link #removeFromPhysmap} would have
     * thrown. A failed entry does not stop the others.
     *
     * @param domid the domain
     * @param batch the guest frames to remove, and where their results go
     * @throws XenCallException when the hypervisor refuses the batched call as a whole; entries
     *                          without a result are then {@link PageBatch#NOT_ATTEMPTED}
     */
    void removeFromPhysmapBatch(int domid, PageBatch batch);

    /**
     * Makes {@code target} the target of {@code domid} (XEN_DOMCTL_set_target): {@code domid}
     * becomes a device model of {@code target}, with rights over all its memory, for the rest of
     * its life. Xen refuses with EINVAL when {@code domid} already has a target.
     *
     * @param domid the domain that gets the rights
     * @param target the domain it gets rights over
     */
    void setTarget(int domid, int target);

    /**
     * Creates an empty domain that never runs (no vcpu is started, no RAM): a scratch domain for
     * probing the hypervisor. Returns the domid the hypervisor chose.
     *
     * @return the new domain's id
     */
    int createScratchDomain();

    /**
     * Gives a domain fresh RAM at guest frames {@code [firstGfn, firstGfn + count)}.
     *
     * @param domid the domain
     * @param firstGfn the first guest frame
     * @param count how many frames
     */
    void populate(int domid, long firstGfn, long count);

    /**
     * Destroys a domain (it may stay dying while its pages are referenced elsewhere).
     *
     * @param domid the domain
     */
    void destroyDomain(int domid);

    /**
     * Lets a domain the toolstack paused run (XEN_DOMCTL_unpausedomain), as {@code xl unpause}
     * does for a domain created with {@code xl create -p}. Xen counts pauses: one unpause undoes
     * one pause, and it refuses with EINVAL when the domain is not paused by the toolstack.
     *
     * @param domid the domain
     */
    void unpause(int domid);
}
