package org.xensshm.engine;

import java.io.Serial;

import org.xensshm.host.Errno;
import org.xensshm.host.MapSpace;

/**
 * The hypervisor refused every page of a mapping with the same ENOSYS, EOPNOTSUPP or EPERM: the
 * map space is missing or not allowed, not a problem with particular pages. The message says what
 * that means on Xen and what to do.
 */
public final class MapSpaceRefusedException extends SshmException {

    @Serial
    private static final long serialVersionUID = 1L;

    private final int ownerDomid;
    private final MapSpace space;
    private final int errno;

    MapSpaceRefusedException(int domid, String regionId, int ownerDomid, MapSpace space, int errno) {
        super(domid, regionId, explain(domid, ownerDomid, space, errno), null);
        this.ownerDomid = ownerDomid;
        this.space = space;
        this.errno = errno;
    }

    /**
     * The domain whose pages were to be mapped.
     *
     * @return its domid
     */
    public int ownerDomid() {
        return ownerDomid;
    }

    /**
     * The map space the hypervisor refused.
     *
     * @return the map space
     */
    public MapSpace space() {
        return space;
    }

    /**
     * The positive errno every page failed with.
     *
     * @return the positive errno every page failed with
     */
    public int errno() {
        return errno;
    }

    private static String explain(int domid, int owner, MapSpace space, int errno) {
        String failed = "the hypervisor refused to map any page of domain " + owner + " with "
                + spaceName(space) + " (" + Errno.name(errno) + "): ";
        boolean missing = errno == Errno.ENOSYS || errno == Errno.EOPNOTSUPP;
        return failed + switch (space) {
            case GMFN_SHARE -> missing
                    ? "this Xen has no XENMAPSPACE_gmfn_share (space 6), which only the never-merged static shm "
                    + "series adds; stock Xen (e.g. 4.17) answers ENOSYS. Use map space gmfn_foreign with a "
                    + "hypervisor/XSM policy that lets domain " + domid + " map domain " + owner + "'s pages, "
                    + "or a Xen carrying the static shm series"
                    : "the caller is not privileged enough to share pages between two domains (run the "
                    + "toolstack in dom0) or the XSM policy forbids it";
            case GMFN_FOREIGN -> missing
                    ? "this Xen cannot map foreign pages into domain " + domid + " (on x86 only a "
                    + "privileged domain may receive them); use map space gmfn_share on an Arm Xen carrying "
                    + "the static shm series"
                    : "the XSM policy does not let domain " + domid + " map pages of domain " + owner
                    + " (Xen's default policy allows foreign mappings only into dom0 or into a device "
                    + "model whose target is the page owner); use an XSM/FLASK policy that allows it, or "
                    + "map space gmfn_share on a Xen carrying the static shm series";
        };
    }

    private static String spaceName(MapSpace space) {
        return switch (space) {
            case GMFN_SHARE -> "XENMAPSPACE_gmfn_share (space 6)";
            case GMFN_FOREIGN -> "XENMAPSPACE_gmfn_foreign (space 4)";
        };
    }
}
