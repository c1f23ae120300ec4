package org.xensshm.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xensshm.engine.RegionStatus.BorrowerStatus;
import org.xensshm.host.Errno;
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

    /** A borrower entry marked unmapping, whose pages are to be unmapped and entry removed. */
    record Unmapping(String id, int domid, long firstGfn, long pages, BorrowerStatus.State was) {
        static Unmapping of(Records.Borrower entry) {
            return new Unmapping(entry.id(), entry.domid(), entry.firstGfn(), entry.pages(), entry.state());
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
        for (Unmapping u : work) {
            PageRuns failures = new PageRuns();
            // A domain that is gone took its physmap with it.
            if (seams.exists(u.domid(), u.id(), u.domid())) {
                unmap(u.domid(), u.id(), u.firstGfn(), u.pages(), failures, u.was() == BorrowerStatus.State.MAPPED);
            }
            if (failures.isEmpty()) {
                unmapped.add(u);
            } else {
                log.warn("domain {}: static_shm {}: could not unmap {}", u.domid(), u.id(),
                        PageRuns.describe(failures.runs()));
                stuck.put(u, failures.runs());
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
     */
    void unmap(int domid, String id, long first, long count, PageRuns failures, boolean expectMapped) {
        long absent = 0;
        for (long gfn = first; gfn < first + count; gfn++) {
            Removal removal = removePage(domid, gfn, failures);
            if (removal == Removal.DOMAIN_GONE) {
                log.info("domain {}: static_shm {}: the domain is gone, and its physmap with it", domid, id);
                return;
            }
            if (removal == Removal.ABSENT) {
                absent++;
            }
        }
        if (absent > 0) {
            if (expectMapped) {
                log.warn("domain {}: static_shm {}: {} of {} pages were already unmapped", domid, id, absent, count);
            } else {
                log.debug("domain {}: static_shm {}: {} of {} pages were not mapped", domid, id, absent, count);
            }
        }
    }

    enum Removal { REMOVED, ABSENT, DOMAIN_GONE, FAILED }

    /** Removes one page; a failure other than "nothing there" or "no domain" goes to {@code failures}. */
    Removal removePage(int domid, long gfn, PageRuns failures) {
        try {
            seams.hypervisor().removeFromPhysmap(domid, gfn);
            return Removal.REMOVED;
        } catch (XenCallException e) {
            return switch (e.errno()) {
                case Errno.ENOENT -> Removal.ABSENT;
                case Errno.ESRCH -> Removal.DOMAIN_GONE;
                default -> {
                    failures.add(gfn, e.errno());
                    yield Removal.FAILED;
                }
            };
        }
    }
}
