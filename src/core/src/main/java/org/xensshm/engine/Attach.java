package org.xensshm.engine;

import static org.xensshm.engine.RecordValues.hex;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xensshm.engine.RegionRefusedException.Reason;
import org.xensshm.host.DomainInfo;
import org.xensshm.host.MapSpace;
import org.xensshm.host.PageBatch;
import org.xensshm.host.StoreTransaction;
import org.xensshm.host.StoreUnreachableException;
import org.xensshm.spec.ArmGuestLayout;
import org.xensshm.spec.PageRange;
import org.xensshm.spec.Platform;
import org.xensshm.spec.Role;
import org.xensshm.spec.SshmSpec;

/**
 * One attach of a domain's regions, all or nothing. An owner's record is written in one
 * transaction, marked attaching. A borrower's entry is written first, marked mapping, after
 * checking the owner's record; then the owner's pages are mapped in chunks through one reused
 * off-heap batch. Finally one transaction clears every mark: that commit is the attach's point of
 * no return. On any failure before it, every page this call mapped is unmapped and every entry it
 * wrote is removed, for all specs of the call; if even that fails, what is left stays marked and
 * reconcile finishes it. Hypercalls never run inside a transaction, so a transaction retried
 * after a conflict never repeats one. If xenstored becomes unreachable while the marks are being
 * cleared, whether that commit happened is unknown (xenstored may still apply it): nothing is
 * undone then, and reconcile, once xenstored answers, finishes or undoes the attach by what it
 * finds recorded.
 */
final class Attach {

    private static final Logger log = LoggerFactory.getLogger(Attach.class);

    /** A region this attach has recorded, and for a borrower how far its mapping got. */
    private sealed interface Step permits Owned, Borrowed {
        SshmSpec spec();
    }

    private record Owned(SshmSpec spec) implements Step {
    }

    /** A borrower's region: how far its mapping got is {@link WindowMapper}'s to keep up to date. */
    static final class Borrowed implements Step {
        final SshmSpec spec;
        final int owner;
        final PageRange source;
        /** Pages [0, mappedPages) of the region are mapped: every chunk before the current one. */
        long mappedPages;
        /** The batch holds this region's current chunk, whose entries with error 0 are mapped. */
        boolean chunkInBatch;

        Borrowed(SshmSpec spec, int owner, PageRange source) {
            this.spec = spec;
            this.owner = owner;
            this.source = source;
        }

        @Override
        public SshmSpec spec() {
            return spec;
        }
    }

    private final Seams seams;
    private final Records records;
    private final Unmapper unmapper;
    private final WindowMapper mapper;
    private final int domid;
    private final List<SshmSpec> specs;
    private final List<Step> done = new ArrayList<>();
    /** The hypervisor's share mappings hold no page reference, and the settings allow them anyway. */
    private boolean unreferencedShare;
    /** The domain's handle, recorded with its entries so that a later domain with its domid is told apart. */
    private UUID handle;

    Attach(Seams seams, int domid, List<SshmSpec> specs) {
        this.seams = seams;
        this.records = seams.records();
        this.unmapper = new Unmapper(seams);
        this.mapper = new WindowMapper(seams, unmapper, domid);
        this.domid = domid;
        this.specs = List.copyOf(specs);
    }

    AttachReport run() {
        if (specs.isEmpty()) {
            return new AttachReport(domid, seams.settings().mapSpace(), List.of());
        }
        DomainInfo self = seams.domain(domid, null, domid).orElseThrow(() -> new RegionRefusedException(domid, null,
                Reason.DOMAIN_NOT_FOUND, "the domain does not exist"));
        if (!self.alive()) {
            throw new RegionRefusedException(domid, null, Reason.DOMAIN_NOT_FOUND, "the domain is shutting down or dying");
        }
        handle = self.handle();
        refuseWindowsOverGuestMemory(self);
        long largest = specs.stream().filter(s -> s.role() == Role.BORROWER).mapToLong(SshmSpec::pageCount).max().orElse(0);
        if (largest > 0) {
            refuseUnsafeSharing();
        }
        try (Worker worker = Worker.start();
             PageBatch batch = largest == 0 ? null
                     : PageBatch.allocate((int) Math.min(seams.settings().chunkPages(), largest))) {
            boolean completing = false;
            try {
                for (SshmSpec spec : specs) {
                    if (spec.role() == Role.OWNER) {
                        recordOwner(spec, worker);
                        done.add(new Owned(spec));
                    } else {
                        Borrowed borrowed = recordBorrower(spec, worker);
                        done.add(borrowed);
                        mapper.map(borrowed, batch);
                    }
                }
                completing = true;
                complete(worker);
            } catch (RuntimeException e) {
                if (completing && e instanceof BackendFailureException failed
                        && failed.call() instanceof StoreUnreachableException) {
                    // Undoing now could unmap pages whose attach xenstored records as complete.
                    CleanupIncompleteException unknown = new CleanupIncompleteException(domid, null, "xenstored could"
                            + " not be reached while the attach was being completed, so whether it was recorded is"
                            + " unknown; its pages stay mapped until reconcile finishes or undoes it", List.of(), null);
                    log.error("{}", unknown.getMessage());
                    e.addSuppressed(unknown);
                    throw e;
                }
                try {
                    rollBack(batch, worker, e);
                } catch (RuntimeException rollbackBug) {
                    e.addSuppressed(rollbackBug);
                }
                throw e;
            }
        }
        log.info("domain {}: attached static_shm {}", domid,
                specs.stream().map(s -> s.id() + " (" + s.role() + ")").toList());
        return new AttachReport(domid, seams.settings().mapSpace(), done.stream().map(Attach::reported).toList());
    }

    /**
     * A borrower's window must be a hole in its address space: Xen on Arm replaces whatever is
     * mapped at a target gfn without a word, and clearing the window before mapping would take
     * the guest's own RAM away. The domain's RAM is taken at its most (its maximum pages, laid out
     * as Xen lays out an Arm guest's RAM banks); Xen's fixed guest areas are never free.
     */
    private void refuseWindowsOverGuestMemory(DomainInfo self) {
        if (seams.hypervisor().platform() != Platform.ARM) {
            return;
        }
        OptionalLong memory = self.maxPages() > 0 ? OptionalLong.of(self.maxPages() << SshmSpec.PAGE_SHIFT)
                : OptionalLong.empty();
        for (SshmSpec spec : specs) {
            if (spec.role() != Role.BORROWER) {
                continue;
            }
            List<ArmGuestLayout.Area> hit = ArmGuestLayout.conflicts(spec.begin(), spec.end(), memory);
            if (!hit.isEmpty()) {
                throw new RegionRefusedException(domid, spec.id(), Reason.WINDOW_NOT_FREE, "its window ["
                        + hex(spec.begin()) + ", " + hex(spec.end()) + ") overlaps "
                        + hit.stream().map(ArmGuestLayout.Area::toString).collect(Collectors.joining(", "))
                        + " of this domain" + (memory.isPresent() ? " (RAM counted at its maximum, "
                        + (memory.getAsLong() >> 20) + " MiB)" : "") + "; Xen would silently replace what is "
                        + "there: choose a window outside the guest's RAM and Xen's fixed areas");
            }
        }
    }

    /**
     * On a hypervisor whose gmfn_share mappings hold no page reference, a later detach would free
     * the owner's pages: refuse before anything is touched, unless the settings allow it.
     */
    private void refuseUnsafeSharing() {
        EngineSettings settings = seams.settings();
        if (settings.mapSpace() != MapSpace.GMFN_SHARE) {
            return;
        }
        SelfTestReport hypervisor = seams.selfTest(domid);
        if (!hypervisor.shareFreesOwnerPages()) {
            return;
        }
        if (!settings.allowUnreferencedShare()) {
            throw new HypervisorDefectException(domid, null, hypervisor.identity());
        }
        unreferencedShare = true;
        log.error("domain {}: sharing with gmfn_share on {}, whose share mappings hold no page reference: as "
                + "allowed, but any detach or death of this borrower will free pages its owner still uses",
                domid, hypervisor.identity());
    }

    private static AttachReport.Region reported(Step step) {
        return switch (step) {
            case Owned owned -> new AttachReport.Offered(owned.spec());
            case Borrowed borrowed -> new AttachReport.Mapped(borrowed.spec, borrowed.owner, borrowed.source);
        };
    }

    private void recordOwner(SshmSpec spec, Worker worker) {
        String id = spec.id();
        seams.transact(domid, id, "recording the owner's region", tx -> {
            requireUnused(tx, id);
            records.region(tx, id).filter(earlier -> earlier.owner() == domid && earlier.ownerHandle().isPresent()
                    && !earlier.ownerHandle().get().equals(handle)).ifPresent(earlier -> {
                log.info("domain {}: static_shm {}: released the region of an earlier domain {}", domid, id, domid);
                records.releaseOwner(tx, id, domid);
            });
            records.region(tx, id).ifPresent(other -> {
                throw other.state() == RegionStatus.State.ORPHANED
                        ? new RegionRefusedException(domid, id, Reason.ORPHANED, "its previous owner, domain "
                        + other.owner() + ", left while borrowers " + other.borrowers() + " still map its pages; "
                        + "it can be owned again once they have detached")
                        : new RegionRefusedException(domid, id, Reason.ALREADY_OWNED,
                        "domain " + other.owner() + " already owns it (a region has one owner)");
            });
            records.createRegion(tx, domid, handle, spec, worker);
            return null;
        });
        log.debug("domain {}: static_shm {} recorded as owner of [{}, {})", domid, id,
                hex(spec.begin()), hex(spec.end()));
    }

    private Borrowed recordBorrower(SshmSpec spec, Worker worker) {
        String id = spec.id();
        Borrowed borrowed = seams.transact(domid, id, "recording the borrower's mapping", tx -> {
            requireUnused(tx, id);
            Records.Region owner = records.region(tx, id).orElseThrow(() -> new RegionRefusedException(domid, id,
                    Reason.NO_OWNER, "no owner has set up this region (attach its owner first)"));
            switch (owner.state()) {
                case ORPHANED -> throw new RegionRefusedException(domid, id, Reason.ORPHANED, "its owner, domain "
                        + owner.owner() + ", has released it; it takes no new borrowers and goes away when "
                        + "its remaining borrowers " + owner.borrowers() + " detach");
                case ATTACHING -> throw new RegionRefusedException(domid, id, Reason.BUSY, "its owner, domain "
                        + owner.owner() + (Worker.isAlive(owner.worker()) ? ", is still being attached; try again"
                        : ", was not attached completely; run reconcile"));
                case ACTIVE -> {
                }
            }
            if (!seams.alive(domid, id, owner.owner(), owner.ownerHandle())) {
                throw new RegionRefusedException(domid, id, Reason.OWNER_GONE, "its owner, domain "
                        + owner.owner() + ", is gone or going; run reconcile to clean up its record");
            }
            if (owner.borrowers().contains(domid)) {
                Records.Borrower earlier = records.borrower(tx, id, domid).orElseThrow();
                if (earlier.handle().isEmpty() || earlier.handle().get().equals(handle)) {
                    throw new RegionRefusedException(domid, id, Reason.ID_IN_USE,
                            "the region already lists this domain as a borrower; run reconcile");
                }
                // An earlier domain with this domid: its entry goes, its pages went with it.
                records.removeBorrower(tx, id, domid);
            }
            if (seams.settings().trustBorrowers()) {
                refuseSecondTarget(tx, id, owner.owner());
            }
            if (!owner.prot().grants(spec.prot())) {
                throw new RegionRefusedException(domid, id, Reason.PROT_NOT_GRANTED,
                        "asks for " + spec.prot() + " but its owner grants " + owner.prot());
            }
            PageRange source = spec.ownerPagesWithin(new PageRange(owner.firstPage(), owner.pages()))
                    .orElseThrow(() -> new RegionRefusedException(domid, id, Reason.OUTSIDE_OWNER_REGION, "offset "
                            + hex(spec.offset()) + " + size " + hex(spec.size())
                            + " exceeds the owner's region [" + hex(owner.begin()) + ", "
                            + hex(owner.end()) + ") of " + hex(owner.end() - owner.begin()) + " bytes"));
            records.addBorrower(tx, owner, domid, handle, spec, mappingKind(), worker);
            return new Borrowed(spec, owner.owner(), source);
        });
        log.debug("domain {}: static_shm {} recorded as borrower of domain {}", domid, id, borrowed.owner);
        return borrowed;
    }

    private MappingKind mappingKind() {
        return MappingKind.of(seams.settings().mapSpace(), seams.settings().trustBorrowers(), unreferencedShare);
    }

    /**
     * A domain can be the device model of one domain only, for good: a trusted borrower of one
     * owner cannot borrow from another, in this attach or ever after.
     */
    private void refuseSecondTarget(StoreTransaction tx, String id, int owner) {
        Map<String, Integer> trusted = new TreeMap<>(records.trustedOwners(tx, domid));
        done.stream().filter(step -> step instanceof Borrowed).map(step -> (Borrowed) step)
                .forEach(b -> trusted.put(b.spec.id(), b.owner));
        trusted.forEach((otherId, otherOwner) -> {
            if (otherOwner != owner) {
                throw new RegionRefusedException(domid, id, Reason.TARGET_TAKEN, "as a trusted borrower it "
                        + "would have domain " + owner + " as its target, but domain " + otherOwner + " (region "
                        + otherId + ") already is, and a target can never change: a trusted borrower maps from "
                        + "one owner only");
            }
        });
    }

    /** Checks that the domain has its xenstore directory and does not use the id yet. */
    private void requireUnused(StoreTransaction tx, String id) {
        if (!records.domainRecorded(tx, domid)) {
            throw new RegionRefusedException(domid, id, Reason.DOMAIN_NOT_FOUND, "the domain has no xenstore "
                    + "directory " + records.domainDirectory(domid) + " (not set up by a toolstack yet?)");
        }
        records.roleEntry(tx, domid, id).ifPresent(role -> {
            throw new RegionRefusedException(domid, id, Reason.ID_IN_USE, "the domain already uses this id"
                    + (role.isEmpty() ? "" : " (as " + role + ")"));
        });
    }

    /** Clears the marks of every region of the attach: from here on the attach has happened. */
    private void complete(Worker worker) {
        seams.transact(domid, null, "completing the attach", tx -> {
            for (Step step : done) {
                Role role = step.spec().role();
                if (!records.heldBy(tx, step.spec().id(), domid, role, worker)) {
                    throw new RegionRefusedException(domid, step.spec().id(), Reason.BUSY,
                            "another process took over this pending attach (a concurrent reconcile?)");
                }
                records.clearMark(tx, step.spec().id(), domid, role);
            }
            return null;
        });
    }

    /** Undoes what this attach did; adds a {@link CleanupIncompleteException} to cause if it cannot. */
    private void rollBack(PageBatch batch, Worker worker, RuntimeException cause) {
        if (done.isEmpty()) {
            log.warn("domain {}: attach failed, nothing to undo: {}", domid, cause.getMessage());
            return;
        }
        log.warn("domain {}: attach failed, undoing {} region(s): {}", domid, done.size(), cause.getMessage());
        Map<String, PageRuns> stuck = new LinkedHashMap<>();
        for (Step step : done.reversed()) {
            if (step instanceof Borrowed b) {
                PageRuns failures = new PageRuns();
                unmapper.unmap(domid, b.spec.id(), b.spec.firstGfn(), b.mappedPages, failures, true);
                if (b.chunkInBatch) {
                    unmapper.unmapAttempted(domid, batch, failures);
                }
                if (!failures.isEmpty()) {
                    log.warn("domain {}: static_shm {}: could not unmap {}", domid, b.spec.id(),
                            PageRuns.describe(failures.runs()));
                    stuck.put(b.spec.id(), failures);
                }
            }
        }
        RuntimeException storeFailure = null;
        try {
            seams.transact(domid, null, "removing the records of the failed attach", tx -> {
                for (Step step : done) {
                    String id = step.spec().id();
                    Role role = step.spec().role();
                    if (!records.heldBy(tx, id, domid, role, worker)) {
                        continue;
                    }
                    if (role == Role.OWNER) {
                        records.releaseOwner(tx, id, domid);
                    } else if (stuck.containsKey(id)) {
                        records.markUnmapping(tx, id, domid);
                    } else {
                        records.removeBorrower(tx, id, domid);
                    }
                }
                return null;
            });
        } catch (RuntimeException e) {
            storeFailure = e;
        }
        if (stuck.isEmpty() && storeFailure == null) {
            log.info("domain {}: failed attach undone", domid);
            return;
        }
        List<PageRun> stillMapped = stuck.values().stream().flatMap(runs -> runs.runs().stream()).toList();
        CleanupIncompleteException incomplete = new CleanupIncompleteException(domid, null,
                "the failed attach could not be completely undone" + (storeFailure == null ? ""
                        : " (its records are still marked as in progress)"), stillMapped, storeFailure);
        log.error("{}", incomplete.getMessage());
        cause.addSuppressed(incomplete);
    }
}
