package org.xensshm.engine;

import static org.xensshm.engine.StoreLayout.ATTACHING;
import static org.xensshm.engine.StoreLayout.BEGIN;
import static org.xensshm.engine.StoreLayout.CACHE_POLICY;
import static org.xensshm.engine.StoreLayout.END;
import static org.xensshm.engine.StoreLayout.MAPPING;
import static org.xensshm.engine.StoreLayout.MASTER;
import static org.xensshm.engine.StoreLayout.OFFSET;
import static org.xensshm.engine.StoreLayout.ORPHANED;
import static org.xensshm.engine.StoreLayout.PROT;
import static org.xensshm.engine.StoreLayout.REGIONS;
import static org.xensshm.engine.StoreLayout.ROLE;
import static org.xensshm.engine.StoreLayout.STATE;
import static org.xensshm.engine.StoreLayout.UNMAPPING;
import static org.xensshm.engine.StoreLayout.USERCNT;
import static org.xensshm.engine.StoreLayout.WORKER;
import static org.xensshm.engine.StoreLayout.hex;
import static org.xensshm.engine.StoreLayout.region;
import static org.xensshm.engine.StoreLayout.regionField;
import static org.xensshm.engine.StoreLayout.slave;
import static org.xensshm.engine.StoreLayout.slaveField;
import static org.xensshm.engine.StoreLayout.slaves;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xensshm.engine.RegionRefusedException.Reason;
import org.xensshm.engine.RegionStatus.BorrowerStatus;
import org.xensshm.spec.InvalidSpecException;
import org.xensshm.spec.PageRange;
import org.xensshm.spec.Role;
import org.xensshm.spec.SpecValidator;
import org.xensshm.spec.SshmSpec;
import org.xensshm.xen.Errno;
import org.xensshm.xen.PageBatch;
import org.xensshm.xen.XenCallException;
import org.xensshm.xen.XsPermission;

/**
 * Sets up and tears down static shared memory: an owner domain offers a range of its RAM under a
 * region id, borrower domains map (part of) it into their own physmaps. What the seed patch did at
 * domain build, as operations on running domains that either complete or leave nothing behind.
 *
 * <h2>Records</h2>
 * Regions are recorded in xenstore in the seed's layout (see {@code StoreLayout}): the owner writes
 * {@code /libxl/static_shm/<id>/} (readable by dom0 only) and its role under its own domain path;
 * each borrower adds {@code slaves/<domid>/} and raises {@code usercnt}. Two extra nodes, which the
 * seed's C code ignores, make the engine crash safe: {@code state} (an attach or detach in
 * progress) and {@code worker} (which process is doing it).
 *
 * <h2>Attach</h2>
 * {@link #attach} handles a domain's specs in order. An owner's record is written in one
 * transaction, marked {@code attaching}. A borrower's entry is written first, marked
 * {@code mapping}, after checking the owner's record; then the owner's pages are mapped in chunks
 * of {@link EngineSettings#chunkPages()} through one reused off-heap batch. Finally one transaction
 * clears every mark: that commit is the attach's point of no return. On any failure before it,
 * every page this call mapped is unmapped and every entry it wrote is removed, for all specs of
 * the call; if even that fails, what is left stays marked and {@link #reconcile()} finishes it.
 * Hypercalls never run inside a transaction, so a transaction retried after a conflict never
 * repeats one.
 *
 * <h2>Detach</h2>
 * {@link #detach} decides everything in one transaction: borrowed regions are marked
 * {@code unmapping}, owned regions are released. Then the borrowed pages are unmapped and the
 * entries removed. A failure before that transaction commits changes nothing; after it, the
 * detach is decided and {@link #reconcile()}, or calling detach again, finishes it.
 *
 * <h2>An owner that leaves first</h2>
 * When an owner detaches while borrowers still map its pages, its role entry goes and the record
 * stays, marked {@code orphaned}, with {@code usercnt} counting the borrowers only. Xen keeps the
 * pages alive for as long as a foreign mapping references them, so the borrowers keep working.
 * The orphaned region takes no new borrower and no new owner (both are refused with
 * {@link Reason#ORPHANED}); the record goes when its last borrower detaches.
 *
 * <h2>Reconcile</h2>
 * {@link #reconcile()} finishes what interrupted or failed operations left: it undoes attaches
 * (unmapping the borrower's whole recorded range; entries not mapped are skipped), finishes
 * detaches, and drops the entries of domains that no longer exist (their pages went with them;
 * an owner that is gone releases its region as above). It leaves alone work of operations still
 * running in this JVM or in another live process.
 *
 * <p>Thread-safe: one engine may run operations for several domains at once; xenstore
 * transactions arbitrate between them and between processes.
 */
public final class StaticShmEngine {

    private static final Logger log = LoggerFactory.getLogger(StaticShmEngine.class);
    private static final List<XsPermission> DOM0_ONLY = List.of(new XsPermission(0, XsPermission.Access.NONE));
    private static final int NO_DOMAIN = SshmException.NO_DOMAIN;

    private final Hypervisor hypervisor;
    private final Store store;
    private final EngineSettings settings;

    public StaticShmEngine(Hypervisor hypervisor, Store store) {
        this(hypervisor, store, EngineSettings.defaults());
    }

    public StaticShmEngine(Hypervisor hypervisor, Store store, EngineSettings settings) {
        this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
        this.store = Objects.requireNonNull(store, "store");
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    public EngineSettings settings() {
        return settings;
    }

    // ---- attach ---------------------------------------------------------------------------------

    /** A region this attach has recorded, and for a borrower how far its mapping got. */
    private sealed interface Attached permits Owned, Borrowed {
        SshmSpec spec();
    }

    private record Owned(SshmSpec spec) implements Attached {
    }

    private static final class Borrowed implements Attached {
        final SshmSpec spec;
        final int owner;
        final long firstSourcePage;
        /** Pages [0, mappedPages) of the region are mapped: every chunk before the current one. */
        long mappedPages;
        /** The batch holds this region's current chunk, whose entries with error 0 are mapped. */
        boolean chunkInBatch;

        Borrowed(SshmSpec spec, int owner, long firstSourcePage) {
            this.spec = spec;
            this.owner = owner;
            this.firstSourcePage = firstSourcePage;
        }

        @Override
        public SshmSpec spec() {
            return spec;
        }
    }

    /**
     * Sets up a domain's regions: owned ones are recorded for borrowers to find, borrowed ones are
     * mapped from their owners. All or nothing: on failure, nothing this call did remains, for
     * any of the specs (unless the exception {@link SshmException#needsReconcile() says}
     * otherwise).
     *
     * <p>The specs go through {@link SpecValidator}'s domain-wide checks on the host's platform
     * first (ids, overlaps, what the platform supports). Then this checks what only the host can
     * tell: the domain and its xenstore directory exist, the id is not used by the domain yet, an
     * owner's id has no other owner, and a borrower's owner is attached and alive, grants the
     * access asked for and covers {@code [offset, offset + size)}.
     *
     * @throws RegionRefusedException    when the host's state does not allow a spec
     * @throws MapSpaceRefusedException  when the hypervisor refuses the configured map space
     * @throws PageMappingException      when particular pages cannot be mapped
     * @throws BackendFailureException   when a hypercall or xenstore operation fails as a whole
     * @throws InvalidSpecException     when the specs are not valid together for this host
     * @throws IllegalArgumentException  for a domid outside 0..0x7FEF
     */
    public void attach(int domid, List<SshmSpec> specs) {
        checkDomid(domid);
        List<SshmSpec> todo = List.copyOf(specs);
        // Specs built in code skip the config reader: check what concerns the domain as a whole
        // (ids, overlaps, the host's platform) before anything is touched.
        SpecValidator.validate("domain " + domid, todo.stream().map(SshmSpec::toDraft).toList(), hypervisor.platform());
        if (todo.isEmpty()) {
            return;
        }
        if (!exists(domid, null, domid)) {
            throw new RegionRefusedException(domid, null, Reason.DOMAIN_NOT_FOUND, "the domain does not exist");
        }
        long largest = todo.stream().filter(s -> s.role() == Role.BORROWER).mapToLong(SshmSpec::pageCount).max().orElse(0);
        List<Attached> attached = new ArrayList<>();
        try (Worker worker = Worker.start();
             PageBatch batch = largest == 0 ? null : PageBatch.allocate((int) Math.min(settings.chunkPages(), largest))) {
            try {
                for (SshmSpec spec : todo) {
                    if (spec.role() == Role.OWNER) {
                        recordOwner(domid, spec, worker);
                        attached.add(new Owned(spec));
                    } else {
                        Borrowed borrowed = recordBorrower(domid, spec, worker);
                        attached.add(borrowed);
                        mapPages(domid, borrowed, batch);
                    }
                }
                complete(domid, attached, worker);
            } catch (RuntimeException e) {
                try {
                    rollBack(domid, attached, batch, worker, e);
                } catch (RuntimeException rollbackBug) {
                    e.addSuppressed(rollbackBug);
                }
                throw e;
            }
        }
        log.info("domain {}: attached static_shm {}", domid,
                todo.stream().map(s -> s.id() + " (" + s.role() + ")").toList());
    }

    private void recordOwner(int domid, SshmSpec spec, Worker worker) {
        String id = spec.id();
        transact(domid, id, "recording the owner's region", tx -> {
            String roleDir = requireUnused(tx, domid, id);
            Optional<RegionRecord> existing = RegionRecord.read(tx, id);
            if (existing.isPresent()) {
                RegionRecord other = existing.get();
                throw other.state() == RegionStatus.State.ORPHANED
                        ? new RegionRefusedException(domid, id, Reason.ORPHANED, "its previous owner, domain "
                        + other.master() + ", left while borrowers " + other.slaves() + " still map its pages; "
                        + "it can be owned again once they have detached")
                        : new RegionRefusedException(domid, id, Reason.ALREADY_OWNED,
                        "domain " + other.master() + " already owns it (a region has one owner)");
            }
            tx.mkdir(region(id));
            tx.setPermissions(region(id), DOM0_ONLY);
            tx.write(regionField(id, MASTER), Integer.toString(domid));
            tx.write(regionField(id, BEGIN), hex(spec.begin()));
            tx.write(regionField(id, END), hex(spec.end()));
            tx.write(regionField(id, PROT), spec.prot().toString());
            tx.write(regionField(id, CACHE_POLICY), spec.cachePolicy().configName());
            tx.write(regionField(id, USERCNT), "1");
            tx.write(regionField(id, STATE), ATTACHING);
            tx.write(regionField(id, WORKER), worker.token());
            tx.write(roleDir + "/" + ROLE, Role.OWNER.seedName());
            return null;
        });
        log.debug("domain {}: static_shm {} recorded as owner of [{}, {})", domid, id, hex(spec.begin()), hex(spec.end()));
    }

    private Borrowed recordBorrower(int domid, SshmSpec spec, Worker worker) {
        String id = spec.id();
        Borrowed borrowed = transact(domid, id, "recording the borrower's mapping", tx -> {
            String roleDir = requireUnused(tx, domid, id);
            RegionRecord owner = RegionRecord.read(tx, id).orElseThrow(() -> new RegionRefusedException(domid, id,
                    Reason.NO_OWNER, "no owner has set up this region (attach its owner first)"));
            switch (owner.state()) {
                case ORPHANED -> throw new RegionRefusedException(domid, id, Reason.ORPHANED, "its owner, domain "
                        + owner.master() + ", has released it; it takes no new borrowers and goes away when "
                        + "its remaining borrowers " + owner.slaves() + " detach");
                case ATTACHING -> throw new RegionRefusedException(domid, id, Reason.BUSY, "its owner, domain "
                        + owner.master() + (Worker.isAlive(owner.worker()) ? ", is still being attached; try again"
                        : ", was not attached completely; run reconcile"));
                case ACTIVE -> {
                }
            }
            if (!exists(domid, id, owner.master())) {
                throw new RegionRefusedException(domid, id, Reason.OWNER_GONE, "its owner, domain "
                        + owner.master() + ", no longer exists; run reconcile to clean up its record");
            }
            if (owner.slaves().contains(domid)) {
                throw new RegionRefusedException(domid, id, Reason.ID_IN_USE,
                        "the region already lists this domain as a borrower; run reconcile");
            }
            if (!owner.prot().grants(spec.prot())) {
                throw new RegionRefusedException(domid, id, Reason.PROT_NOT_GRANTED,
                        "asks for " + spec.prot() + " but its owner grants " + owner.prot());
            }
            PageRange source = spec.ownerPagesWithin(new PageRange(owner.firstPage(), owner.pages()))
                    .orElseThrow(() -> new RegionRefusedException(domid, id, Reason.OUTSIDE_OWNER_REGION, "offset "
                            + hex(spec.offset()) + " + size " + hex(spec.size()) + " exceeds the owner's region ["
                            + hex(owner.begin()) + ", " + hex(owner.end()) + ") of "
                            + hex(owner.end() - owner.begin()) + " bytes"));
            tx.write(slaveField(id, domid, BEGIN), hex(spec.begin()));
            tx.write(slaveField(id, domid, END), hex(spec.end()));
            tx.write(slaveField(id, domid, OFFSET), hex(spec.offset()));
            tx.write(slaveField(id, domid, PROT), spec.prot().toString());
            tx.write(slaveField(id, domid, STATE), MAPPING);
            tx.write(slaveField(id, domid, WORKER), worker.token());
            tx.write(roleDir + "/" + ROLE, Role.BORROWER.seedName());
            tx.write(regionField(id, USERCNT), Integer.toString(1 + tx.list(slaves(id)).size()));
            return new Borrowed(spec, owner.master(), source.first());
        });
        log.debug("domain {}: static_shm {} recorded as borrower of domain {}", domid, id, borrowed.owner);
        return borrowed;
    }

    /**
     * Checks that the domain has its xenstore directory and does not use the id yet; returns the
     * domain's directory for the id.
     */
    private String requireUnused(StoreTransaction tx, int domid, String id) {
        String domainPath = store.domainPath(domid);
        if (tx.read(domainPath).isEmpty()) {
            throw new RegionRefusedException(domid, id, Reason.DOMAIN_NOT_FOUND,
                    "the domain has no xenstore directory " + domainPath + " (not set up by a toolstack yet?)");
        }
        String roleDir = StoreLayout.domainRegions(domainPath) + "/" + id;
        if (tx.read(roleDir).isPresent()) {
            throw new RegionRefusedException(domid, id, Reason.ID_IN_USE, "the domain already uses this id"
                    + tx.read(roleDir + "/" + ROLE).map(role -> " (as " + role + ")").orElse(""));
        }
        return roleDir;
    }

    private void mapPages(int domid, Borrowed region, PageBatch batch) {
        SshmSpec spec = region.spec;
        while (region.mappedPages < spec.pageCount()) {
            int n = (int) Math.min(batch.capacity(), spec.pageCount() - region.mappedPages);
            batch.fillRange(region.firstSourcePage + region.mappedPages, spec.firstGfn() + region.mappedPages, n);
            batch.resetErrors();
            region.chunkInBatch = true;
            try {
                hypervisor.addToPhysmapBatch(domid, region.owner, settings.mapSpace(), batch);
            } catch (XenCallException e) {
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
                throw spaceRefused
                        ? new MapSpaceRefusedException(domid, spec.id(), region.owner, settings.mapSpace(), uniformErrno)
                        : new PageMappingException(domid, spec.id(), region.owner, failures.runs());
            }
            region.mappedPages += n;
            region.chunkInBatch = false;
            log.debug("domain {}: static_shm {}: mapped {}/{} pages", domid, spec.id(), region.mappedPages, spec.pageCount());
        }
    }

    /** Clears the marks of every region of the attach: from here on the attach has happened. */
    private void complete(int domid, List<Attached> attached, Worker worker) {
        transact(domid, null, "completing the attach", tx -> {
            for (Attached a : attached) {
                String base = a instanceof Owned ? region(a.spec().id()) : slave(a.spec().id(), domid);
                if (!worker.wrote(tx.read(base + "/" + WORKER))) {
                    throw new RegionRefusedException(domid, a.spec().id(), Reason.BUSY,
                            "another process took over this pending attach (a concurrent reconcile?)");
                }
                tx.remove(base + "/" + STATE);
                tx.remove(base + "/" + WORKER);
            }
            return null;
        });
    }

    /** Undoes what this attach did; adds a {@link CleanupIncompleteException} to cause if it cannot. */
    private void rollBack(int domid, List<Attached> attached, PageBatch batch, Worker worker, RuntimeException cause) {
        if (attached.isEmpty()) {
            log.warn("domain {}: attach failed, nothing to undo: {}", domid, cause.getMessage());
            return;
        }
        log.warn("domain {}: attach failed, undoing {} region(s): {}", domid, attached.size(), cause.getMessage());
        Map<String, PageRuns> stuck = new LinkedHashMap<>();
        for (Attached a : attached.reversed()) {
            if (a instanceof Borrowed b) {
                PageRuns failures = new PageRuns();
                unmap(domid, b.spec.id(), b.spec.firstGfn(), b.mappedPages, failures, true);
                if (b.chunkInBatch) {
                    // Entries that failed were not mapped by this call: whatever is at their gfn is
                    // not ours. Entries without a result (the call failed as a whole) may have been
                    // mapped before it failed, so they count as mapped; a leaked mapping would give
                    // the borrower access that no record shows.
                    for (int i = 0; i < batch.count(); i++) {
                        int error = batch.error(i);
                        if ((error == 0 || error == PageBatch.NOT_ATTEMPTED)
                                && removePage(domid, batch.targetPage(i), failures) == Removal.DOMAIN_GONE) {
                            break;
                        }
                    }
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
            transact(domid, null, "removing the records of the failed attach", tx -> {
                for (Attached a : attached) {
                    String id = a.spec().id();
                    if (a instanceof Owned) {
                        if (worker.wrote(tx.read(regionField(id, WORKER)))) {
                            releaseOwner(tx, id, domid);
                        }
                    } else if (worker.wrote(tx.read(slaveField(id, domid, WORKER)))) {
                        if (stuck.containsKey(id)) {
                            tx.write(slaveField(id, domid, STATE), UNMAPPING);
                        } else {
                            removeBorrower(tx, id, domid);
                        }
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

    // ---- detach ---------------------------------------------------------------------------------

    /** A borrower entry marked unmapping whose pages are to be unmapped and entry removed. */
    private record Unmapping(String id, int domid, long firstGfn, long pages, BorrowerStatus.State was) {
        static Unmapping of(RegionRecord.Slave slave) {
            return new Unmapping(slave.id(), slave.domid(), slave.firstGfn(), slave.pages(), slave.state());
        }
    }

    private record DetachPlan(List<DetachReport.Released> owned, List<Unmapping> borrowed) {
    }

    /**
     * Tears down a domain's regions: borrowed pages are unmapped and the domain's entries removed,
     * lowering each region's {@code usercnt}; owned regions are released (removed when nobody maps
     * them, else orphaned: see the class description). A record goes when its last user leaves.
     * Also finishes detaches and attaches of this domain that were interrupted. A domain that no
     * longer exists has lost its pages already; only its entries are removed.
     *
     * <p>If this throws before the detach was recorded, nothing changed; after that (a
     * {@link CleanupIncompleteException}), the regions are marked {@code unmapping} and
     * {@link #reconcile()}, or another detach, finishes them.
     *
     * @throws RegionRefusedException   {@link Reason#BUSY} when another live operation works on
     *                                  one of the domain's regions, or a record is unreadable
     * @throws BackendFailureException  when the detach could not be recorded
     * @throws CleanupIncompleteException when pages or entries could not be removed after it was
     */
    public DetachReport detach(int domid) {
        checkDomid(domid);
        try (Worker worker = Worker.start()) {
            DetachPlan plan = transact(domid, null, "recording the detach", tx -> planDetach(tx, domid, worker));
            List<DetachReport.Released> released = new ArrayList<>(plan.owned());
            Sweep sweep;
            try {
                sweep = sweep(plan.borrowed(), worker);
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
            DetachReport report = new DetachReport(domid, released);
            log.info("domain {}: detached static_shm {}", domid, report.regions());
            return report;
        }
    }

    private DetachPlan planDetach(StoreTransaction tx, int domid, Worker worker) {
        List<DetachReport.Released> owned = new ArrayList<>();
        List<Unmapping> borrowed = new ArrayList<>();
        // Only the nodes that tell whether the region concerns this domain are read for every
        // region, so that changes to unrelated regions do not make this transaction conflict.
        for (String id : tx.list(REGIONS)) {
            boolean owns = tx.read(regionField(id, MASTER)).filter(Integer.toString(domid)::equals).isPresent();
            boolean borrows = tx.read(slave(id, domid)).isPresent();
            if (!owns && !borrows) {
                continue;
            }
            RegionRecord record = RegionRecord.read(tx, id).orElseThrow();
            if (owns && record.state() != RegionStatus.State.ORPHANED) {
                if (record.state() == RegionStatus.State.ATTACHING && Worker.isAlive(record.worker())) {
                    throw new RegionRefusedException(domid, id, Reason.BUSY, "its attach is still in progress");
                }
                owned.add(new DetachReport.Released(id, Role.OWNER, releaseOwner(tx, id, domid)));
            }
            if (borrows) {
                RegionRecord.Slave entry = RegionRecord.Slave.read(tx, id, domid).orElseThrow();
                if (entry.state() != BorrowerStatus.State.MAPPED && Worker.isAlive(entry.worker())) {
                    throw new RegionRefusedException(domid, id, Reason.BUSY,
                            "an attach or detach of this borrower is still in progress");
                }
                tx.write(slaveField(id, domid, STATE), UNMAPPING);
                tx.write(slaveField(id, domid, WORKER), worker.token());
                borrowed.add(Unmapping.of(entry));
            }
        }
        return new DetachPlan(owned, borrowed);
    }

    /**
     * What unmapping a set of borrower entries achieved. Entries not done stay marked unmapping.
     *
     * @param done         entries whose pages are gone and whose records were removed
     * @param stuck        entries with pages that could not be unmapped
     * @param unrecorded   entries unmapped whose records could not be removed, because of storeFailure
     * @param storeFailure why removing the records failed, or null
     */
    private record Sweep(List<Unmapping> done, Map<Unmapping, List<PageRun>> stuck, List<Unmapping> unrecorded,
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

    /** Unmaps the whole recorded range of each entry, then removes the entries fully unmapped. */
    private Sweep sweep(List<Unmapping> work, Worker worker) {
        Map<Unmapping, List<PageRun>> stuck = new LinkedHashMap<>();
        List<Unmapping> unmapped = new ArrayList<>();
        for (Unmapping u : work) {
            PageRuns failures = new PageRuns();
            // A domain that is gone took its physmap with it.
            if (exists(u.domid(), u.id(), u.domid())) {
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
                ? unmapped.getFirst().domid() : NO_DOMAIN;
        try {
            List<Unmapping> done = transact(domid, null, "removing unmapped borrower entries", tx -> {
                List<Unmapping> removed = new ArrayList<>();
                for (Unmapping u : unmapped) {
                    // Another process may have taken over the entry meanwhile; it is then its job.
                    if (worker.wrote(tx.read(slaveField(u.id(), u.domid(), WORKER)))) {
                        removeBorrower(tx, u.id(), u.domid());
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
    private void unmap(int domid, String id, long first, long count, PageRuns failures, boolean expectMapped) {
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

    private enum Removal { REMOVED, ABSENT, DOMAIN_GONE, FAILED }

    private Removal removePage(int domid, long gfn, PageRuns failures) {
        try {
            hypervisor.removeFromPhysmap(domid, gfn);
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

    // ---- records shared by attach, detach and reconcile ----------------------------------------

    /** The owner leaves: its record goes if nobody borrows, else stays orphaned. */
    private DetachReport.Outcome releaseOwner(StoreTransaction tx, String id, int owner) {
        removeRole(tx, id, owner);
        if (tx.list(slaves(id)).isEmpty()) {
            removeRegion(tx, id);
            log.debug("static_shm {}: record removed with its owner, domain {}", id, owner);
            return DetachReport.Outcome.REMOVED;
        }
        tx.write(regionField(id, STATE), ORPHANED);
        tx.remove(regionField(id, WORKER));
        settle(tx, id, false);
        log.warn("static_shm {}: owner domain {} left while borrowers map its pages; the region is orphaned "
                + "until they detach", id, owner);
        return DetachReport.Outcome.ORPHANED;
    }

    private void removeBorrower(StoreTransaction tx, String id, int domid) {
        tx.remove(slave(id, domid));
        removeRole(tx, id, domid);
        boolean ownerPresent = !tx.read(regionField(id, STATE)).filter(ORPHANED::equals).isPresent();
        settle(tx, id, ownerPresent);
    }

    /** Rewrites usercnt from who is left, and removes the record when nobody is. */
    private void settle(StoreTransaction tx, String id, boolean ownerPresent) {
        List<String> borrowers = tx.list(slaves(id));
        int users = (ownerPresent ? 1 : 0) + borrowers.size();
        if (users == 0) {
            removeRegion(tx, id);
            return;
        }
        if (borrowers.isEmpty()) {
            tx.remove(slaves(id));
        }
        tx.write(regionField(id, USERCNT), Integer.toString(users));
    }

    /** Removes the record, and the directories above it that only existed for records. */
    private void removeRegion(StoreTransaction tx, String id) {
        tx.remove(region(id));
        if (tx.list(REGIONS).isEmpty()) {
            tx.remove(REGIONS);
            if (tx.list(StoreLayout.LIBXL).isEmpty()) {
                tx.remove(StoreLayout.LIBXL);
            }
        }
    }

    private void removeRole(StoreTransaction tx, String id, int domid) {
        String dir = StoreLayout.domainRegions(store.domainPath(domid));
        tx.remove(dir + "/" + id);
        if (tx.list(dir).isEmpty()) {
            tx.remove(dir);
        }
    }

    // ---- reconcile ------------------------------------------------------------------------------

    private record RegionPlan(List<ReconcileReport.Action> decided, List<Unmapping> takenOver) {
    }

    /**
     * Brings every region record in line with what exists: undoes attaches and finishes detaches
     * that were interrupted (by a crash, or a failure whose cleanup failed too), drops entries of
     * domains that no longer exist (an owner that is gone releases its region, as if it had
     * detached), and repairs a {@code usercnt} that does not match. Work of operations that are
     * still running, in this JVM or in another live process, is left alone and reported as
     * skipped. Safe to run at any time; meant for toolstack start.
     *
     * @throws BackendFailureException when the list of regions cannot be read; failures on one
     *                                 region are reported in the result and do not stop the others
     */
    public ReconcileReport reconcile() {
        List<ReconcileReport.Action> actions = new ArrayList<>();
        try (Worker worker = Worker.start()) {
            for (String id : transact(NO_DOMAIN, null, "listing the regions", tx -> tx.list(REGIONS))) {
                try {
                    reconcileRegion(id, worker, actions);
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

    private void reconcileRegion(String id, Worker worker, List<ReconcileReport.Action> actions) {
        RegionPlan plan = transact(NO_DOMAIN, id, "reconciling the region", tx -> planRegion(tx, id, worker));
        actions.addAll(plan.decided());
        if (plan.takenOver().isEmpty()) {
            return;
        }
        Sweep sweep;
        try {
            sweep = sweep(plan.takenOver(), worker);
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

    private RegionPlan planRegion(StoreTransaction tx, String id, Worker worker) {
        List<ReconcileReport.Action> decided = new ArrayList<>();
        List<Unmapping> takenOver = new ArrayList<>();
        Optional<RegionRecord> found;
        try {
            found = RegionRecord.read(tx, id);
        } catch (RecordFormatException e) {
            return new RegionPlan(List.of(new ReconcileReport.Skipped(id, NO_DOMAIN, e.getMessage())), List.of());
        }
        if (found.isEmpty()) {
            return new RegionPlan(List.of(), List.of());
        }
        RegionRecord record = found.get();
        for (int domid : record.slaves()) {
            RegionRecord.Slave entry;
            try {
                entry = RegionRecord.Slave.read(tx, id, domid).orElseThrow();
            } catch (RecordFormatException e) {
                decided.add(new ReconcileReport.Skipped(id, domid, e.getMessage()));
                continue;
            }
            boolean pending = entry.state() != BorrowerStatus.State.MAPPED;
            if (pending && Worker.isAlive(entry.worker())) {
                decided.add(new ReconcileReport.Skipped(id, domid, "a running operation is "
                        + (entry.state() == BorrowerStatus.State.MAPPING ? "mapping" : "unmapping") + " it"));
            } else if (!exists(domid, id, domid)) {
                removeBorrower(tx, id, domid);
                decided.add(new ReconcileReport.DomainGone(id, domid, Role.BORROWER));
            } else if (pending) {
                tx.write(slaveField(id, domid, STATE), UNMAPPING);
                tx.write(slaveField(id, domid, WORKER), worker.token());
                takenOver.add(Unmapping.of(entry));
            }
        }
        if (record.state() == RegionStatus.State.ATTACHING && Worker.isAlive(record.worker())) {
            decided.add(new ReconcileReport.Skipped(id, record.master(), "a running operation is attaching its owner"));
        } else if (record.state() == RegionStatus.State.ATTACHING) {
            releaseOwner(tx, id, record.master());
            decided.add(new ReconcileReport.AttachUndone(id, record.master(), Role.OWNER));
        } else if (record.state() == RegionStatus.State.ACTIVE && !exists(record.master(), id, record.master())) {
            releaseOwner(tx, id, record.master());
            decided.add(new ReconcileReport.DomainGone(id, record.master(), Role.OWNER));
        }
        if (tx.read(region(id)).isPresent()) {
            boolean ownerPresent = !tx.read(regionField(id, STATE)).filter(ORPHANED::equals).isPresent();
            int users = (ownerPresent ? 1 : 0) + tx.list(slaves(id)).size();
            String recorded = tx.read(regionField(id, USERCNT)).orElse("");
            if (!recorded.equals(Integer.toString(users))) {
                settle(tx, id, ownerPresent);
                decided.add(new ReconcileReport.CountRepaired(id, recorded, users));
            }
        }
        return new RegionPlan(decided, takenOver);
    }

    // ---- status ---------------------------------------------------------------------------------

    /** Every region recorded in xenstore, with its borrowers; reads only. */
    public HostStatus status() {
        Map<String, RegionStatus> regions = new TreeMap<>();
        Map<String, String> unreadable = new TreeMap<>();
        try (StoreTransaction tx = store.begin()) {
            for (String id : tx.list(REGIONS)) {
                try {
                    Optional<RegionRecord> record = RegionRecord.read(tx, id);
                    if (record.isPresent()) {
                        List<BorrowerStatus> borrowers = new ArrayList<>();
                        for (int domid : record.get().slaves()) {
                            RegionRecord.Slave.read(tx, id, domid).ifPresent(s -> borrowers.add(s.toStatus()));
                        }
                        regions.put(id, record.get().toStatus(borrowers));
                    }
                } catch (RecordFormatException e) {
                    unreadable.put(id, e.getMessage());
                }
            }
        } catch (XenCallException e) {
            throw new BackendFailureException(NO_DOMAIN, null, "reading the region records", e);
        }
        return new HostStatus(List.copyOf(regions.values()), unreadable);
    }

    // ---- plumbing -------------------------------------------------------------------------------

    /**
     * Runs {@code work} in a transaction and commits it, starting over on a conflict, at most
     * {@link EngineSettings#transactionAttempts()} times with a growing random pause in between.
     * {@code work} only touches the store (and asks whether domains exist), so repeating it is
     * harmless.
     */
    private <T> T transact(int domid, String id, String step, Function<StoreTransaction, T> work) {
        try {
            return store.inTransaction(settings.transactionAttempts(), settings.retryBackoff(), work);
        } catch (XenCallException e) {
            throw new BackendFailureException(domid, id, step, e);
        } catch (RecordFormatException e) {
            throw new RegionRefusedException(domid, id, Reason.CORRUPT_RECORD, e.getMessage());
        }
    }

    private boolean exists(int actingDomid, String id, int domid) {
        try {
            return hypervisor.domainExists(domid);
        } catch (XenCallException e) {
            throw new BackendFailureException(actingDomid, id, "looking up domain " + domid, e);
        }
    }

    private static void checkDomid(int domid) {
        if (domid < 0 || domid > StoreLayout.MAX_DOMID) {
            throw new IllegalArgumentException("not a guest domid (0..0x7FEF): " + domid);
        }
    }

}
