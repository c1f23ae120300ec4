package org.xensshm.spec;

import java.util.Objects;
import java.util.Optional;

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
        if (size <= 0 || begin < 0 || offset < 0 || begin > Long.MAX_VALUE - size
                || offset > Long.MAX_VALUE - size) {
            throw new IllegalArgumentException("region " + id + " has an invalid range");
        }
        if (((begin | size | offset) & (PAGE_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("region " + id + " is not page aligned");
        }
        if (role == Role.OWNER ? cachePolicy == null || offset != 0 : cachePolicy != null) {
            throw new IllegalArgumentException("region " + id + " mixes owner and borrower fields");
        }
    }

    /** A draft builder with the id set: {@code SshmSpec.builder("ID1").role(Role.OWNER)...}. */
    public static SpecDraft.Builder builder(String id) {
        return SpecDraft.builder().id(id);
    }

    /**
     * This spec as a draft again, so that a list of specs built in code can go through
     * {@link SpecValidator}'s domain-wide checks.
     */
    public SpecDraft toDraft() {
        SpecDraft.Builder draft = builder(id).role(role).begin(begin).size(size).prot(prot);
        return (role == Role.OWNER ? draft.cachePolicy(cachePolicy) : draft.offset(offset)).build();
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

    /** This domain's own frames for the region. */
    public PageRange pages() {
        return new PageRange(firstGfn(), pageCount());
    }

    /**
     * For a borrower: the owner's frames it maps, {@code offset} pages into the owner's region, or
     * empty when they do not all lie within that region. Computed in 64 bits, unlike the seed,
     * which truncated page counts and offsets to 32-bit unsigned ints before comparing them.
     */
    public Optional<PageRange> ownerPagesWithin(PageRange ownerRegion) {
        long skip = offsetPages();
        if (skip >= ownerRegion.count() || pageCount() > ownerRegion.count() - skip) {
            return Optional.empty();
        }
        return Optional.of(new PageRange(ownerRegion.first() + skip, pageCount()));
    }
}
