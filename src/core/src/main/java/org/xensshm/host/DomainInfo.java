package org.xensshm.host;

import java.util.Objects;
import java.util.UUID;

/**
 * What the hypervisor reports about one domain (a subset of xc_domaininfo_t).
 *
 * @param flags      the XEN_DOMINF_* bits
 * @param totalPages pages the domain owns, its RAM and pages it still holds for others
 * @param handle     the toolstack's UUID for the domain: it tells a domain from a later one that
 *                   got the same domid
 * @param maxPages the most pages it may own
 * @param domid the domain's id
 */
public record DomainInfo(int domid, int flags, long totalPages, long maxPages, UUID handle) {

    /** XEN_DOMINF_dying: destroyed, held only by references to its pages or to it. */
    public static final int DYING = 1;
    /** XEN_DOMINF_shutdown: the guest has shut down; the toolstack has yet to destroy it. */
    public static final int SHUTDOWN = 1 << 2;
    /** XEN_DOMINF_paused. */
    public static final int PAUSED = 1 << 3;

    /** Checks that the handle is given. */
    public DomainInfo {
        Objects.requireNonNull(handle, "handle");
    }

    /**
     * Whether the domain is dying.
     *
     * @return true when destroyed but still referenced
     */
    public boolean dying() {
        return (flags & DYING) != 0;
    }

    /**
     * Whether the guest has shut down.
     *
     * @return true when it waits to be destroyed
     */
    public boolean shutdown() {
        return (flags & SHUTDOWN) != 0;
    }

    /**
     * Paused by the toolstack, e.g. created with {@code xl create -p} and not unpaused yet.
     *
     * @return true when paused
     */
    public boolean paused() {
        return (flags & PAUSED) != 0;
    }

    /**
     * Neither dying nor shut down: a domain that can take part in new sharing.
     *
     * @return true when it can take part in new sharing
     */
    public boolean alive() {
        return !dying() && !shutdown();
    }
}
