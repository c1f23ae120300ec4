package org.xensshm.host;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The three parallel arrays of a physmap batch, off-heap, in the layout libxenctrl takes them:
 * {@code idxs} (xen_ulong_t: page numbers in the source domain), {@code gpfns} (xen_pfn_t: page
 * numbers in the receiving domain) and {@code errs} (int: per-page result, 0 or a negative errno).
 * The segments go to the C library as they are, so filling a batch is the only copy.
 *
 * <p>A batch is allocated once with a capacity and reused: set {@link #count()} to the number of
 * entries in use. Before a call, every error slot in use is set to {@link #NOT_ATTEMPTED}, so
 * entries a failed call never reached are told apart from mapped ones. Not thread-safe.
 */
public final class PageBatch implements AutoCloseable {

    /**
     * Error slot value meaning no result is known for the entry: the call covering it failed as a
     * whole or never ran. Xen checks a batch before touching entries, so such an entry is almost
     * always unmapped; a careful caller still treats it as "maybe mapped" when rolling back. A
     * repeated byte, so a whole batch is marked with one {@code fill}, and far from any errno.
     */
    public static final int NOT_ATTEMPTED = 0x80808080;
    /** {@link #NOT_ATTEMPTED}'s repeated byte, to fill the error slots with. */
    public static final byte NOT_ATTEMPTED_BYTE = (byte) 0x80;

    private final Arena arena;
    private final MemorySegment idxs;
    private final MemorySegment gpfns;
    private final MemorySegment errs;
    private final int capacity;
    private int count;

    private PageBatch(Arena arena, int capacity) {
        this.arena = arena;
        this.capacity = capacity;
        this.idxs = arena.allocate(ValueLayout.JAVA_LONG, capacity);
        this.gpfns = arena.allocate(ValueLayout.JAVA_LONG, capacity);
        this.errs = arena.allocate(ValueLayout.JAVA_INT, capacity);
    }

    /**
     * A batch of {@code capacity} entries in its own confined arena, freed by {@link #close()}.
     *
     * @param capacity the most entries it holds
     * @return an empty batch; close it to free its memory
     */
    public static PageBatch allocate(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        return new PageBatch(Arena.ofConfined(), capacity);
    }

    /**
     * The most entries the batch holds.
     *
     * @return its capacity
     */
    public int capacity() {
        return capacity;
    }

    /**
     * The entries in use.
     *
     * @return their number
     */
    public int count() {
        return count;
    }

    /**
     * Sets the number of entries in use.
     *
     * @param count from 0 to the capacity
     */
    public void count(int count) {
        if (count < 0 || count > capacity) {
            throw new IllegalArgumentException("count " + count + " outside 0.." + capacity);
        }
        this.count = count;
    }

    /**
     * Sets one entry.
     *
     * @param index the entry
     * @param sourcePage the page in the source domain
     * @param targetPage the page in the receiving domain
     */
    public void set(int index, long sourcePage, long targetPage) {
        idxs.setAtIndex(ValueLayout.JAVA_LONG, index, sourcePage);
        gpfns.setAtIndex(ValueLayout.JAVA_LONG, index, targetPage);
    }

    /**
     * Fills entries 0..n-1 with consecutive pages starting at the given page numbers.
     *
     * @param firstSourcePage the first source page
     * @param firstTargetPage the first target page
     * @param n the number of entries
     */
    public void fillRange(long firstSourcePage, long firstTargetPage, int n) {
        count(n);
        for (int i = 0; i < n; i++) {
            set(i, firstSourcePage + i, firstTargetPage + i);
        }
    }

    /**
     * Fills entries 0..n-1 with consecutive target pages only, for removals.
     *
     * @param firstTargetPage the first target page
     * @param n the number of entries
     */
    public void fillTargets(long firstTargetPage, int n) {
        count(n);
        for (int i = 0; i < n; i++) {
            gpfns.setAtIndex(ValueLayout.JAVA_LONG, i, firstTargetPage + i);
        }
    }

    /**
     * One entry's source page.
     *
     * @param index the entry
     * @return its page in the source domain
     */
    public long sourcePage(int index) {
        return idxs.getAtIndex(ValueLayout.JAVA_LONG, index);
    }

    /**
     * One entry's target page.
     *
     * @param index the entry
     * @return its page in the receiving domain
     */
    public long targetPage(int index) {
        return gpfns.getAtIndex(ValueLayout.JAVA_LONG, index);
    }

    /**
     * One entry's result.
     *
     * @param index the entry
     * @return 0, a negative errno, or {@link #NOT_ATTEMPTED}
     */
    public int error(int index) {
        return errs.getAtIndex(ValueLayout.JAVA_INT, index);
    }

    /**
     * Sets one entry's result.
     *
     * @param index the entry
     * @param value 0, a negative errno, or {@link #NOT_ATTEMPTED}
     */
    public void error(int index, int value) {
        errs.setAtIndex(ValueLayout.JAVA_INT, index, value);
    }

    /**
     * Marks every entry in use as not attempted; callers of the hypervisor do this first. A loop
     * rather than a fill of a slice: the slice would be an object per call where it is not inlined.
     */
    public void resetErrors() {
        for (int i = 0; i < count; i++) {
            errs.setAtIndex(ValueLayout.JAVA_INT, i, NOT_ATTEMPTED);
        }
    }

    /**
     * The raw segments, for the native layer and for in-memory backends.
     *
     * @return the source pages' array
     */
    public MemorySegment idxs() {
        return idxs;
    }

    /**
     * The target pages' array, as the C library takes it.
     *
     * @return the segment
     */
    public MemorySegment gpfns() {
        return gpfns;
    }

    /**
     * The results' array, as the C library fills it.
     *
     * @return the segment
     */
    public MemorySegment errs() {
        return errs;
    }

    @Override
    public void close() {
        arena.close();
    }
}
