package org.xensshm.cli;

import java.util.Optional;

import org.xensshm.backend.xen.XenHypervisor;
import org.xensshm.backend.xen.XenStoreBackend;
import org.xensshm.engine.EngineSettings;
import org.xensshm.engine.Hypervisor;
import org.xensshm.engine.StaticShmEngine;
import org.xensshm.xen.MapSpace;

/**
 * The host the operational commands work on: libxenctrl and xenstored through the native
 * libraries (on a test bed, the launcher preloads the simulated hypervisor and points
 * XENSTORED_PATH at its daemon). Closing it closes both handles.
 */
final class NativeHost implements AutoCloseable {

    private final XenHypervisor hypervisor;
    private final XenStoreBackend store;

    private NativeHost(XenHypervisor hypervisor, XenStoreBackend store) {
        this.hypervisor = hypervisor;
        this.store = store;
    }

    static NativeHost open() {
        XenHypervisor hypervisor = XenHypervisor.open();
        try {
            return new NativeHost(hypervisor, XenStoreBackend.open());
        } catch (RuntimeException e) {
            hypervisor.close();
            throw e;
        }
    }

    XenHypervisor hypervisor() {
        return hypervisor;
    }

    /** An engine for everything but mapping pages, where the map space does not matter. */
    StaticShmEngine engine() {
        return new StaticShmEngine(hypervisor, store);
    }

    /** An engine that calls Xen through {@code seam}, a wrapper around {@link #hypervisor()}. */
    StaticShmEngine engine(Hypervisor seam, MapSpace space) {
        return new StaticShmEngine(seam, store, EngineSettings.defaults().withMapSpace(space));
    }

    /** The name xl gave the domain ({@code /local/domain/<domid>/name}), if any. */
    Optional<String> domainName(int domid) {
        String path = store.domainPath(domid) + "/name";
        return store.inTransaction(1, tx -> tx.read(path));
    }

    /** {@code 2 (vm2)}, or just the domid for a domain without a name. */
    String label(int domid) {
        return domid + domainName(domid).map(name -> " (" + name + ")").orElse("");
    }

    @Override
    public void close() {
        try {
            store.close();
        } finally {
            hypervisor.close();
        }
    }
}
