package org.xensshm.testbed;

import java.util.List;

import org.xensshm.xen.XenStore;
import org.xensshm.xen.XsPermission;

/**
 * What a toolstack does around a guest on the test bed: the domain in the simulated hypervisor
 * and its xenstore directory, which the engine requires before it records anything there.
 */
public final class GuestDomains {

    private GuestDomains() {
    }

    /** Creates the domain (no RAM yet) and its directory {@code /local/domain/<domid>}. */
    public static void create(SimulatedHypervisor hypervisor, XenStore store, int domid) {
        hypervisor.createDomain(domid);
        writeDirectory(store, domid);
    }

    /** Destroys the domain and removes its directory, as a toolstack's teardown does. */
    public static void destroy(SimulatedHypervisor hypervisor, XenStore store, int domid) {
        hypervisor.destroyDomain(domid);
        store.remove(XenStore.NO_TRANSACTION, store.domainPath(domid));
    }

    /**
     * Writes {@code /local/domain/<domid>} as xl does: owned by dom0, readable by the guest itself
     * (dom0's own directory is dom0's alone).
     */
    public static void writeDirectory(XenStore store, int domid) {
        String path = store.domainPath(domid);
        store.write(XenStore.NO_TRANSACTION, path, "");
        XsPermission dom0Only = new XsPermission(0, XsPermission.Access.NONE);
        store.setPermissions(XenStore.NO_TRANSACTION, path, domid == 0
                ? List.of(dom0Only) : List.of(dom0Only, new XsPermission(domid, XsPermission.Access.READ)));
    }
}
