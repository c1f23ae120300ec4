package org.xensshm.cli;

import java.util.function.LongConsumer;

import org.xensshm.engine.Hypervisor;
import org.xensshm.spec.Platform;
import org.xensshm.xen.MapSpace;
import org.xensshm.xen.PageBatch;

/**
 * Passes every call through and reports the pages of each mapping batch once the hypervisor has
 * handled it. The engine maps a borrower's region in batches, so this measures its progress
 * without the engine knowing about progress at all.
 */
record CountingHypervisor(Hypervisor hypervisor, LongConsumer pagesHandled) implements Hypervisor {

    @Override
    public Platform platform() {
        return hypervisor.platform();
    }

    @Override
    public boolean domainExists(int domid) {
        return hypervisor.domainExists(domid);
    }

    @Override
    public void addToPhysmapBatch(int domid, int sourceDomid, MapSpace space, PageBatch batch) {
        try {
            hypervisor.addToPhysmapBatch(domid, sourceDomid, space, batch);
        } finally {
            pagesHandled.accept(batch.count());
        }
    }

    @Override
    public void removeFromPhysmap(int domid, long gfn) {
        hypervisor.removeFromPhysmap(domid, gfn);
    }
}
