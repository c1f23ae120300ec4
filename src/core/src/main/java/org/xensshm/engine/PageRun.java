package org.xensshm.engine;

import org.xensshm.host.Errno;

/**
 * Consecutive gfns of one domain that failed the same way.
 *
 * @param firstGfn the first gfn of the run
 * @param count how many consecutive gfns, at least one
 * @param errno the positive errno, or 0 for entries the hypervisor never attempted
 */
public record PageRun(long firstGfn, long count, int errno) {

    /** Checks that the run is not empty and its errno not negative. */
    public PageRun {
        if (count < 1 || errno < 0) {
            throw new IllegalArgumentException("bad page run: " + count + " pages, errno " + errno);
        }
    }

    @Override
    public String toString() {
        String pages = count == 1 ? "gfn 0x" + Long.toHexString(firstGfn)
                : "gfns 0x" + Long.toHexString(firstGfn) + "-0x" + Long.toHexString(firstGfn + count - 1);
        return pages + ": " + (errno == 0 ? "not attempted" : Errno.name(errno));
    }
}
