package org.xensshm.devicetree;

import java.io.Serial;
import java.util.Objects;

/**
 * A host device tree cannot take the static shared memory nodes as asked: it cannot be read, it
 * lacks a domain's node, its cells differ from the ones asked for, or a region would land on host
 * memory that is not free. Nothing was written.
 */
public final class HostTreeException extends RuntimeException {

    @Serial
    private static final long serialVersionUID = 1L;

    /** What is wrong, as a stable code for programs. */
    public enum Reason {
        /** The source is not device-tree source this reader understands (the message says where). */
        UNREADABLE,
        /** A config's domain has no {@code xen,domain} node under {@code /chosen}. */
        NO_DOMAIN_NODE,
        /** The domain node's {@code #address-cells}/{@code #size-cells} differ from the ones asked for. */
        CELLS_MISMATCH,
        /** The domain node's cells are neither 1 nor 2, which Xen cannot read static shm nodes with. */
        UNSUPPORTED_CELLS,
        /** The domain is direct-mapped, whose shared memory must sit at equal host and guest addresses. */
        DIRECT_MAPPED,
        /** The tree already has a static shm node with the same id or node name. */
        ALREADY_SHARED,
        /** A region placed in host memory is outside the tree's RAM or over memory already in use. */
        HOST_RANGE
    }

    private final Reason reason;

    /**
     * A host tree that does not fit.
     *
     * @param reason  what kind of misfit
     * @param message what is wrong, naming the tree and the node
     */
    public HostTreeException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /**
     * What kind of misfit.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }
}
