package org.xensshm.cli.command;

import java.util.function.LongConsumer;

import org.xensshm.host.ForwardingHypervisor;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.MapSpace;
import org.xensshm.host.PageBatch;

/**
 * Passes every call through and reports the pages of each mapping batch once the hypervisor has
 * handled it. The engine maps a borrower's region in batches, so this measures its progress
 * without the engine knowing about progress at all.
 */
final class CountingHypervisor extends ForwardingHypervisor {

    private final LongConsumer pagesHandled;

    CountingHypervisor(Hypervisor hypervisor, LongConsumer pagesHandled) {
        super(hypervisor);
        this.pagesHandled = pagesHandled;
    }

    @Override
    public void addToPhysmapBatch(int domid, int sourceDomid, MapSpace space, PageBatch batch) {
        try {
            super.addToPhysmapBatch(domid, sourceDomid, space, batch);
        } finally {
            pagesHandled.accept(batch.count());
        }
    }
}
