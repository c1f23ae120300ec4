package org.xensshm.cli.command;

import java.util.function.LongConsumer;

import org.xensshm.host.ForwardingHypervisor;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.MapSpace;
import org.xensshm.host.PageBatch;

/**
 * Passes every call through and reports the pages of each batch mapped into one domain once the
 * hypervisor has handled it. The engine maps a borrower's region in batches, so this measures its
 * progress without the engine knowing about progress at all; batches into other domains (a
 * hypervisor self-test's scratch domains) do not count.
 */
final class CountingHypervisor extends ForwardingHypervisor {

    private final int domid;
    private final LongConsumer pagesHandled;

    CountingHypervisor(Hypervisor hypervisor, int domid, LongConsumer pagesHandled) {
        super(hypervisor);
        this.domid = domid;
        this.pagesHandled = pagesHandled;
    }

    @Override
    public void addToPhysmapBatch(int target, int sourceDomid, MapSpace space, PageBatch batch) {
        try {
            super.addToPhysmapBatch(target, sourceDomid, space, batch);
        } finally {
            if (target == domid) {
                pagesHandled.accept(batch.count());
            }
        }
    }
}
