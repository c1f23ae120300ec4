package org.xensshm.engine;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.xensshm.host.Errno;
import org.xensshm.host.HypervisorIdentity;
import org.xensshm.host.MapSpace;

/**
 * What {@link HypervisorSelfTest} found out about a hypervisor.
 *
 * @param identity        which hypervisor answered
 * @param mapSpaces       for each map space, whether a mapping works and holds a reference
 * @param batchedRemovals whether it takes removals batched into one multicall
 */
public record SelfTestReport(HypervisorIdentity identity, List<MapSpaceFinding> mapSpaces, boolean batchedRemovals) {

    /** Checks the components; copies the findings. */
    public SelfTestReport {
        Objects.requireNonNull(identity, "identity");
        mapSpaces = List.copyOf(mapSpaces);
    }

    /**
     * One map space on this hypervisor.
     *
     * @param errno          0 when a one-page batch mapped, else the errno it failed with
     * @param holdsReference for a space that maps: whether the mapping holds a reference on the
     *                       owner's page (the owner's page count did not change across its removal)
     * @param space the map space tried
     */
    public record MapSpaceFinding(MapSpace space, int errno, Optional<Boolean> holdsReference) {

        /** Checks the components. */
        public MapSpaceFinding {
            Objects.requireNonNull(space, "space");
            Objects.requireNonNull(holdsReference, "holdsReference");
            if ((errno == 0) != holdsReference.isPresent()) {
                throw new IllegalArgumentException("a reference is known for a space that maps, and only then");
            }
        }

        /**
         * Whether a one-page batch in this space mapped.
         *
         * @return true when it did
         */
        public boolean maps() {
            return errno == 0;
        }

        @Override
        public String toString() {
            return space + ": " + (maps() ? "maps, " + (holdsReference.orElseThrow() ? "holds a page reference"
                    : "holds NO page reference") : "refused (" + Errno.name(errno) + ")");
        }
    }

    /**
     * What was found about one map space.
     *
     * @param space the map space
     * @return the finding, or empty when the space was not tried
     */
    public Optional<MapSpaceFinding> finding(MapSpace space) {
        return mapSpaces.stream().filter(f -> f.space() == space).findFirst();
    }

    /**
     * Whether gmfn_share maps but its mappings hold no reference on the owner's page: the static
     * shm series as its vendor ships it, where removing a mapping frees a page the owner uses.
     *
     * @return true when the hypervisor frees shared pages an owner still uses
     */
    public boolean shareFreesOwnerPages() {
        return finding(MapSpace.GMFN_SHARE).flatMap(MapSpaceFinding::holdsReference).map(held -> !held).orElse(false);
    }
}
