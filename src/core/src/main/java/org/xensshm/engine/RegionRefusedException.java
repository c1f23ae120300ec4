package org.xensshm.engine;

import java.io.Serial;
import java.util.Objects;

/** The host's current state does not allow the operation; nothing was changed by this step. */
public final class RegionRefusedException extends SshmException {

    @Serial
    private static final long serialVersionUID = 1L;

    /** Why the host's state does not allow the operation. */
    public enum Reason {
        /** The domain does not exist, or has no xenstore directory yet. */
        DOMAIN_NOT_FOUND,
        /** A borrower's region has no record: its owner has not been attached. */
        NO_OWNER,
        /** The region's owner domain no longer exists. */
        OWNER_GONE,
        /** Another domain owns the region. */
        ALREADY_OWNED,
        /** The domain already owns or borrows this id. */
        ID_IN_USE,
        /** The owner released the region; it takes no new borrowers or owner until it is gone. */
        ORPHANED,
        /** Another operation on the same region and domain is in progress, or was interrupted. */
        BUSY,
        /** The borrower asks for more access than the owner grants. */
        PROT_NOT_GRANTED,
        /** The borrower's offset and size reach beyond the owner's region. */
        OUTSIDE_OWNER_REGION,
        /** The region's xenstore record cannot be read back. */
        CORRUPT_RECORD,
        /** A trusted borrower already has another domain as its target, which can never change. */
        TARGET_TAKEN,
        /** A borrower's window overlaps its own RAM or one of Xen's fixed guest areas. */
        WINDOW_NOT_FREE
    }

    private final Reason reason;

    RegionRefusedException(int domid, String regionId, Reason reason, String detail) {
        super(domid, regionId, detail, null);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /**
     * Why the region was refused.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }
}
