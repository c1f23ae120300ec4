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
 *
 * @param id the region's id
 * @param role owner or borrower
 * @param begin the domain's first guest-physical address for the region
 * @param size in bytes
 * @param offset a borrower's start in the owner's region; 0 for an owner
 * @param prot what an owner grants, or what a borrower asks for
 * @param cachePolicy an owner's cache policy; null for a borrower
 */
public record SshmSpec(String id, Role role, long begin, long size, long offset, Prot prot,
                       CachePolicy cachePolicy) {

    public static final int PAGE_SHIFT = 12;
    public static final long PAGE_SIZE = 1L << PAGE_SHIFT;

    /** Checks the invariants: a valid, page-aligned range and the fields of its role. */
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

    /**
     * A draft builder with the id set: {@code SshmSpec.builder("ID1").role(Role.OWNER)...}.
     *
     * @param id the region's id
     * @return a draft builder
     */
    public static SpecDraft.Builder builder(String id) {
        return SpecDraft.builder().id(id);
    }

    /**
     * This spec as a draft again, so that a list of specs built in code can go through
     * {@link SpecValidator}'s domain-wide checks.
     *
     * @return the draft
     */
    public SpecDraft toDraft() {
        SpecDraft.Builder draft = builder(id).role(role).begin(begin).size(size).prot(prot);
        return (role == Role.OWNER ? draft.cachePolicy(cachePolicy) : draft.offset(offset)).build();
    }

    /**
     * The address past the region.
     *
     * @return {@code begin + size}
     */
    public long end() {
        return begin + size;
    }

    /**
     * The region's first guest frame.
     *
     * @return {@code begin} in pages
     */
    public long firstGfn() {
        return begin >>> PAGE_SHIFT;
    }

    /**
     * The region's length in pages.
     *
     * @return {@code size} in pages
     */
    public long pageCount() {
        return size >>> PAGE_SHIFT;
    }

    /**
     * A borrower's offset in pages.
     *
     * @return {@code offset} in pages
     */
    public long offsetPages() {
        return offset >>> PAGE_SHIFT;
    }

    /**
     * This domain's own frames for the region.
     *
     * @return the frames
     */
    public PageRange pages() {
        return new PageRange(firstGfn(), pageCount());
    }

    /**
     * For a borrower: the owner's frames it maps, {@code offset} pages into the owner's region, or
     * empty when they do not all lie within that region. Computed in 64 bits, unlike the seed,
     * which truncated page counts and offsets to 32-bit unsigned ints before comparing them.
     *
     * @param ownerRegion the owner's frames
     * @return the owner's frames this borrower maps, or empty
     */
    public Optional<PageRange> ownerPagesWithin(PageRange ownerRegion) {
        long skip = offsetPages();
        if (skip >= ownerRegion.count() || pageCount() > ownerRegion.count() - skip) {
            return Optional.empty();
        }
        return Optional.of(new PageRange(ownerRegion.first() + skip, pageCount()));
    }
}
