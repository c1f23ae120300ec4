package org.xensshm.host;

/** The XENMAPSPACE_* values this project maps pages with. */
public enum MapSpace {
    /** Upstream space: map another domain's page into this one (XENMAPSPACE_gmfn_foreign). */
    GMFN_FOREIGN(4),
    /**
     * The seed series' space for sharing between two domUs. Never merged upstream, so it is not in
     * xen/memory.h; stock Xen 4.17 answers ENOSYS for every entry.
     */
    GMFN_SHARE(6);

    private final int abiValue;

    MapSpace(int abiValue) {
        this.abiValue = abiValue;
    }

    /**
     * The space's number in Xen's interface (XENMAPSPACE_*).
     *
     * @return the number
     */
    public int abiValue() {
        return abiValue;
    }
}
