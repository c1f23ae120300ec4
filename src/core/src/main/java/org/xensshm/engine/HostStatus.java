package org.xensshm.engine;

import java.util.List;
import java.util.Map;

/**
 * Every static shared memory region recorded in xenstore, for a {@code status} display.
 *
 * @param regions    the readable records, sorted by id
 * @param unreadable ids whose record could not be parsed, with the reason
 */
public record HostStatus(List<RegionStatus> regions, Map<String, String> unreadable) {

    /** Copies the list of regions. */
    public HostStatus {
        regions = List.copyOf(regions);
        unreadable = Map.copyOf(unreadable);
    }
}
