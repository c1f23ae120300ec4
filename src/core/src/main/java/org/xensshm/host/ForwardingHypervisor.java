package org.xensshm.host;

import java.util.Objects;
import java.util.Optional;

import org.xensshm.spec.Platform;

/**
 * A hypervisor that passes every call on to another: a decorator overrides only the calls it
 * changes (counting, fault injection, ...) and stays complete when the seam grows.
 */
public abstract class ForwardingHypervisor implements Hypervisor {

    private final Hypervisor delegate;

    /**
     * Forwards every call to {@code delegate}.
     *
     * @param delegate the hypervisor that does the work
     */
    protected ForwardingHypervisor(Hypervisor delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    public Platform platform() {
        return delegate.platform();
    }

    @Override
    public HypervisorIdentity identity() {
        return delegate.identity();
    }

    @Override
    public Optional<DomainInfo> domainInfo(int domid) {
        return delegate.domainInfo(domid);
    }

    @Override
    public void addToPhysmapBatch(int domid, int sourceDomid, MapSpace space, PageBatch batch) {
        delegate.addToPhysmapBatch(domid, sourceDomid, space, batch);
    }

    @Override
    public void removeFromPhysmap(int domid, long gfn) {
        delegate.removeFromPhysmap(domid, gfn);
    }

    @Override
    public void removeFromPhysmapBatch(int domid, PageBatch batch) {
        delegate.removeFromPhysmapBatch(domid, batch);
    }

    @Override
    public void setTarget(int domid, int target) {
        delegate.setTarget(domid, target);
    }

    @Override
    public int createScratchDomain() {
        return delegate.createScratchDomain();
    }

    @Override
    public void populate(int domid, long firstGfn, long count) {
        delegate.populate(domid, firstGfn, count);
    }

    @Override
    public void destroyDomain(int domid) {
        delegate.destroyDomain(domid);
    }

    @Override
    public void unpause(int domid) {
        delegate.unpause(domid);
    }
}
