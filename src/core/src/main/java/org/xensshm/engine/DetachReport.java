package org.xensshm.engine;

import java.util.List;

import org.xensshm.spec.Role;

/**
 * What {@link StaticShmEngine#detach} did, region by region.
 *
 * @param warnings what the detach did that an operator must know, e.g. that the hypervisor freed
 *                 pages an owner still uses
 * @param regions what happened to each of its regions
 * @param domid the domain detached
 */
public record DetachReport(int domid, List<Released> regions, List<String> warnings) {

    /** Copies the lists. */
    public DetachReport {
        regions = List.copyOf(regions);
        warnings = List.copyOf(warnings);
    }

    /** What became of one region of the domain. */
    public enum Outcome {
        /** A borrower's pages were unmapped and its entries removed. */
        UNMAPPED,
        /** The owner left and nobody mapped the region: its record is gone. */
        REMOVED,
        /** The owner left while borrowers still map its pages: the record stays, orphaned. */
        ORPHANED,
        /**
         * The entry belonged to an earlier domain that had the same domid (its recorded handle
         * differs): removed, and nothing of this domain unmapped.
         */
        DROPPED
    }

    /**
     * One region the domain left.
     *
     * @param id      the region's id
     * @param role    the domain's role in it
     * @param outcome what became of it
     */
    public record Released(String id, Role role, Outcome outcome) {
    }
}
