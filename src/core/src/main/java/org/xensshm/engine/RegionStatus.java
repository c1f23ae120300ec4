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
 * @param id          the region's id
 * @param layout      the words the record is written in (the seed's, or the shipped series')
 * @param owner       the owning domain; after an {@link State#ORPHANED orphaning} the domain that owned it
 * @param ownerHandle the owner's domain handle (UUID) when it was recorded: it tells the owner from a
 *                    later domain that got the same domid (C toolstacks record none)
 * @param begin       the owner's guest-physical start address
 * @param end         the owner's guest-physical end address, exclusive
 * @param prot        the most the owner grants its borrowers
 * @param cachePolicy the owner's cache policy
 * @param userCount   the record's {@code usercnt}: the owner (unless orphaned) plus the borrowers
 * @param state       where the region's owner stands
 * @param borrowers   the domains that map it
 */
public record RegionStatus(String id, RecordLayout layout, int owner, Optional<UUID> ownerHandle, long begin, long end,
                           Prot prot, CachePolicy cachePolicy, int userCount, State state,
                           List<BorrowerStatus> borrowers) {

    /** Where a region's owner stands. */
    public enum State {
        /** The owner offers the region. */
        ACTIVE,
        /** The owner's attach has not completed (or was interrupted: reconcile undoes it). */
        ATTACHING,
        /** The owner left while borrowers still map its pages; gone with the last borrower. */
        ORPHANED
    }

    /** Checks the components; copies the borrowers. */
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
     * @param domid   the borrowing domain
     * @param handle  the borrower's domain handle (UUID) when it was recorded
     * @param begin  the borrower's guest-physical start address
     * @param end    its end address, exclusive
     * @param offset  where in the owner's region its mapping starts
     * @param prot the access it asked for
     * @param mapping how its pages were mapped, as recorded
     * @param state where its mapping stands
     */
    public record BorrowerStatus(int domid, Optional<UUID> handle, long begin, long end, long offset, Prot prot,
                                 MappingKind mapping, State state) {

        /** Where a borrower's mapping stands. */
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
