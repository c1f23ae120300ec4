package org.xensshm.testkit.testbed;

import org.xensshm.spec.SshmSpec;
import org.xensshm.testkit.DomainDirectories;
import org.xensshm.xen.XenStore;

/**
 * What a toolstack does around a guest on the test bed: the domain in the simulated hypervisor,
 * its xenstore directory, which the engine requires before it records anything there, and
 * xenstored told of it, which fires {@code @introduceDomain} for services that watch for domains.
 */
public final class GuestDomains {

    /**
     * What xl passes xenstored when it introduces a domain: the guest frame of the domain's
     * xenstore ring on Arm (GUEST_MAGIC_BASE + XENSTORE_PFN_OFFSET; xenstored 4.17 maps the
     * reserved grant instead) and the event channel the guest listens on (any port above 0 on the
     * test bed, where the daemon's end is faked).
     */
    private static final long RING_GFN = 0x39001;
    private static final int RING_PORT = 1;

    private GuestDomains() {
    }

    /**
     * Creates the domain (running, no RAM yet) and its directory {@code /local/domain/<domid>},
     * and introduces it to xenstored.
     *
     * @param domid the domain
     * @param hypervisor the simulated hypervisor
     * @param store the store
     */
    public static void create(SimulatedHypervisor hypervisor, XenStore store, int domid) {
        hypervisor.createDomain(domid);
        DomainDirectories.write(store, domid);
        introduce(store, domid);
    }

    /**
     * Builds a guest as {@code xl create} does: the domain, its RAM ({@code ramBytes} from guest
     * address 0), its directory and its {@code name}, then introduced to xenstored (which fires
     * {@code @introduceDomain}). With {@code paused} it stays paused, as {@code xl create -p}
     * leaves it; otherwise it runs already when it is introduced (xl unpauses it a moment after
     * the introduce, so a watcher may still catch it paused on a real host; here it never does).
     *
     * @param domid the domain
     * @param hypervisor the simulated hypervisor
     * @param name the domain's name
     * @param paused whether it stays paused, as after {@code xl create -p}
     * @param ramBytes its RAM, in bytes from guest address 0
     * @param store the store
     */
    public static void create(SimulatedHypervisor hypervisor, XenStore store, int domid, String name, long ramBytes,
                              boolean paused) {
        hypervisor.createDomain(domid);
        if (paused) {
            hypervisor.pauseDomain(domid);
        }
        hypervisor.populate(domid, 0, ramBytes >>> SshmSpec.PAGE_SHIFT);
        DomainDirectories.write(store, domid, name);
        introduce(store, domid);
    }

    /**
     * Introduces the domain to xenstored (XS_INTRODUCE), which fires {@code @introduceDomain}. A
     * domain xenstored still holds under this domid (the simulator was reset since, which
     * xenstored never hears of) is released first, or the daemon would take the introduce for a
     * reconnection and fire nothing.
     *
     * @param domid the domain
     * @param store the store
     */
    public static void introduce(XenStore store, int domid) {
        store.releaseDomain(domid);
        store.introduceDomain(domid, RING_GFN, RING_PORT);
    }

    /**
     * Tears the domain down as {@code xl destroy} does: its directory removed, then the domain
     * destroyed, which releases it from xenstored ({@code @releaseDomain}).
     *
     * @param domid the domain
     * @param hypervisor the simulated hypervisor
     * @param store the store
     */
    public static void destroy(SimulatedHypervisor hypervisor, XenStore store, int domid) {
        DomainDirectories.remove(store, domid);
        hypervisor.destroyDomain(domid);
    }
}
