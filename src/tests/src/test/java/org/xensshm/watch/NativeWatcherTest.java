package org.xensshm.watch;

import org.xensshm.host.Hypervisor;
import org.xensshm.host.Store;
import org.xensshm.host.StoreWatches;
import org.xensshm.spec.SshmSpec;
import org.xensshm.testkit.junit.NativeTestBed;
import org.xensshm.testkit.testbed.GuestDomains;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.xen.XenControl;
import org.xensshm.xen.XenStore;

/**
 * The watcher's scenarios over the native stack: the real libxenctrl over the simulated
 * hypervisor, the real libxenstore and the test bed's C xenstored, which fires
 * {@code @introduceDomain} and {@code @releaseDomain} as the test builds and destroys domains.
 */
@NativeTestBed
class NativeWatcherTest extends WatcherScenariosTest {

    @Override
    WatcherHost newHost() {
        return new NativeHost(SimulatedHypervisor.preloaded());
    }

    /** The test bed, reset by the extension; separate connections for the engine, the watches and the toolstack. */
    private static final class NativeHost implements WatcherHost {
        private final SimulatedHypervisor sim;
        private final XenControl hypervisor = XenControl.open();
        private final XenStore store = XenStore.open();
        private final XenStore toolstack = XenStore.open();

        NativeHost(SimulatedHypervisor sim) {
            this.sim = sim;
        }

        @Override
        public Hypervisor hypervisor() {
            return hypervisor;
        }

        @Override
        public Store store() {
            return store;
        }

        @Override
        public StoreWatches openWatches() {
            return XenStore.open();
        }

        @Override
        public void createGuest(int domid, String name, long ramPages, boolean paused) {
            GuestDomains.create(sim, toolstack, domid, name, ramPages << SshmSpec.PAGE_SHIFT, paused);
        }

        @Override
        public void destroyGuest(int domid) {
            GuestDomains.destroy(sim, toolstack, domid);
        }

        @Override
        public boolean samePage(int ownerDomid, long ownerGfn, int borrowerDomid, long borrowerGfn) {
            return sim.frameOf(ownerDomid, ownerGfn).isPresent()
                    && sim.frameOf(ownerDomid, ownerGfn).equals(sim.frameOf(borrowerDomid, borrowerGfn));
        }

        @Override
        public void close() {
            toolstack.close();
            store.close();
            hypervisor.close();
        }
    }
}
