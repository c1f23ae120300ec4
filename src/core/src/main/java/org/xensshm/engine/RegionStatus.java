package org.xensshm.engine;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

import org.xensshm.spec.CachePolicy;
import org.xensshm.spec.Prot;

/**
 * One region as recorded in xenstore under {@code /libxl/static_shm/<id>}.
 *
 * @param layout      the words the record is written in (the seed's, or the shipped series')
 * @param owner       the owning domain; after an {@link State#ORPHANED orphaning} the domain that owned it
 * @param ownerHandle the owner's domain handle (UUID) when it was recorded: it tells the owner from a
 *                    later domain that got the same domid (C toolstacks record none)
 * @param begin       the owner's guest-physical start address
 * @param end         the owner's guest-physical end address, exclusive
 * @param userCount   the record's {@code usercnt}: the owner (unless orphaned) plus the borrowers
 */
public record RegionStatus(String id, RecordLayout layout, int owner, Optional<UUID> ownerHandle, long begin, long end,
                           Prot prot, CachePolicy cachePolicy, int userCount, State state,
                           List<BorrowerStatus> borrowers) {

    public enum State {
        /** The owner offers the region. */
        ACTIVE,
        /** The owner's attach has not completed (or was interrupted: reconcile undoes it). */
        ATTACHING,
        /** The owner left while borrowers still map its pages; gone with the last borrower. */
        ORPHANED
    }

    public RegionStatus {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(ownerHandle, "ownerHandle");
        Objects.requireNonNull(prot, "prot");
        Objects.requireNonNull(cachePolicy, "cachePolicy");
        Objects.requireNonNull(state, "state");
        borrowers = List.copyOf(borrowers);
    }

    /**
     * One borrower of a region, from {@code /libxl/static_shm/<id>/slaves/<domid>} (or
     * {@code borrowers/<domid>}).
     *
     * @param handle  the borrower's domain handle (UUID) when it was recorded
     * @param begin  the borrower's guest-physical start address
     * @param end    its end address, exclusive
     * @param offset  where in the owner's region its mapping starts
     * @param mapping how its pages were mapped, as recorded
     */
    public record BorrowerStatus(int domid, Optional<UUID> handle, long begin, long end, long offset, Prot prot,
                                 MappingKind mapping, State state) {

        public enum State {
            /** All pages are mapped. */
            MAPPED,
            /** An attach is mapping pages (or was interrupted: reconcile undoes it). */
            MAPPING,
            /** A detach is unmapping pages (or was interrupted: reconcile finishes it). */
            UNMAPPING
        }
    }
}
