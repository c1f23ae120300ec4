package org.xensshm.host;

import java.util.Objects;

import org.xensshm.spec.Platform;

/**
 * A hypervisor that passes every call on to another: a decorator overrides only the calls it
 * changes (counting, fault injection, ...) and stays complete when the seam grows.
 */
public abstract class ForwardingHypervisor implements Hypervisor {

    private final Hypervisor delegate;

    protected ForwardingHypervisor(Hypervisor delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    public Platform platform() {
        return delegate.platform();
    }

    @Override
    public boolean domainExists(int domid) {
        return delegate.domainExists(domid);
    }

    @Override
    public void addToPhysmapBatch(int domid, int sourceDomid, MapSpace space, PageBatch batch) {
        delegate.addToPhysmapBatch(domid, sourceDomid, space, batch);
    }

    @Override
    public void removeFromPhysmap(int domid, long gfn) {
        delegate.removeFromPhysmap(domid, gfn);
    }
}
