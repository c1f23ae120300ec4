package org.xensshm.engine;

import java.util.List;
import java.util.Objects;

import org.xensshm.engine.RegionRefusedException.Reason;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.Store;
import org.xensshm.host.StoreTransaction;
import org.xensshm.host.XenCallException;
import org.xensshm.spec.DomainSpecs;
import org.xensshm.spec.InvalidSpecException;
import org.xensshm.spec.SpecValidator;
import org.xensshm.spec.SshmSpec;

/**
 * Sets up and tears down static shared memory: an owner domain offers a range of its RAM under a
 * region id, borrower domains map (part of) it into their own physmaps. What the seed patch did at
 * domain build, as operations on running domains that either complete or leave nothing behind.
 *
 * <ul>
 * <li>{@link #attach} records what a domain owns and maps what it borrows, all or nothing, and
 * reports what it did ({@link AttachReport});
 * <li>{@link #detach} unmaps what a domain borrows and releases what it owns;
 * <li>{@link #reconcile()} finishes or undoes what an interrupted toolstack left;
 * <li>{@link #status()} reads what xenstore records.
 * </ul>
 *
 * <p>Regions are recorded in xenstore in the seed's layout, under {@code /libxl/static_shm/<id>}
 * (readable by dom0 only) and, per domain, a role entry under its own path; each record counts its
 * users. Two extra nodes the seed's C code ignores make the engine crash safe: {@code state}
 * (an attach or detach in progress) and {@code worker} (which process does it). Hypercalls never
 * run inside a transaction.
 *
 * <p><b>An owner that leaves first</b> (detached, or destroyed while borrowed): its role entry
 * goes and the record stays, marked {@code orphaned} and counting the borrowers only, until the
 * last borrower detaches. The orphaned region takes no new borrower and no new owner (both are
 * refused with {@link Reason#ORPHANED}).
 *
 * <p>Thread-safe: one engine may run operations for several domains at once; xenstore
 * transactions arbitrate between them and between processes.
 */
public final class StaticShmEngine {

    private final Seams seams;

    /**
     * An engine with the {@linkplain EngineSettings#defaults() default settings}.
     *
     * @param hypervisor the hypervisor to map pages with
     * @param store the xenstore to record regions in
     */
    public StaticShmEngine(Hypervisor hypervisor, Store store) {
        this(hypervisor, store, EngineSettings.defaults());
    }

    /**
     * An engine with these settings.
     *
     * @param hypervisor the hypervisor to map pages with
     * @param store the xenstore to record regions in
     * @param settings map space, chunk size, transaction attempts and backoff
     */
    public StaticShmEngine(Hypervisor hypervisor, Store store, EngineSettings settings) {
        this.seams = new Seams(Objects.requireNonNull(hypervisor, "hypervisor"), Objects.requireNonNull(store, "store"),
                Objects.requireNonNull(settings, "settings"));
    }

    /**
     * The settings this engine runs with.
     *
     * @return its settings
     */
    public EngineSettings settings() {
        return seams.settings();
    }

    /**
     * Sets up a domain's regions: owned ones are recorded for borrowers to find, borrowed ones are
     * mapped from their owners. All or nothing: on failure, nothing this call did remains, for
     * any of the specs (unless the exception {@link SshmException#needsReconcile() says}
     * otherwise). Once it returns, the attach has happened.
     *
     * <p>This checks what only the host can tell: the domain and its xenstore directory exist,
     * the id is not used by the domain yet, an owner's id has no other owner, and a borrower's
     * owner is attached and alive, grants the access asked for and covers
     * {@code [offset, offset + size)}. Specs checked for another platform than the host's are
     * checked again for the host's.
     *
     * @param domid the domain to attach
     * @param specs the domain's specs, as {@link SpecValidator} checked them together
     * @return each region recorded, and for each borrowed one the owner's frames it now maps
     * @throws RegionRefusedException   when the host's state does not allow a spec
     * @throws MapSpaceRefusedException when the hypervisor refuses the configured map space
     * @throws PageMappingException     when particular pages cannot be mapped
     * @throws BackendFailureException  when a hypercall or xenstore operation fails as a whole
     * @throws InvalidSpecException     when the specs are not valid on this host's platform
     * @throws IllegalArgumentException for a domid outside 0..0x7FEF
     */
    public AttachReport attach(int domid, DomainSpecs specs) {
        checkDomid(domid);
        DomainSpecs checked = specs.platform() == seams.hypervisor().platform() ? specs
                : SpecValidator.validate(specs.name(), specs.specs().stream().map(SshmSpec::toDraft).toList(),
                seams.hypervisor().platform());
        return new Attach(seams, domid, checked.specs()).run();
    }

    /**
     * {@link #attach(int, DomainSpecs)} for specs built one by one: they first go through
     * {@link SpecValidator}'s checks of a domain's specs together, on the host's platform.
     *
     * @param domid the domain to attach
     * @param specs the domain's specs
     * @return as {@link #attach(int, DomainSpecs)} returns
     * @throws InvalidSpecException when the specs are not valid together for this host
     */
    public AttachReport attach(int domid, List<SshmSpec> specs) {
        checkDomid(domid);
        return attach(domid, SpecValidator.validate("domain " + domid,
                specs.stream().map(SshmSpec::toDraft).toList(), seams.hypervisor().platform()));
    }

    /**
     * Tears down a domain's regions: borrowed pages are unmapped and the domain's entries removed,
     * lowering each region's count; owned regions are released (removed when nobody maps them,
     * else orphaned). A record goes when its last user leaves. Also finishes detaches and
     * attaches of this domain that were interrupted. A domain that no longer exists has lost its
     * pages already; only its entries are removed.
     *
     * <p>If this throws before the detach was recorded, nothing changed; after that (a
     * {@link CleanupIncompleteException}), the regions are marked {@code unmapping} and
     * {@link #reconcile()}, or another detach, finishes them.
     *
     * @param domid the domain to detach
     * @return what became of each of its regions
     * @throws RegionRefusedException     {@link Reason#BUSY} when another live operation works on
     *                                    one of the domain's regions, or a record is unreadable
     * @throws BackendFailureException    when the detach could not be recorded
     * @throws CleanupIncompleteException when pages or entries could not be removed after it was
     */
    public DetachReport detach(int domid) {
        checkDomid(domid);
        return new Detach(seams, domid).run();
    }

    /**
     * Brings every region record in line with what exists: undoes interrupted attaches, finishes
     * interrupted detaches, drops the entries of domains that are gone and repairs counts. Work of
     * operations still running, here or in another live process, is left alone and reported as
     * skipped. Safe to run at any time; meant for toolstack start.
     *
     * @return what was done and what was left alone
     * @throws BackendFailureException when the list of regions cannot be read; failures on one
     *                                 region are reported in the result and do not stop the others
     */
    public ReconcileReport reconcile() {
        return new Reconcile(seams).run();
    }

    /**
     * Every region recorded in xenstore, with its borrowers; reads only.
     *
     * @return the regions and their borrowers
     */
    public HostStatus status() {
        try (StoreTransaction tx = seams.store().begin()) {
            return seams.records().status(tx);
        } catch (XenCallException e) {
            throw new BackendFailureException(Seams.NO_DOMAIN, null, "reading the region records", e);
        }
    }

    private static void checkDomid(int domid) {
        if (domid < 0 || domid > RecordValues.MAX_DOMID) {
            throw new IllegalArgumentException("not a guest domid (0..0x7FEF): " + domid);
        }
    }
}
