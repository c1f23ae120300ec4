package org.xensshm.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xensshm.engine.RegionStatus.BorrowerStatus;
import org.xensshm.engine.Unmapper.Sweep;
import org.xensshm.engine.Unmapper.Unmapping;
import org.xensshm.host.StoreTransaction;
import org.xensshm.spec.Role;

/**
 * Brings every region record in line with what exists: undoes attaches and finishes detaches that
 * were interrupted, drops entries of domains that no longer exist (an owner that is gone releases
 * its region, as if it had detached), and repairs a count that does not match. Work of operations
 * that are still running, in this JVM or in another live process, is left alone and reported as
 * skipped. Region by region: a failure on one is reported and does not stop the others.
 */
final class Reconcile {

    private static final Logger log = LoggerFactory.getLogger(Reconcile.class);
    private static final int NO_DOMAIN = Seams.NO_DOMAIN;

    /** What the transaction over one region decided, and the borrower entries it took over. */
    private record Plan(List<ReconcileReport.Action> decided, List<Unmapping> takenOver) {
    }

    private final Seams seams;
    private final Records records;
    private final List<ReconcileReport.Action> actions = new ArrayList<>();

    Reconcile(Seams seams) {
        this.seams = seams;
        this.records = seams.records();
    }

    ReconcileReport run() {
        try (Worker worker = Worker.start()) {
            for (String id : seams.transact(NO_DOMAIN, null, "listing the regions", records::ids)) {
                try {
                    region(id, worker);
                } catch (SshmException e) {
                    log.error("reconcile: {}", e.getMessage());
                    actions.add(new ReconcileReport.Failed(id, e));
                }
            }
        }
        ReconcileReport report = new ReconcileReport(actions);
        if (!report.isEmpty()) {
            log.info("reconcile: {}", report.actions());
        }
        return report;
    }

    private void region(String id, Worker worker) {
        Plan plan = seams.transact(NO_DOMAIN, id, "reconciling the region", tx -> plan(tx, id, worker));
        actions.addAll(plan.decided());
        if (plan.takenOver().isEmpty()) {
            return;
        }
        Sweep sweep;
        try {
            sweep = new Unmapper(seams).sweep(plan.takenOver(), worker);
        } catch (SshmException e) {
            actions.add(new ReconcileReport.Failed(id, new CleanupIncompleteException(NO_DOMAIN, id,
                    "taken-over borrower entries could not be finished", List.of(), e)));
            return;
        }
        for (Unmapping u : sweep.done()) {
            actions.add(u.was() == BorrowerStatus.State.MAPPING
                    ? new ReconcileReport.AttachUndone(id, u.domid(), Role.BORROWER)
                    : new ReconcileReport.DetachFinished(id, u.domid()));
        }
        sweep.stuck().forEach((u, runs) -> actions.add(new ReconcileReport.Failed(id, new CleanupIncompleteException(
                u.domid(), id, "pages of the interrupted " + (u.was() == BorrowerStatus.State.MAPPING ? "attach"
                : "detach") + " could not be unmapped", runs, null))));
        if (!sweep.unrecorded().isEmpty()) {
            actions.add(new ReconcileReport.Failed(id, new CleanupIncompleteException(NO_DOMAIN, id,
                    "unmapped borrower entries could not be removed", List.of(), sweep.storeFailure())));
        }
    }

    private Plan plan(StoreTransaction tx, String id, Worker worker) {
        List<ReconcileReport.Action> decided = new ArrayList<>();
        List<Unmapping> takenOver = new ArrayList<>();
        Optional<Records.Region> found;
        try {
            found = records.region(tx, id);
        } catch (RecordFormatException e) {
            return new Plan(List.of(new ReconcileReport.Skipped(id, NO_DOMAIN, e.getMessage())), List.of());
        }
        if (found.isEmpty()) {
            return new Plan(List.of(), List.of());
        }
        Records.Region region = found.get();
        for (int domid : region.borrowers()) {
            Records.Borrower entry;
            try {
                entry = records.borrower(tx, id, domid).orElseThrow();
            } catch (RecordFormatException e) {
                decided.add(new ReconcileReport.Skipped(id, domid, e.getMessage()));
                continue;
            }
            boolean pending = entry.state() != BorrowerStatus.State.MAPPED;
            if (pending && Worker.isAlive(entry.worker())) {
                decided.add(new ReconcileReport.Skipped(id, domid, "a running operation is "
                        + (entry.state() == BorrowerStatus.State.MAPPING ? "mapping" : "unmapping") + " it"));
            } else if (!seams.stillThere(NO_DOMAIN, id, domid, entry.handle())) {
                records.removeBorrower(tx, id, domid);
                decided.add(gone(id, domid, entry.handle(), Role.BORROWER));
            } else if (pending) {
                records.markUnmapping(tx, id, domid, worker);
                takenOver.add(Unmapping.of(entry));
            }
        }
        int owner = region.owner();
        if (region.state() == RegionStatus.State.ATTACHING && Worker.isAlive(region.worker())) {
            decided.add(new ReconcileReport.Skipped(id, owner, "a running operation is attaching its owner"));
        } else if (region.state() == RegionStatus.State.ATTACHING) {
            records.releaseOwner(tx, id, owner);
            decided.add(new ReconcileReport.AttachUndone(id, owner, Role.OWNER));
        } else if (region.state() == RegionStatus.State.ACTIVE
                && !seams.stillThere(NO_DOMAIN, id, owner, region.ownerHandle())) {
            records.releaseOwner(tx, id, owner);
            decided.add(gone(id, owner, region.ownerHandle(), Role.OWNER));
        }
        records.repairCount(tx, id).ifPresent(decided::add);
        return new Plan(decided, takenOver);
    }

    /** A domain that is no longer the one recorded: gone altogether, or its domid reused by another. */
    private ReconcileReport.Action gone(String id, int domid, Optional<UUID> recorded, Role role) {
        boolean replaced = seams.domain(NO_DOMAIN, id, domid).filter(info -> !Seams.sameDomain(info, recorded)).isPresent();
        return replaced ? new ReconcileReport.DomainReplaced(id, domid, role) : new ReconcileReport.DomainGone(id, domid, role);
    }
}
