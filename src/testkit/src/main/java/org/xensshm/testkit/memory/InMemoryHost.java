package org.xensshm.testkit.memory;

import org.xensshm.testkit.DomainDirectories;

/**
 * A whole host in memory: an {@link InMemoryHypervisor} and an {@link InMemoryStore}, with
 * domains made and destroyed the way a toolstack does it (the domain and its xenstore directory
 * together), so that an engine over {@link #hypervisor()} and {@link #store()} behaves as over Xen.
 */
public final class InMemoryHost {

    private final InMemoryHypervisor hypervisor;
    private final InMemoryStore store = new InMemoryStore();

    /** A host with the static shm series' hypervisor, on Arm, with dom0 only. */
    public InMemoryHost() {
        this(new InMemoryHypervisor());
    }

    public InMemoryHost(InMemoryHypervisor hypervisor) {
        this.hypervisor = hypervisor;
        DomainDirectories.write(store, 0);
    }

    public InMemoryHypervisor hypervisor() {
        return hypervisor;
    }

    public InMemoryStore store() {
        return store;
    }

    /** Creates an empty domain (no RAM yet) and its directory {@code /local/domain/<domid>}. */
    public void createDomain(int domid) {
        hypervisor.createDomain(domid);
        DomainDirectories.write(store, domid);
    }

    /** Creates a domain with {@code pages} pages of RAM from guest frame {@code firstGfn} on. */
    public void createDomain(int domid, long firstGfn, long pages) {
        createDomain(domid);
        hypervisor.populate(domid, firstGfn, pages);
    }

    /** Destroys the domain and removes its directory, as a toolstack's teardown does. */
    public void destroyDomain(int domid) {
        hypervisor.destroyDomain(domid);
        DomainDirectories.remove(store, domid);
    }
}
