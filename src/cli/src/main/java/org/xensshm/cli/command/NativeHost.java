package org.xensshm.cli.command;

import java.time.Duration;
import java.util.Optional;

import org.xensshm.engine.EngineSettings;
import org.xensshm.engine.StaticShmEngine;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.StoreUnreachableException;
import org.xensshm.xen.XenControl;
import org.xensshm.xen.XenHost;
import org.xensshm.xen.XenStore;

/**
 * The host the operational commands work on: libxenctrl and xenstored through the native
 * libraries (on a test bed, the launcher preloads the simulated hypervisor and points
 * XENSTORED_PATH at its daemon), with the domain names a person reads. Closing it closes both.
 */
final class NativeHost implements AutoCloseable {

    private final XenHost host;

    private NativeHost(XenHost host) {
        this.host = host;
    }

    /** With xenstore requests that wait at most the library's default deadline. */
    static NativeHost open() {
        return open(XenStore.DEFAULT_DEADLINE);
    }

    /**
     * Opens the host, or says what is unreachable and how to start it.
     *
     * @param storeDeadline how long one xenstored request may wait for its answer
     * @throws HostUnreachableException when there is no Xen and no test bed to use here
     */
    static NativeHost open(Duration storeDeadline) {
        HostDiagnosis.requireSomeXen();
        try {
            return new NativeHost(XenHost.open(storeDeadline));
        } catch (StoreUnreachableException e) {
            throw HostDiagnosis.testBedCause(e).<RuntimeException>map(cause -> cause).orElse(e);
        }
    }

    XenControl hypervisor() {
        return host.hypervisor();
    }

    /** An engine for everything but mapping pages, where the map space does not matter. */
    StaticShmEngine engine() {
        return new StaticShmEngine(host.hypervisor(), host.store());
    }

    /** An engine that calls Xen through {@code seam}, a wrapper around {@link #hypervisor()}. */
    StaticShmEngine engine(Hypervisor seam, EngineSettings settings) {
        return new StaticShmEngine(seam, host.store(), settings);
    }

    XenHost host() {
        return host;
    }

    /** The name xl gave the domain ({@code /local/domain/<domid>/name}), if any. */
    Optional<String> domainName(int domid) {
        String path = host.store().domainPath(domid) + "/name";
        return host.store().inTransaction(1, tx -> tx.read(path));
    }

    /** {@code 2 (vm2)}, or just the domid for a domain without a name. */
    String label(int domid) {
        return domid + domainName(domid).map(name -> " (" + name + ")").orElse("");
    }

    @Override
    public void close() {
        host.close();
    }
}
