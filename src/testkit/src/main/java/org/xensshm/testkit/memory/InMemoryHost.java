package org.xensshm.testkit.memory;

import org.xensshm.testkit.DomainDirectories;

/**
 * A whole host in memory: an {@link InMemoryHypervisor} and an {@link InMemoryStore}, with
 * domains made and destroyed the way a toolstack does it (the domain, its xenstore directory, and
 * the store told of it, which fires {@code @introduceDomain} and {@code @releaseDomain}), so that
 * an engine or a watcher over {@link #hypervisor()} and {@link #store()} behaves as over Xen.
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
     * Creates an empty running domain (no RAM yet) and its directory
     * {@code /local/domain/<domid>}, and introduces it to the store.
     *
     * @param domid the domain
     */
    public void createDomain(int domid) {
        hypervisor.createDomain(domid);
        DomainDirectories.write(store, domid);
        store.introduceDomain(domid);
    }

    /**
     * Creates a running domain with {@code pages} pages of RAM from guest frame {@code firstGfn} on.
     *
     * @param domid the domain
     * @param firstGfn its first guest frame of RAM
     * @param pages how many pages of RAM
     */
    public void createDomain(int domid, long firstGfn, long pages) {
        hypervisor.createDomain(domid);
        hypervisor.populate(domid, firstGfn, pages);
        DomainDirectories.write(store, domid);
        store.introduceDomain(domid);
    }

    /**
     * Builds a domain as {@code xl create} does: the domain, its RAM from guest frame
     * {@code firstGfn} on, its directory and its {@code name}, then introduced to the store, which
     * fires {@code @introduceDomain}. With {@code paused} it stays paused, as {@code xl create -p}
     * leaves it; otherwise it runs already when it is introduced.
     *
     * @param domid the domain
     * @param firstGfn its first guest frame of RAM
     * @param name the domain's name
     * @param pages how many pages of RAM
     * @param paused whether it stays paused, as after {@code xl create -p}
     */
    public void createGuest(int domid, String name, long firstGfn, long pages, boolean paused) {
        hypervisor.createDomain(domid);
        if (paused) {
            hypervisor.pause(domid);
        }
        hypervisor.populate(domid, firstGfn, pages);
        DomainDirectories.write(store, domid, name);
        store.introduceDomain(domid);
    }

    /**
     * Tears the domain down as {@code xl destroy} does: its directory removed, the domain
     * destroyed, and released from the store, which fires {@code @releaseDomain}.
     *
     * @param domid the domain
     */
    public void destroyDomain(int domid) {
        DomainDirectories.remove(store, domid);
        hypervisor.destroyDomain(domid);
        store.releaseDomain(domid);
    }
}
