package org.xensshm.engine;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

import org.xensshm.host.MapSpace;

/**
 * How {@link StaticShmEngine} talks to Xen.
 *
 * @param mapSpace               the XENMAPSPACE_* borrowers' pages are mapped with; the seed's
 *                               {@link MapSpace#GMFN_SHARE} by default
 * @param trustBorrowers         with {@link MapSpace#GMFN_FOREIGN}: make each owner its borrower's
 *                               target (XEN_DOMCTL_set_target), which stock Xen requires before it
 *                               maps one domU's pages into another. The price: the borrower becomes
 *                               a device model of the owner, with rights over <em>all</em> the
 *                               owner's memory, for the rest of the borrower's life (a target can
 *                               never be changed or cleared). Off by default
 * @param allowUnreferencedShare map with {@link MapSpace#GMFN_SHARE} even on a hypervisor whose
 *                               share mappings hold no reference on the owner's page (the static shm
 *                               series as its vendor ships it), where every detach or death of a
 *                               borrower frees pages the owner still uses. Only for hosts that never
 *                               detach or destroy a borrower; off by default
 * @param chunkPages             pages per XENMEM_add_to_physmap_batch call, 1..65535 (the ABI's
 *                               uint16 size); the off-heap batch is this big whatever the region size
 * @param transactionAttempts    how often a xenstore transaction is tried when commits conflict
 * @param retryBackoff           base pause between conflicting attempts; grows with each attempt
 *                               (randomised, so that competing toolstacks spread out); zero for none
 * @param layout                 the xenstore layout new regions are recorded in; empty: the one the
 *                               host's records already use, the seed's when there are none (or both).
 *                               A borrower's entry always follows the layout of its region
 */
public record EngineSettings(MapSpace mapSpace, boolean trustBorrowers, boolean allowUnreferencedShare,
                             int chunkPages, int transactionAttempts, Duration retryBackoff,
                             Optional<RecordLayout> layout) {

    /** The most entries one XENMEM_add_to_physmap_batch call takes. */
    public static final int MAX_CHUNK_PAGES = 0xFFFF;

    /**
     * Checks that the settings go together: trusting borrowers only with gmfn_foreign, chunk and
     * attempt counts in range, no negative backoff.
     */
    public EngineSettings {
        Objects.requireNonNull(mapSpace, "mapSpace");
        Objects.requireNonNull(retryBackoff, "retryBackoff");
        Objects.requireNonNull(layout, "layout");
        if (trustBorrowers && mapSpace != MapSpace.GMFN_FOREIGN) {
            throw new IllegalArgumentException("trusting borrowers goes with map space GMFN_FOREIGN, not " + mapSpace);
        }
        if (chunkPages < 1 || chunkPages > MAX_CHUNK_PAGES) {
            throw new IllegalArgumentException("chunkPages must be in 1.." + MAX_CHUNK_PAGES + ": " + chunkPages);
        }
        if (transactionAttempts < 1) {
            throw new IllegalArgumentException("transactionAttempts must be at least 1: " + transactionAttempts);
        }
        if (retryBackoff.isNegative()) {
            throw new IllegalArgumentException("retryBackoff must not be negative: " + retryBackoff);
        }
    }

    /**
     * gmfn_share on a hypervisor that keeps references, 65535-page chunks, 32 attempts, 1 ms base
     * backoff, new regions in the layout the host uses.
     *
     * @return the settings an engine gets unless told otherwise
     */
    public static EngineSettings defaults() {
        return new EngineSettings(MapSpace.GMFN_SHARE, false, false, MAX_CHUNK_PAGES, 32, Duration.ofMillis(1),
                Optional.empty());
    }

    /**
     * The same settings with another map space; trusting borrowers ends with gmfn_foreign.
     *
     * @param mapSpace the map space borrowed pages are mapped with
     * @return new settings
     */
    public EngineSettings withMapSpace(MapSpace mapSpace) {
        return new EngineSettings(mapSpace, trustBorrowers && mapSpace == MapSpace.GMFN_FOREIGN,
                allowUnreferencedShare, chunkPages, transactionAttempts, retryBackoff, layout);
    }

    /**
     * gmfn_foreign with every owner made its borrower's target: what stock Xen needs, at the price
     * {@link #trustBorrowers() described above}.
     *
     * @return new settings
     */
    public EngineSettings withTrustedBorrowers() {
        return new EngineSettings(MapSpace.GMFN_FOREIGN, true, allowUnreferencedShare, chunkPages,
                transactionAttempts, retryBackoff, layout);
    }

    /**
     * See {@link #allowUnreferencedShare()}: for hosts that never detach or destroy a borrower.
     *
     * @param allowed whether attach may go on on such a hypervisor
     * @return new settings
     */
    public EngineSettings withUnreferencedShareAllowed(boolean allowed) {
        return new EngineSettings(mapSpace, trustBorrowers, allowed, chunkPages, transactionAttempts, retryBackoff,
                layout);
    }

    /**
     * The same settings with another number of pages per hypercall (1 to {@link #MAX_CHUNK_PAGES}).
     *
     * @param chunkPages pages per XENMEM_add_to_physmap_batch call
     * @return new settings
     */
    public EngineSettings withChunkPages(int chunkPages) {
        return new EngineSettings(mapSpace, trustBorrowers, allowUnreferencedShare, chunkPages, transactionAttempts,
                retryBackoff, layout);
    }

    /**
     * The same settings with another number of attempts for a conflicting xenstore transaction.
     *
     * @param transactionAttempts at least 1
     * @return new settings
     */
    public EngineSettings withTransactionAttempts(int transactionAttempts) {
        return new EngineSettings(mapSpace, trustBorrowers, allowUnreferencedShare, chunkPages, transactionAttempts,
                retryBackoff, layout);
    }

    /**
     * The same settings with another base wait between transaction attempts.
     *
     * @param retryBackoff not negative
     * @return new settings
     */
    public EngineSettings withRetryBackoff(Duration retryBackoff) {
        return new EngineSettings(mapSpace, trustBorrowers, allowUnreferencedShare, chunkPages, transactionAttempts,
                retryBackoff, layout);
    }

    /**
     * The same settings, recording new regions in {@code layout}.
     *
     * @param layout the layout for new regions, whatever the host's records use
     * @return the settings with that layout
     */
    public EngineSettings withLayout(RecordLayout layout) {
        return new EngineSettings(mapSpace, trustBorrowers, allowUnreferencedShare, chunkPages, transactionAttempts,
                retryBackoff, Optional.of(layout));
    }
}
