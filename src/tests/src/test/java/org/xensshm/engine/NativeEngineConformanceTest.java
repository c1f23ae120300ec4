package org.xensshm.engine;

import org.xensshm.host.Hypervisor;
import org.xensshm.host.Store;
import org.xensshm.testkit.DomainDirectories;
import org.xensshm.testkit.junit.NativeTestBed;
import org.xensshm.testkit.testbed.GuestDomains;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.xen.XenControl;
import org.xensshm.xen.XenStore;

/**
 * The conformance suite over the native stack: the real libxenctrl 4.17 over the simulated
 * hypervisor and the real libxenstore talking to the test bed's C xenstored.
 */
@NativeTestBed
class NativeEngineConformanceTest extends EngineConformanceTest {

    @Override
    protected ConformanceHost newHost() {
        return new NativeHost(SimulatedHypervisor.preloaded());
    }

    /** The test bed set up the way {@link ConformanceHost} describes; the extension has reset it. */
    static final class NativeHost implements ConformanceHost {
        private final SimulatedHypervisor sim;
        private final XenControl hypervisor = XenControl.open();
        private final XenStore store = XenStore.open();
        private final XenStore admin = XenStore.open();

        NativeHost(SimulatedHypervisor sim) {
            this.sim = sim;
            DomainDirectories.write(admin, 0);
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
        public void personality(Personality personality) {
            sim.personality(SimulatedHypervisor.Personality.valueOf(personality.name()));
        }

        @Override
        public void createDomain(int domid) {
            GuestDomains.create(sim, admin, domid);
        }

        @Override
        public void destroyDomain(int domid) {
            GuestDomains.destroy(sim, admin, domid);
        }

        @Override
        public void populate(int domid, long firstGfn, long count) {
            sim.populate(domid, firstGfn, count);
        }

        @Override
        public void writeGuest(int domid, long address, byte[] bytes) {
            sim.write(domid, address, bytes);
        }

        @Override
        public byte[] readGuest(int domid, long address, int length) {
            return sim.read(domid, address, length);
        }

        @Override
        public long mappedPages(int domid) {
            return sim.mappedPages(domid);
        }

        @Override
        public long references(int domid, long gfn) {
            return sim.refCount(domid, gfn);
        }

        @Override
        public void close() {
            admin.close();
            store.close();
            hypervisor.close();
        }
    }
}
