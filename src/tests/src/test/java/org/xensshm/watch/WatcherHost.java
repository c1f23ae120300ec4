package org.xensshm.watch;

import org.xensshm.host.Hypervisor;
import org.xensshm.host.Store;
import org.xensshm.host.StoreWatches;

/**
 * A host for {@link WatcherScenariosTest}: the seams a watcher runs on, and what a toolstack does
 * with domains (build one as {@code xl create [-p]} does, which introduces it to xenstore, and
 * destroy one, which releases it). A fresh host has dom0 only and no region records.
 */
interface WatcherHost extends AutoCloseable {

    Hypervisor hypervisor();

    /** A dom0 connection, as the engine gets it in production. */
    Store store();

    /** A connection of its own for a watcher's watches; the test closes it. */
    StoreWatches openWatches();

    /**
     * Builds a domain named {@code name} with {@code ramPages} pages of RAM from gfn 0, its
     * xenstore directory and name, and introduces it; paused as {@code xl create -p} leaves it,
     * or already running.
     */
    void createGuest(int domid, String name, long ramPages, boolean paused);

    /** Tears the domain down as {@code xl destroy} does; xenstore releases it. */
    void destroyGuest(int domid);

    /** Whether the borrower's gfn maps the very page at the owner's gfn. */
    boolean samePage(int ownerDomid, long ownerGfn, int borrowerDomid, long borrowerGfn);

    @Override
    default void close() {
    }
}
