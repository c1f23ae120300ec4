package org.xensshm.engine;

import java.time.Duration;
import java.util.Objects;

import org.xensshm.host.MapSpace;

/**
 * How {@link StaticShmEngine} talks to Xen.
 *
 * @param mapSpace            the XENMAPSPACE_* borrowers' pages are mapped with; the seed's
 *                            {@link MapSpace#GMFN_SHARE} by default
 * @param chunkPages          pages per XENMEM_add_to_physmap_batch call, 1..65535 (the ABI's
 *                            uint16 size); the off-heap batch is this big whatever the region size
 * @param transactionAttempts how often a xenstore transaction is tried when commits conflict
 * @param retryBackoff        base pause between conflicting attempts; grows with each attempt
 *                            (randomised, so that competing toolstacks spread out); zero for none
 */
public record EngineSettings(MapSpace mapSpace, int chunkPages, int transactionAttempts, Duration retryBackoff) {

    /** The most entries one XENMEM_add_to_physmap_batch call takes. */
    public static final int MAX_CHUNK_PAGES = 0xFFFF;

    public EngineSettings {
        Objects.requireNonNull(mapSpace, "mapSpace");
        Objects.requireNonNull(retryBackoff, "retryBackoff");
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

    /** gmfn_share, 65535-page chunks, 32 attempts, 1 ms base backoff. */
    public static EngineSettings defaults() {
        return new EngineSettings(MapSpace.GMFN_SHARE, MAX_CHUNK_PAGES, 32, Duration.ofMillis(1));
    }

    public EngineSettings withMapSpace(MapSpace mapSpace) {
        return new EngineSettings(mapSpace, chunkPages, transactionAttempts, retryBackoff);
    }

    public EngineSettings withChunkPages(int chunkPages) {
        return new EngineSettings(mapSpace, chunkPages, transactionAttempts, retryBackoff);
    }

    public EngineSettings withTransactionAttempts(int transactionAttempts) {
        return new EngineSettings(mapSpace, chunkPages, transactionAttempts, retryBackoff);
    }

    public EngineSettings withRetryBackoff(Duration retryBackoff) {
        return new EngineSettings(mapSpace, chunkPages, transactionAttempts, retryBackoff);
    }
}
