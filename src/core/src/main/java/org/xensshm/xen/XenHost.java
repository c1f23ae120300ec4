package org.xensshm.xen;

import java.time.Duration;

import org.xensshm.host.StoreUnreachableException;
import org.xensshm.host.XenCallException;

/**
 * The native host: a libxenctrl handle (the {@link org.xensshm.host.Hypervisor}) and a xenstored
 * connection (the {@link org.xensshm.host.Store}), opened together and closed together.
 *
 * <pre>{@code
 * if (XenHost.availability().available()) {
 *     try (XenHost host = XenHost.open()) {
 *         StaticShmEngine engine = new StaticShmEngine(host.hypervisor(), host.store());
 *         ...
 *     }
 * }
 * }</pre>
 */
public final class XenHost implements AutoCloseable {

    private final XenControl hypervisor;
    private final XenStore store;

    private XenHost(XenControl hypervisor, XenStore store) {
        this.hypervisor = hypervisor;
        this.store = store;
    }

    /**
     * Opens libxenctrl and connects to xenstored, whose requests wait at most
     * {@link XenStore#DEFAULT_DEADLINE}.
     *
     * @return the host; close it when done
     * @throws NativeAccessUnavailableException when the JVM or the host lacks what this needs,
     *                                          naming the JVM flag or the Debian package
     * @throws HypervisorUnreachableException   when the hypervisor interface cannot be opened
     * @throws StoreUnreachableException        when xenstored is not running
     * @throws XenCallException                 when xenstored refuses the connection otherwise
     */
    public static XenHost open() {
        return open(XenStore.DEFAULT_DEADLINE);
    }

    /**
     * As {@link #open()}, with xenstore requests that wait at most {@code storeDeadline} for
     * xenstored's answer before the connection is shut down (see {@link XenStore}).
     *
     * @param storeDeadline how long one xenstore request may wait
     * @return the host; close it when done
     */
    public static XenHost open(Duration storeDeadline) {
        XenControl hypervisor;
        try {
            hypervisor = XenControl.open();
        } catch (XenCallException e) {
            if (!"xc_interface_open".equals(e.call())) {
                throw e;
            }
            throw new HypervisorUnreachableException(e);
        }
        try {
            return new XenHost(hypervisor, XenStore.open(storeDeadline));
        } catch (RuntimeException e) {
            hypervisor.close();
            throw e;
        }
    }

    /**
     * Whether {@link #open()} works here, found by opening and closing the host once; never
     * throws. A toolstack can use it to choose between this host and an in-memory one.
     *
     * @return available, or why not
     */
    public static Availability availability() {
        try (XenHost host = open()) {
            return Availability.yes();
        } catch (NativeAccessUnavailableException | XenCallException e) {
            return Availability.no(e.getMessage());
        }
    }

    /**
     * The hypervisor.
     *
     * @return the libxenctrl handle
     */
    public XenControl hypervisor() {
        return hypervisor;
    }

    /**
     * The xenstore.
     *
     * @return the xenstored connection
     */
    public XenStore store() {
        return store;
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
