package org.xensshm.spec;

/**
 * A run of guest page frame numbers {@code [first, first + count)}, never empty.
 */
public record PageRange(long first, long count) {

    public PageRange {
        if (first < 0 || count <= 0 || first > Long.MAX_VALUE - count) {
            throw new IllegalArgumentException("invalid page range: first=" + first + " count=" + count);
        }
    }

    /** The first page past the range. */
    public long end() {
        return first + count;
    }

    public boolean contains(PageRange other) {
        return first <= other.first && other.end() <= end();
    }

    public boolean overlaps(PageRange other) {
        return first < other.end() && other.first < end();
    }

    /** Half-open and in hex, as frame numbers are usually written: {@code [0x100, 0x200)}. */
    @Override
    public String toString() {
        return "[0x" + Long.toHexString(first) + ", 0x" + Long.toHexString(end()) + ")";
    }
}
