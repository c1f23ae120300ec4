package org.xensshm.cli.command;

import org.xensshm.host.MapSpace;

/** The {@code --map-space} values: how a borrower's pages are mapped. */
enum MapSpaceOption {
    /** XENMAPSPACE_gmfn_share, from the static shm series (the default). */
    SHARE(MapSpace.GMFN_SHARE),
    /** XENMAPSPACE_gmfn_foreign, upstream; needs an XSM policy that allows domU-to-domU mapping. */
    FOREIGN(MapSpace.GMFN_FOREIGN);

    private final MapSpace space;

    MapSpaceOption(MapSpace space) {
        this.space = space;
    }

    MapSpace space() {
        return space;
    }
}
