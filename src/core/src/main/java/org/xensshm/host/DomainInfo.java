package org.xensshm.host;

/**
 * What the hypervisor reports about one domain (a subset of xc_domaininfo_t).
 *
 * @param flags the XEN_DOMINF_* bits, e.g. dying or shut down
 */
public record DomainInfo(int domid, int flags, long totalPages, long maxPages) {
}
