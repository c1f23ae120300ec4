package org.xensshm.spec;

/**
 * A run of guest page frame numbers {@code [first, first + count)}, never empty.
 *
 * @param first the first frame
 * @param count how many frames, at least one
 */
public record PageRange(long first, long count) {

    /** Checks that the range is not empty and does not overflow. */
    public PageRange {
        if (first < 0 || count <= 0 || first > Long.MAX_VALUE - count) {
            throw new IllegalArgumentException("invalid page range: first=" + first + " count=" + count);
        }
    }

    /**
     * The first page past the range.
     *
     * @return {@code first + count}
     */
    public long end() {
        return first + count;
    }

    /**
     * Whether every frame of {@code other} is in this range.
     *
     * @param other another range
     * @return true when it lies within
     */
    public boolean contains(PageRange other) {
        return first <= other.first && other.end() <= end();
    }

    /**
     * Whether the ranges share a frame.
     *
     * @param other another range
     * @return true when they overlap
     */
    public boolean overlaps(PageRange other) {
        return first < other.end() && other.first < end();
    }

    /** Half-open and in hex, as frame numbers are usually written: {@code [0x100, 0x200)}. */
    @Override
    public String toString() {
        return "[0x" + Long.toHexString(first) + ", 0x" + Long.toHexString(end()) + ")";
    }
}
