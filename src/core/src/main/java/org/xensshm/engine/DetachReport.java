package org.xensshm.engine;

import java.util.List;

import org.xensshm.spec.Role;

/** What {@link StaticShmEngine#detach} did, region by region. */
public record DetachReport(int domid, List<Released> regions) {

    public DetachReport {
        regions = List.copyOf(regions);
    }

    public enum Outcome {
        /** A borrower's pages were unmapped and its entries removed. */
        UNMAPPED,
        /** The owner left and nobody mapped the region: its record is gone. */
        REMOVED,
        /** The owner left while borrowers still map its pages: the record stays, orphaned. */
        ORPHANED
    }

    public record Released(String id, Role role, Outcome outcome) {
    }
}
