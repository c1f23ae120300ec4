package org.xensshm.engine;

import org.xensshm.host.Hypervisor;
import org.xensshm.host.Store;

/**
 * A backend pair for {@link EngineConformanceTest}: the two seams the engine runs on, plus the few
 * set-up and inspection calls a test needs that are not part of the seams. One host per test; the
 * suite closes it after the test.
 *
 * <p>A fresh host has dom0 only, with its xenstore directory {@code /local/domain/0}, and no other
 * region records. The suite uses domids 1-4, 10, 11-18 and 0x7FEF (at most 12 domains at a time),
 * gfns below 2^28, and regions of up to 200000 pages.
 */
public interface ConformanceHost extends AutoCloseable {

    /** Which Xen the hypervisor behaves like (see {@code InMemoryHypervisor.Personality}). */
    enum Personality {
        /** Xen 4.17 as released: XENMAPSPACE_gmfn_share fails with ENOSYS for every page. */
        STOCK,
        /** The static shm series as shipped: gmfn_share mappings hold no reference on the owner's page. */
        SERIES,
        /** The series with the reference kept: gmfn_share behaves like gmfn_foreign. */
        SERIES_FIXED
    }

    /** The hypervisor seam, as the engine would get it in production. */
    Hypervisor hypervisor();

    /** The store seam, a dom0 connection, as the engine would get it in production. */
    Store store();

    /** Switches the hypervisor's personality; a fresh host is {@link Personality#SERIES_FIXED}. */
    void personality(Personality personality);

    /**
     * Creates an empty domain (no RAM) and, as a toolstack does, its xenstore directory
     * {@code /local/domain/<domid>} with value "" and permissions {@code [n0, r<domid>]}.
     */
    void createDomain(int domid);

    /** Destroys the domain and removes its xenstore directory, as a toolstack does. */
    void destroyDomain(int domid);

    /** Gives the domain fresh zeroed RAM at gfns [firstGfn, firstGfn + count). */
    void populate(int domid, long firstGfn, long count);

    /** Writes guest memory at a guest-physical address, through the domain's p2m. */
    void writeGuest(int domid, long address, byte[] bytes);

    /** Reads guest memory at a guest-physical address, through the domain's p2m. */
    byte[] readGuest(int domid, long address, int length);

    /** Gfns mapped in the domain: its own RAM plus pages of other domains. */
    long mappedPages(int domid);

    /** References held on the page at the domain's gfn: its owner's and its mappings'. */
    long references(int domid, long gfn);

    /** Releases what the host holds (processes, files); the default does nothing. */
    @Override
    default void close() {
    }
}
