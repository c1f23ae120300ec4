package org.xensshm.testkit.testbed;

import org.xensshm.testkit.DomainDirectories;
import org.xensshm.xen.XenStore;

/**
 * What a toolstack does around a guest on the test bed: the domain in the simulated hypervisor
 * and its xenstore directory, which the engine requires before it records anything there.
 */
public final class GuestDomains {

    private GuestDomains() {
    }

    /**
     * Creates the domain (no RAM yet) and its directory {@code /local/domain/<domid>}.
     *
     * @param hypervisor the simulated hypervisor
     * @param store the bed's xenstore
     * @param domid the domain's id
     */
    public static void create(SimulatedHypervisor hypervisor, XenStore store, int domid) {
        hypervisor.createDomain(domid);
        DomainDirectories.write(store, domid);
    }

    /**
     * Destroys the domain and removes its directory, as a toolstack's teardown does.
     *
     * @param hypervisor the simulated hypervisor
     * @param store the bed's xenstore
     * @param domid the domain's id
     */
    public static void destroy(SimulatedHypervisor hypervisor, XenStore store, int domid) {
        hypervisor.destroyDomain(domid);
        DomainDirectories.remove(store, domid);
    }
}
