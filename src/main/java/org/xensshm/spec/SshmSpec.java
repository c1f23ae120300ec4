package org.xensshm.spec;

import java.util.Objects;

/**
 * One validated static shared memory region as seen from one domain. All defaults are applied:
 * an owner has offset 0 and a cache policy; a borrower has a null cache policy. Addresses are
 * guest-physical byte addresses, page aligned; {@code end()} is exclusive.
 *
 * <p>Instances are produced by {@link SpecValidator}; the compact constructor only guards the
 * invariants every consumer relies on.
 */
public record SshmSpec(String id, Role role, long begin, long size, long offset, Prot prot,
                       CachePolicy cachePolicy) {

    public static final int PAGE_SHIFT = 12;
    public static final long PAGE_SIZE = 1L << PAGE_SHIFT;

    public SshmSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(prot, "prot");
        if (size <= 0 || begin < 0 || offset < 0 || begin + size < begin) {
            throw new IllegalArgumentException("region " + id + " has an invalid range");
        }
        if (role == Role.OWNER ? cachePolicy == null || offset != 0 : cachePolicy != null) {
            throw new IllegalArgumentException("region " + id + " mixes owner and borrower fields");
        }
    }

    public long end() {
        return begin + size;
    }

    public long firstGfn() {
        return begin >>> PAGE_SHIFT;
    }

    public long pageCount() {
        return size >>> PAGE_SHIFT;
    }

    public long offsetPages() {
        return offset >>> PAGE_SHIFT;
    }
}
