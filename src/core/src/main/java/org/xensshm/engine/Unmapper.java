package org.xensshm.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xensshm.engine.RegionStatus.BorrowerStatus;
import org.xensshm.host.Errno;
import org.xensshm.host.PageBatch;
import org.xensshm.host.XenCallException;
import org.xensshm.spec.Role;

/**
 * Takes borrowed pages out of physmaps, going on past failures and collecting them: for a failed
 * attach's rollback, a detach, and reconcile's finishing of either.
 */
final class Unmapper {

    private static final Logger log = LoggerFactory.getLogger(Unmapper.class);

    private final Seams seams;

    Unmapper(Seams seams) {
        this.seams = seams;
    }

    /**
     * A borrower entry marked unmapping, whose pages are to be unmapped and entry removed.
     *
     * @param handle the borrower's domain handle as recorded: pages are unmapped only from that domain
     */
    record Unmapping(String id, int domid, Optional<UUID> handle, long firstGfn, long pages, MappingKind mapping,
                     BorrowerStatus.State was) {
        static Unmapping of(Records.Borrower entry) {
            return new Unmapping(entry.id(), entry.domid(), entry.handle(), entry.firstGfn(), entry.pages(),
                    entry.mapping(), entry.state());
        }
    }

    /**
     * What unmapping a set of borrower entries achieved. Entries not done stay marked unmapping.
     *
     * @param done         entries whose pages are gone and whose records were removed
     * @param stuck        entries with pages that could not be unmapped
     * @param unrecorded   entries unmapped whose records could not be removed, because of storeFailure
     * @param storeFailure why removing the records failed, or null
     */
    record Sweep(List<Unmapping> done, Map<Unmapping, List<PageRun>> stuck, List<Unmapping> unrecorded,
                 RuntimeException storeFailure) {
        boolean isComplete() {
            return stuck.isEmpty() && unrecorded.isEmpty();
        }

        List<String> pendingIds() {
            List<String> ids = new ArrayList<>(stuck.keySet().stream().map(Unmapping::id).toList());
            unrecorded.forEach(u -> ids.add(u.id()));
            return ids;
        }

        List<PageRun> stillMapped() {
            return stuck.values().stream().flatMap(List::stream).toList();
        }
    }

    /**
     * Unmaps the whole recorded range of each entry, then removes, in one transaction, the
     * entries fully unmapped that {@code worker} still holds (another process may have taken one
     * over meanwhile; it is then its job).
     */
    Sweep sweep(List<Unmapping> work, Worker worker) {
        Map<Unmapping, List<PageRun>> stuck = new LinkedHashMap<>();
        List<Unmapping> unmapped = new ArrayList<>();
        try (PageBatch batch = batchFor(work.stream().mapToLong(Unmapping::pages).max().orElse(0))) {
            for (Unmapping u : work) {
                PageRuns failures = new PageRuns();
                // A domain that is gone took its physmap with it; a later domain with its domid is not ours.
                if (seams.stillThere(u.domid(), u.id(), u.domid(), u.handle())) {
                    unmap(u.domid(), u.id(), u.firstGfn(), u.pages(), failures, u.was() == BorrowerStatus.State.MAPPED,
                            batch);
                }
                if (failures.isEmpty()) {
                    unmapped.add(u);
                } else {
                    log.warn("domain {}: static_shm {}: could not unmap {}", u.domid(), u.id(),
                            PageRuns.describe(failures.runs()));
                    stuck.put(u, failures.runs());
                }
            }
        }
        if (unmapped.isEmpty()) {
            return new Sweep(List.of(), stuck, List.of(), null);
        }
        int domid = unmapped.stream().allMatch(u -> u.domid() == unmapped.getFirst().domid())
                ? unmapped.getFirst().domid() : Seams.NO_DOMAIN;
        Records records = seams.records();
        try {
            List<Unmapping> done = seams.transact(domid, null, "removing unmapped borrower entries", tx -> {
                List<Unmapping> removed = new ArrayList<>();
                for (Unmapping u : unmapped) {
                    if (records.heldBy(tx, u.id(), u.domid(), Role.BORROWER, worker)) {
                        records.removeBorrower(tx, u.id(), u.domid());
                        removed.add(u);
                    }
                }
                return removed;
            });
            return new Sweep(done, stuck, List.of(), null);
        } catch (RuntimeException e) {
            return new Sweep(List.of(), stuck, unmapped, e);
        }
    }

    /**
     * Removes gfns [first, first + count) from the domain's physmap, going on past failures, which
     * are added to {@code failures}. A gfn with nothing mapped (ENOENT) counts as unmapped; it is
     * worth a warning only where every page was known to be mapped. A domain that disappears
     * (ESRCH) has no pages left.
     *
     * @return how many gfns had something mapped that is now removed
     */
    long unmap(int domid, String id, long first, long count, PageRuns failures, boolean expectMapped) {
        try (PageBatch batch = batchFor(count)) {
            return unmap(domid, id, first, count, failures, expectMapped, batch);
        }
    }

    /**
     * {@link #unmap(int, String, long, long, PageRuns, boolean)} through the caller's batch, which
     * it overwrites: for callers that unmap often, so that each call does not allocate its own.
     */
    long unmap(int domid, String id, long first, long count, PageRuns failures, boolean expectMapped,
               PageBatch batch) {
        if (count == 0) {
            return 0;
        }
        Tally tally = new Tally();
        for (long done = 0; done < count && !tally.domainGone; done += batch.count()) {
            batch.fillTargets(first + done, (int) Math.min(batch.capacity(), count - done));
            remove(domid, batch, failures, tally);
        }
        if (tally.domainGone) {
            log.info("domain {}: static_shm {}: the domain is gone, and its physmap with it", domid, id);
        } else if (tally.absent > 0) {
            if (expectMapped) {
                log.warn("domain {}: static_shm {}: {} of {} pages were already unmapped", domid, id, tally.absent, count);
            } else {
                log.debug("domain {}: static_shm {}: {} of {} pages were not mapped", domid, id, tally.absent, count);
            }
        }
        return tally.removed;
    }

    /** A batch for unmapping up to {@code pages} pages: one chunk at most, and never empty. */
    PageBatch batchFor(long pages) {
        return PageBatch.allocate((int) Math.max(1, Math.min(pages, seams.settings().chunkPages())));
    }

    /**
     * Removes the target pages of the batch's entries that may be mapped: those that succeeded,
     * and those without a result. Entries that failed were not mapped by the call: whatever is at
     * their gfn is not ours. Entries without a result (the call failed as a whole) may have been
     * mapped before it failed, so they count as mapped; a leaked mapping would give the borrower
     * access that no record shows.
     */
    void unmapAttempted(int domid, PageBatch chunk, PageRuns failures) {
        try (PageBatch batch = PageBatch.allocate(Math.max(1, chunk.count()))) {
            int n = 0;
            for (int i = 0; i < chunk.count(); i++) {
                int error = chunk.error(i);
                if (error == 0 || error == PageBatch.NOT_ATTEMPTED) {
                    batch.set(n++, 0, chunk.targetPage(i));
                }
            }
            batch.count(n);
            remove(domid, batch, failures, new Tally());
        }
    }

    /** What removing a batch found: pages removed, gfns with nothing there, and a vanished domain. */
    private static final class Tally {
        long removed;
        long absent;
        boolean domainGone;
    }

    /**
     * Removes every target page of the batch, in multicalls unless the hypervisor refused them
     * once (then page by page from there on, which every Xen takes).
     */
    private void remove(int domid, PageBatch batch, PageRuns failures, Tally tally) {
        if (batch.count() == 0) {
            return;
        }
        batch.resetErrors();
        if (seams.batchedRemovals()) {
            try {
                seams.hypervisor().removeFromPhysmapBatch(domid, batch);
            } catch (XenCallException e) {
                // A hypervisor without multicalls says so once and is not asked again; any other
                // failure of the whole call only sends this batch down the page-by-page path.
                boolean refused = e.errno() == Errno.ENOSYS || e.errno() == Errno.EOPNOTSUPP || e.errno() == Errno.EPERM;
                log.warn("domain {}: batched removal failed ({}); removing {}page by page", domid, e.getMessage(),
                        refused ? "" : "this batch ");
                if (refused) {
                    seams.refuseBatchedRemovals();
                }
            }
        }
        for (int i = 0; i < batch.count(); i++) {
            int error = batch.error(i);
            if (error == PageBatch.NOT_ATTEMPTED) {
                error = removeOne(domid, batch.targetPage(i));
            }
            switch (Math.abs(error)) {
                case 0 -> tally.removed++;
                case Errno.ENOENT -> tally.absent++;
                case Errno.ESRCH -> {
                    tally.domainGone = true;
                    return;
                }
                default -> failures.add(batch.targetPage(i), Math.abs(error));
            }
        }
    }

    /** One removal: 0, or the negative errno. */
    private int removeOne(int domid, long gfn) {
        try {
            seams.hypervisor().removeFromPhysmap(domid, gfn);
            return 0;
        } catch (XenCallException e) {
            return -e.errno();
        }
    }
}
