package org.xensshm.xen;

/** What the hypervisor reports about one domain (a subset of xc_domaininfo_t). */
public record DomainInfo(int domid, int flags, long totalPages, long maxPages) {

    /** XEN_DOMINF_dying: the domain is being destroyed. */
    public boolean dying() {
        return (flags & 1) != 0;
    }

    /** XEN_DOMINF_shutdown: the domain has shut down. */
    public boolean shutdown() {
        return (flags & (1 << 2)) != 0;
    }
}
