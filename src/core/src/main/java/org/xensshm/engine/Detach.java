package org.xensshm.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xensshm.engine.RegionRefusedException.Reason;
import org.xensshm.engine.RegionStatus.BorrowerStatus;
import org.xensshm.engine.Unmapper.Sweep;
import org.xensshm.engine.Unmapper.Unmapping;
import org.xensshm.host.DomainInfo;
import org.xensshm.host.StoreTransaction;
import org.xensshm.spec.Role;

/**
 * One detach of a domain's regions. Everything is decided in one transaction: borrowed regions
 * are marked unmapping, owned ones released (removed, or orphaned while borrowers remain). Then
 * the borrowed pages are unmapped and the entries removed. A failure before that transaction
 * commits changes nothing; after it, the detach is decided, and reconcile, or detaching again,
 * finishes it.
 */
final class Detach {

    private static final Logger log = LoggerFactory.getLogger(Detach.class);

    /** What the detach decided: regions released at once (owned, or entries of an earlier domain), and pages to unmap. */
    private record Plan(List<DetachReport.Released> owned, List<Unmapping> borrowed) {
    }

    private final Seams seams;
    private final Records records;
    private final int domid;

    Detach(Seams seams, int domid) {
        this.seams = seams;
        this.records = seams.records();
        this.domid = domid;
    }

    DetachReport run() {
        try (Worker worker = Worker.start()) {
            Plan plan = seams.transact(domid, null, "recording the detach", tx -> plan(tx, worker));
            List<DetachReport.Released> released = new ArrayList<>(plan.owned());
            released.stream().filter(r -> r.outcome() == DetachReport.Outcome.ORPHANED).forEach(r -> log.warn(
                    "static_shm {}: owner domain {} left while borrowers map its pages; the region is orphaned "
                            + "until they detach", r.id(), domid));
            Sweep sweep;
            try {
                sweep = new Unmapper(seams).sweep(plan.borrowed(), worker);
            } catch (SshmException e) {
                throw new CleanupIncompleteException(domid, null, "detach of "
                        + plan.borrowed().stream().map(Unmapping::id).toList() + " recorded but not finished",
                        List.of(), e);
            }
            for (Unmapping done : sweep.done()) {
                released.add(new DetachReport.Released(done.id(), Role.BORROWER, DetachReport.Outcome.UNMAPPED));
            }
            if (!sweep.isComplete()) {
                throw new CleanupIncompleteException(domid, null, "detach of " + sweep.pendingIds()
                        + " recorded but not finished" + (sweep.storeFailure() == null ? ""
                        : " (removing the unmapped entries failed)"), sweep.stillMapped(), sweep.storeFailure());
            }
            DetachReport report = new DetachReport(domid, released, freedOwnerPages(sweep.done()));
            report.warnings().forEach(warning -> log.error("{}", warning));
            log.info("domain {}: detached static_shm {}", domid, report.regions());
            return report;
        }
    }

    /**
     * Entries mapped with gmfn_share on a hypervisor whose share mappings hold no page reference
     * (allowed by the settings of their attach): unmapping them freed the owner's pages under it.
     */
    private List<String> freedOwnerPages(List<Unmapping> unmapped) {
        return unmapped.stream().filter(u -> u.mapping() == MappingKind.SHARE_UNREFERENCED)
                .map(u -> "domain " + domid + ", static_shm id " + u.id() + ": this hypervisor's gmfn_share "
                        + "mappings hold no page reference, so unmapping " + u.pages() + " page(s) freed them under "
                        + "their owner, which may still use them; restart the owner before its memory is reused")
                .toList();
    }

    private Plan plan(StoreTransaction tx, Worker worker) {
        List<DetachReport.Released> owned = new ArrayList<>();
        List<Unmapping> borrowed = new ArrayList<>();
        Optional<DomainInfo> current = seams.domain(domid, null, domid);
        for (String id : records.ids(tx)) {
            boolean owns = records.owns(tx, id, domid);
            boolean borrows = records.lends(tx, id, domid);
            if (!owns && !borrows) {
                continue;
            }
            Records.Region region = records.region(tx, id).orElseThrow();
            if (owns && region.state() != RegionStatus.State.ORPHANED && replaced(current, region.ownerHandle())) {
                records.releaseOwner(tx, id, domid);
                owned.add(new DetachReport.Released(id, Role.OWNER, DetachReport.Outcome.DROPPED));
            } else if (owns && region.state() != RegionStatus.State.ORPHANED) {
                if (region.state() == RegionStatus.State.ATTACHING && Worker.isAlive(region.worker())) {
                    throw new RegionRefusedException(domid, id, Reason.BUSY, "its attach is still in progress");
                }
                owned.add(new DetachReport.Released(id, Role.OWNER, records.releaseOwner(tx, id, domid)));
            }
            if (borrows) {
                Records.Borrower entry = records.borrower(tx, id, domid).orElseThrow();
                if (replaced(current, entry.handle())) {
                    records.removeBorrower(tx, id, domid);
                    owned.add(new DetachReport.Released(id, Role.BORROWER, DetachReport.Outcome.DROPPED));
                    continue;
                }
                if (entry.state() != BorrowerStatus.State.MAPPED && Worker.isAlive(entry.worker())) {
                    throw new RegionRefusedException(domid, id, Reason.BUSY,
                            "an attach or detach of this borrower is still in progress");
                }
                records.markUnmapping(tx, id, domid, worker);
                borrowed.add(Unmapping.of(entry));
            }
        }
        return new Plan(owned, borrowed);
    }

    /** Whether the domain with this domid now is another than the one the entry was written for. */
    private static boolean replaced(Optional<DomainInfo> current, Optional<UUID> recorded) {
        return current.filter(info -> !Seams.sameDomain(info, recorded)).isPresent();
    }
}
