package org.xensshm.engine;

import static org.xensshm.engine.RecordValues.hex;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xensshm.engine.Attach.Borrowed;
import org.xensshm.engine.RegionRefusedException.Reason;
import org.xensshm.host.Errno;
import org.xensshm.host.PageBatch;
import org.xensshm.host.XenCallException;
import org.xensshm.spec.SshmSpec;

/**
 * The hypercall side of an attach's borrower: empties each chunk of the window, maps the owner's
 * pages into it through the attach's one reused batch, and tells a map space the hypervisor
 * refuses, a device-model target that is taken and pages that failed apart. It keeps in each
 * {@link Borrowed} how far the mapping got, which is what the attach's rollback unmaps.
 */
final class WindowMapper {

    /** Its lines are the attach's: they stay in the attach's log, where they are looked for. */
    private static final Logger log = LoggerFactory.getLogger(Attach.class);

    private final Seams seams;
    private final Unmapper unmapper;
    private final int domid;

    WindowMapper(Seams seams, Unmapper unmapper, int domid) {
        this.seams = seams;
        this.unmapper = unmapper;
        this.domid = domid;
    }

    /**
     * Maps the owner's pages into the borrower's window, chunk by chunk, keeping in
     * {@code region} how far it got; the owner is made the target first when borrowers are trusted.
     */
    void map(Borrowed region, PageBatch batch) {
        SshmSpec spec = region.spec;
        if (seams.settings().trustBorrowers()) {
            trust(region);
        }
        while (region.mappedPages < spec.pageCount()) {
            int n = (int) Math.min(batch.capacity(), spec.pageCount() - region.mappedPages);
            clearWindow(spec, spec.firstGfn() + region.mappedPages, n, batch);
            batch.fillRange(region.source.first() + region.mappedPages, spec.firstGfn() + region.mappedPages, n);
            batch.resetErrors();
            region.chunkInBatch = true;
            try {
                seams.hypervisor().addToPhysmapBatch(domid, region.owner, seams.settings().mapSpace(), batch);
            } catch (XenCallException e) {
                region.chunkInBatch = mayHaveMapped(e.errno());
                throw new BackendFailureException(domid, spec.id(), "mapping gfns " + hex(batch.targetPage(0))
                        + "+" + n + " from domain " + region.owner, e);
            }
            PageRuns failures = new PageRuns();
            int uniformErrno = 0;
            for (int i = 0; i < n; i++) {
                int error = batch.error(i);
                if (error != 0) {
                    int errno = error == PageBatch.NOT_ATTEMPTED ? 0 : Math.abs(error);
                    uniformErrno = failures.isEmpty() || uniformErrno == errno ? errno : -1;
                    failures.add(batch.targetPage(i), errno);
                }
            }
            if (!failures.isEmpty()) {
                boolean spaceRefused = failures.pages() == n && (uniformErrno == Errno.ENOSYS
                        || uniformErrno == Errno.EOPNOTSUPP || uniformErrno == Errno.EPERM);
                if (spaceRefused && uniformErrno == Errno.EPERM && seams.settings().trustBorrowers()) {
                    throw new RegionRefusedException(domid, spec.id(), Reason.TARGET_TAKEN, "the hypervisor "
                            + "refused the mapping although the domain was to be domain " + region.owner + "'s "
                            + "trusted borrower: another domain is its target already, and a target can never change");
                }
                throw spaceRefused
                        ? new MapSpaceRefusedException(domid, spec.id(), region.owner, seams.settings().mapSpace(), uniformErrno)
                        : new PageMappingException(domid, spec.id(), region.owner, failures.runs());
            }
            region.mappedPages += n;
            region.chunkInBatch = false;
            if (log.isDebugEnabled()) {
                log.debug("domain {}: static_shm {}: mapped {}/{} pages", domid, spec.id(), region.mappedPages,
                        spec.pageCount());
            }
        }
    }

    /**
     * Whether a batch call that failed as a whole may have mapped some of its pages before it
     * failed, so that the rollback must remove them. Xen checks the call's arguments, the two
     * domains and the XSM policy before the first page, and libxenctrl fails before the hypercall
     * when it cannot bounce the arrays; with these answers nothing was mapped, and removing the
     * window's gfns could only take away what another mapping put there:
     * ESRCH (a domain is missing), EPERM and EACCES (XSM), EINVAL (the arguments), ENOSYS and
     * EOPNOTSUPP (the call or its map space), ENOMEM (libxenctrl's buffers). Anything else (EFAULT
     * while copying later entries, or an errno not known here) may come after some pages were
     * mapped: their gfns are removed.
     */
    private static boolean mayHaveMapped(int errno) {
        return switch (errno) {
            case Errno.ESRCH, Errno.EPERM, Errno.EACCES, Errno.EINVAL, Errno.ENOSYS, Errno.EOPNOTSUPP, Errno.ENOMEM -> false;
            default -> true;
        };
    }

    /**
     * Makes the owner the borrower's target, which gmfn_foreign between two domUs needs. Xen
     * answers EINVAL when the borrower has a target already: an earlier attach made it this owner,
     * or something else made it another domain, which the mapping's EPERM then tells.
     */
    private void trust(Borrowed region) {
        try {
            seams.hypervisor().setTarget(domid, region.owner);
            log.warn("domain {}: static_shm {}: domain {} is now the target of domain {}, which may map all its "
                    + "memory for the rest of its life", domid, region.spec.id(), region.owner, domid);
        } catch (XenCallException e) {
            if (e.errno() != Errno.EINVAL) {
                throw new BackendFailureException(domid, region.spec.id(), "making domain " + region.owner
                        + " the target of domain " + domid, e);
            }
        }
    }

    /**
     * Empties the borrower's window before mapping into it: whatever a crashed or foreign
     * toolstack left there goes. Mapping over a live mapping of the same page would leak a page
     * reference in Xen (its p2m lets an old entry go only when the page differs), keeping a
     * destroyed owner a zombie for good; over anything else it would silently replace it.
     * Goes through the attach's batch, which holds no result yet: the chunk is filled in after.
     */
    private void clearWindow(SshmSpec spec, long firstGfn, int pages, PageBatch batch) {
        PageRuns failures = new PageRuns();
        long stale = unmapper.unmap(domid, spec.id(), firstGfn, pages, failures, false, batch);
        if (!failures.isEmpty()) {
            PageRun first = failures.runs().getFirst();
            throw new BackendFailureException(domid, spec.id(), "emptying the window before mapping it",
                    new XenCallException("remove_from_physmap", "domid=" + domid, first.errno(),
                            "could not remove " + PageRuns.describe(failures.runs())));
        }
        if (stale > 0) {
            log.warn("domain {}: static_shm {}: removed {} stale mapping(s) from the window before mapping it",
                    domid, spec.id(), stale);
        }
    }
}
