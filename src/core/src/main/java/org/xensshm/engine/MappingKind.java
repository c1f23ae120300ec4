package org.xensshm.engine;

import java.util.Arrays;
import java.util.Optional;

import org.xensshm.host.MapSpace;

/** How a borrower's pages were mapped, as its entry in xenstore records it. */
public enum MappingKind {
    /** XENMAPSPACE_gmfn_share: the static shm series' sharing between two domUs. */
    SHARE("gmfn_share"),
    /**
     * gmfn_share on a hypervisor whose share mappings hold no page reference, allowed by the
     * settings: unmapping frees the owner's pages.
     */
    SHARE_UNREFERENCED("gmfn_share-unreferenced"),
    /** XENMAPSPACE_gmfn_foreign, under a policy that allows it. */
    FOREIGN("gmfn_foreign"),
    /** XENMAPSPACE_gmfn_foreign after making the owner the borrower's target, for good. */
    FOREIGN_TRUSTED("gmfn_foreign+target"),
    /** Not recorded: the entry was written by another toolstack (the seed's C code records none). */
    UNKNOWN("");

    private final String recorded;

    MappingKind(String recorded) {
        this.recorded = recorded;
    }

    /** The node's value in the borrower's entry. */
    String recorded() {
        return recorded;
    }

    static MappingKind of(MapSpace space, boolean trusted, boolean unreferenced) {
        if (space == MapSpace.GMFN_SHARE) {
            return unreferenced ? SHARE_UNREFERENCED : SHARE;
        }
        return trusted ? FOREIGN_TRUSTED : FOREIGN;
    }

    static Optional<MappingKind> parse(String text) {
        return Arrays.stream(values()).filter(kind -> kind.recorded.equals(text)).findFirst();
    }
}
