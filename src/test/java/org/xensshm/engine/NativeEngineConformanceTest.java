package org.xensshm.engine;

import java.util.List;

import org.xensshm.backend.xen.XenHypervisor;
import org.xensshm.backend.xen.XenStoreBackend;
import org.xensshm.testbed.NativeTestBed;
import org.xensshm.testbed.SimulatedHypervisor;
import org.xensshm.xen.XenStore;
import org.xensshm.xen.XsPermission;

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
        private final XenHypervisor hypervisor = XenHypervisor.open();
        private final XenStoreBackend store = XenStoreBackend.open();
        private final XenStore admin = XenStore.open();

        NativeHost(SimulatedHypervisor sim) {
            this.sim = sim;
            directory(0);
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
            sim.patched(personality == Personality.PATCHED);
        }

        @Override
        public void createDomain(int domid) {
            sim.createDomain(domid);
            directory(domid);
        }

        private void directory(int domid) {
            String path = admin.domainPath(domid);
            admin.write(XenStore.NO_TRANSACTION, path, "");
            admin.setPermissions(XenStore.NO_TRANSACTION, path, domid == 0
                    ? List.of(new XsPermission(0, XsPermission.Access.NONE))
                    : List.of(new XsPermission(0, XsPermission.Access.NONE),
                            new XsPermission(domid, XsPermission.Access.READ)));
        }

        @Override
        public void destroyDomain(int domid) {
            sim.destroyDomain(domid);
            admin.remove(XenStore.NO_TRANSACTION, admin.domainPath(domid));
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
        public void close() {
            admin.close();
            store.close();
            hypervisor.close();
        }
    }
}
