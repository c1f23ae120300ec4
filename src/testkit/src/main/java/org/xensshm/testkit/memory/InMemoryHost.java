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

    /**
     * A host over this hypervisor, with a fresh store holding dom0's directory.
     *
     * @param hypervisor the hypervisor
     */
    public InMemoryHost(InMemoryHypervisor hypervisor) {
        this.hypervisor = hypervisor;
        DomainDirectories.write(store, 0);
    }

    /**
     * The host's hypervisor, for creating domains and looking at their pages.
     *
     * @return the hypervisor
     */
    public InMemoryHypervisor hypervisor() {
        return hypervisor;
    }

    /**
     * The host's xenstore.
     *
     * @return the store
     */
    public InMemoryStore store() {
        return store;
    }

    /**
     * Creates an empty domain (no RAM yet) and its directory {@code /local/domain/<domid>}.
     *
     * @param domid the domain's id
     */
    public void createDomain(int domid) {
        hypervisor.createDomain(domid);
        DomainDirectories.write(store, domid);
    }

    /**
     * Creates a domain with {@code pages} pages of RAM from guest frame {@code firstGfn} on.
     *
     * @param domid the domain's id
     * @param firstGfn its first guest frame of RAM
     * @param pages how many pages of RAM
     */
    public void createDomain(int domid, long firstGfn, long pages) {
        createDomain(domid);
        hypervisor.populate(domid, firstGfn, pages);
    }

    /**
     * Destroys the domain and removes its directory, as a toolstack's teardown does.
     *
     * @param domid the domain's id
     */
    public void destroyDomain(int domid) {
        hypervisor.destroyDomain(domid);
        DomainDirectories.remove(store, domid);
    }
}
