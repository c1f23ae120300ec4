package org.xensshm.testkit.memory;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;

import org.xensshm.host.DomainInfo;
import org.xensshm.host.Errno;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.HypervisorIdentity;
import org.xensshm.host.MapSpace;
import org.xensshm.host.PageBatch;
import org.xensshm.host.XenCallException;
import org.xensshm.spec.Platform;
import org.xensshm.testkit.memory.Frames.Domain;
import org.xensshm.testkit.memory.Frames.Entry;

/**
 * A hypervisor in memory, with the same rules and error codes as the project's simulated
 * hypervisor (src/testkit/native/c/xensim.c, see src/testkit/native/XENSIM.md): domains with a p2m
 * each, pages holding real bytes and counting their references, and the hypercalls static shared
 * memory needs.
 *
 * <p>{@link #addToPhysmapBatch} works in calls of at most {@value #MAX_BATCH_ENTRIES} entries
 * (the ABI's uint16 size), like the native backend. A missing receiving domain fails a call as a
 * whole (ESRCH), and so does an entry whose gpfn is INVALID_GFN (EINVAL, after the entries before
 * it were done); everything else is a per-entry result, checked in this order:
 * <ul>
 * <li>a gfn fault set with {@link #failGfn}: its errno;
 * <li>{@link MapSpace#GMFN_FOREIGN}: ESRCH if the source is dom0 or missing, EINVAL when source
 * and receiver are the same domain, EPERM unless the receiver is dom0 or has the source as its
 * target (the default XSM rule for xsm_map_gmfn_foreign);
 * <li>{@link MapSpace#GMFN_SHARE}: ENOSYS on {@link Personality#STOCK stock} Xen; with the
 * series the caller (always dom0 here) may share between any two domains; ESRCH if the source is
 * dom0 or missing, EINVAL if it is the receiver;
 * <li>EINVAL when the source gfn is not RAM of the source (unpopulated, a mapping of another
 * domain's page, a page already freed, or the source is dying), or the target gfn lies beyond the
 * guest physical address size; ENOMEM when the receiver is dying;
 * <li>a target gfn that is already mapped is replaced, as Xen on Arm does (counted by
 * {@link #replacedMappings()}).
 * </ul>
 *
 * <p>References move as on Xen 4.17: a gmfn_foreign mapping takes one on the owner's page, and so
 * does a gmfn_share one on the {@link Personality#SERIES_FIXED fixed series}; the
 * {@link Personality#SERIES series as shipped} takes none. Removing any of them drops one, so on
 * the shipped series a detach frees a running owner's page. Replacing an entry with the same page
 * takes a reference and drops none (the leak of Xen's p2m). A destroyed domain stays, dying, while
 * its pages or it are referenced, and then goes. Dropping a reference on a free page
 * {@linkplain #panicked() panics} the hypervisor: every call fails with EIO from then on.
 *
 * <p>At most 64 domains exist at a time, each with up to 2^20 pages of its own RAM. All methods
 * are thread-safe.
 */
public final class InMemoryHypervisor implements Hypervisor {

    /** Entries per XENMEM_add_to_physmap_batch call: its size field is a uint16. */
    public static final int MAX_BATCH_ENTRIES = 0xFFFF;
    /** DOMID_FIRST_RESERVED: guest domids are below it. */
    public static final int FIRST_RESERVED_DOMID = 0x7FF0;
    private static final int DOMID_SELF = 0x7FF0;
    private static final long INVALID_GFN = ~0L;
    private static final int MAX_DOMAINS = 64;
    private static final long MAX_PAGES = 1L << 20;
    private static final int PAGE_SIZE = Frames.PAGE_SIZE;
    /** Guest physical address bits (the simulator's default): higher gfns cannot be mapped. */
    private static final int IPA_BITS = 40;
    /** What a scratch domain may hold, as the native layer sets it. */
    private static final long SCRATCH_MAX_PAGES = 256;

    /** Which Xen this behaves like. */
    public enum Personality {
        /** Xen 4.17 as released: no XENMAPSPACE_gmfn_share. */
        STOCK,
        /** The static shm series as its vendor ships it: gmfn_share mappings hold no page reference. */
        SERIES,
        /** The series with the reference kept, like gmfn_foreign. */
        SERIES_FIXED
    }

    /** Hypercall kinds, for fault injection and counting. */
    public enum Call {
        /** A batch of adds to a physmap, counted once per call. */
        ADD_TO_PHYSMAP_BATCH,
        /** One removal from a physmap. */
        REMOVE_FROM_PHYSMAP,
        /** A multicall of removals, counted once per call, whatever its entries. */
        REMOVE_FROM_PHYSMAP_BATCH
    }

    private record GfnKey(int domid, long gfn) {
    }

    /** Which hypercalls a gfn fault fails. */
    private record GfnFault(int errno, boolean removalsToo) {
    }

    private final Platform platform;
    private Personality personality;
    private final Map<Integer, Domain> domains = new HashMap<>();
    private final Frames frames = new Frames(domains);
    private final Map<Call, FaultCounter> callFaults = new EnumMap<>(Call.class);
    private final Map<GfnKey, GfnFault> gfnFaults = new HashMap<>();
    private long replaced;
    private long handles;
    private int domidRover;
    private String panic;

    /** An Arm host with the series, fixed. */
    public InMemoryHypervisor() {
        this(Personality.SERIES_FIXED, Platform.ARM);
    }

    /**
     * A hypervisor that behaves as {@code personality} on {@code platform}, with dom0 only.
     *
     * @param personality stock Xen 4.17 or the static shm series
     * @param platform what its capabilities report
     */
    public InMemoryHypervisor(Personality personality, Platform platform) {
        this.personality = Objects.requireNonNull(personality, "personality");
        this.platform = Objects.requireNonNull(platform, "platform");
        for (Call call : Call.values()) {
            callFaults.put(call, new FaultCounter());
        }
        domains.put(0, newDomain(0, MAX_PAGES));
    }

    @Override
    public Platform platform() {
        return platform;
    }

    @Override
    public synchronized HypervisorIdentity identity() {
        String flavour = personality.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        return new HypervisorIdentity("4.17", ".7-inmemory-" + flavour, "in-memory " + flavour,
                Integer.toHexString(flavour.hashCode()));
    }

    @Override
    public synchronized Optional<DomainInfo> domainInfo(int domid) {
        requireSane("xc_domain_getinfolist", "first_domain=" + domid);
        Domain d = domains.get(domid);
        if (d == null) {
            return Optional.empty();
        }
        int flags = (d.dying ? DomainInfo.DYING : 0) | (d.shutdown ? DomainInfo.SHUTDOWN : 0)
                | (d.pauseCount > 0 ? DomainInfo.PAUSED : 0);
        return Optional.of(new DomainInfo(domid, flags, d.owned.size(), d.maxPages, d.handle));
    }

    @Override
    public synchronized void addToPhysmapBatch(int domid, int sourceDomid, MapSpace space, PageBatch batch) {
        Objects.requireNonNull(space, "space");
        batch.resetErrors();
        int total = batch.count();
        for (int first = 0; first < total; first += MAX_BATCH_ENTRIES) {
            int size = Math.min(MAX_BATCH_ENTRIES, total - first);
            try {
                addChunk(domid, sourceDomid, space, batch, first, size);
            } catch (XenCallException e) {
                // As through libxenctrl: a call that failed as a whole reports no entry's result,
                // even for entries Xen had already done.
                for (int i = first; i < first + size; i++) {
                    batch.error(i, PageBatch.NOT_ATTEMPTED);
                }
                throw e;
            }
        }
    }

    private void addChunk(int domid, int sourceDomid, MapSpace space, PageBatch batch, int first, int size) {
        String args = "domid=" + domid + ", foreign=" + sourceDomid + ", space=" + space.abiValue() + ", size=" + size;
        requireSane("xc_domain_add_to_physmap_batch", args);
        callFaults.get(Call.ADD_TO_PHYSMAP_BATCH).count("xc_domain_add_to_physmap_batch", args);
        Domain receiver = domains.get(domid);
        if (receiver == null) {
            throw new XenCallException("xc_domain_add_to_physmap_batch", args, Errno.ESRCH);
        }
        Domain source = sourceOf(sourceDomid);
        for (int i = first; i < first + size; i++) {
            if (batch.targetPage(i) == INVALID_GFN) {
                throw new XenCallException("xc_domain_add_to_physmap_batch", args, Errno.EINVAL,
                        "entry " + i + " has INVALID_GFN as its target");
            }
            batch.error(i, -addOne(receiver, space, source, batch.sourcePage(i), batch.targetPage(i)));
        }
    }

    @Override
    public synchronized void removeFromPhysmap(int domid, long gfn) {
        String args = "domid=" + domid + ", gfn=0x" + Long.toHexString(gfn);
        requireSane("xc_domain_remove_from_physmap", args);
        callFaults.get(Call.REMOVE_FROM_PHYSMAP).count("xc_domain_remove_from_physmap", args);
        int errno = removeOne(domid, gfn);
        if (errno != 0) {
            throw new XenCallException("xc_domain_remove_from_physmap", args, errno,
                    errno == Errno.EIO ? panic : null);
        }
    }

    /** A multicall of removals: one result per entry, a failed entry does not stop the others. */
    @Override
    public synchronized void removeFromPhysmapBatch(int domid, PageBatch batch) {
        batch.resetErrors();
        String args = "domid=" + domid + ", entries=" + batch.count();
        requireSane("__HYPERVISOR_multicall", args);
        callFaults.get(Call.REMOVE_FROM_PHYSMAP_BATCH).count("__HYPERVISOR_multicall", args);
        for (int i = 0; i < batch.count(); i++) {
            batch.error(i, -removeOne(domid, batch.targetPage(i)));
        }
    }

    /** One removal; 0 or a positive errno. */
    private int removeOne(int domid, long gfn) {
        if (panic != null) {
            return Errno.EIO;
        }
        Domain domain = domains.get(domid);
        if (domain == null) {
            return Errno.ESRCH;
        }
        GfnFault fault = gfnFaults.get(new GfnKey(domid, gfn));
        if (fault != null && fault.removalsToo()) {
            return fault.errno();
        }
        Entry entry = domain.p2m.remove(gfn);
        if (entry == null) {
            return Errno.ENOENT;
        }
        if (entry.foreign()) {
            try {
                frames.put(entry.page());
            } catch (Frames.Panic e) {
                panic = e.getMessage();
                return Errno.EIO;
            }
        }
        return 0;
    }

    /**
     * get_pg_owner(), which both spaces look the owner up with: it refuses the caller's own id
     * (dom0) and finds dying domains too.
     */
    private Domain sourceOf(int sourceDomid) {
        if (sourceDomid == DOMID_SELF) {
            return domains.get(0);
        }
        return sourceDomid == 0 ? null : domains.get(sourceDomid);
    }

    /** One entry; returns 0 or a positive errno. */
    private int addOne(Domain receiver, MapSpace space, Domain source, long idx, long gpfn) {
        GfnFault fault = gfnFaults.get(new GfnKey(receiver.domid, gpfn));
        if (fault != null) {
            return fault.errno();
        }
        switch (space) {
            case GMFN_FOREIGN -> {
                if (source == null) {
                    return Errno.ESRCH;
                }
                if (source == receiver) {
                    return Errno.EINVAL;
                }
                if (!(receiver.domid == 0 || receiver.target == source.domid)) {
                    return Errno.EPERM;
                }
            }
            case GMFN_SHARE -> {
                if (personality == Personality.STOCK) {
                    return Errno.ENOSYS;
                }
                if (source == null) {
                    return Errno.ESRCH;
                }
                if (source == receiver) {
                    return Errno.EINVAL;
                }
            }
        }
        Entry from = source.p2m.get(idx);
        if (from == null || from.foreign() || from.page().free) {
            return Errno.EINVAL;   // also a dying owner's: its physmap is gone
        }
        if (!gfnInRange(gpfn)) {
            return Errno.EINVAL;
        }
        if (receiver.dying) {
            return Errno.ENOMEM;   // p2m_set_entry refuses a dying domain
        }
        Entry old = receiver.p2m.get(gpfn);
        if (old != null) {
            replaced++;
        }
        if (space == MapSpace.GMFN_FOREIGN || personality == Personality.SERIES_FIXED) {
            frames.get(from.page());
        }
        receiver.p2m.put(gpfn, new Entry(from.page(), true));
        // Xen's p2m lets go of the old entry only when the page differs: mapping the same page
        // again leaks a reference.
        if (old != null && old.foreign() && old.page() != from.page()) {
            frames.put(old.page());
        }
        return 0;
    }

    private boolean gfnInRange(long gfn) {
        return gfn >= 0 && gfn < 1L << (IPA_BITS - 12);
    }

    /** XEN_DOMCTL_set_target: EINVAL when the domain already has one (it can never change). */
    @Override
    public synchronized void setTarget(int domid, int target) {
        String args = "domid=" + domid + ", target=" + target;
        requireSane("xc_domain_set_target", args);
        Domain domain = existing("xc_domain_set_target", args, domid);
        Domain targeted = existing("xc_domain_set_target", args, target);
        if (target == domid || domain.target != -1) {
            throw new XenCallException("xc_domain_set_target", args, Errno.EINVAL);
        }
        domain.target = target;
        targeted.targetedBy++;
    }

    /** A domain that never runs, with room for a few pages; Xen's domid rover picks its id. */
    @Override
    public synchronized int createScratchDomain() {
        requireSane("xc_domain_create", "");
        for (int tries = 0; tries < FIRST_RESERVED_DOMID; tries++) {
            domidRover = domidRover % (FIRST_RESERVED_DOMID - 1) + 1;
            if (!domains.containsKey(domidRover)) {
                createDomain(domidRover);
                domains.get(domidRover).maxPages = SCRATCH_MAX_PAGES;
                return domidRover;
            }
        }
        throw new XenCallException("xc_domain_create", "", Errno.ENOSPC);
    }

    // ---- test bed control -------------------------------------------------------------------

    /**
     * Makes the hypervisor behave as {@code personality} from the next call on.
     *
     * @param personality the hypervisor to behave as
     */
    public synchronized void personality(Personality personality) {
        this.personality = Objects.requireNonNull(personality, "personality");
    }

    /**
     * The hypervisor it behaves as.
     *
     * @return the personality
     */
    public synchronized Personality personality() {
        return personality;
    }

    /**
     * Creates an empty domain. EINVAL for a domid outside 0..0x7FEF, EEXIST if it exists, ENOSPC past 64.
     *
     * @param domid the domain's id
     */
    public synchronized void createDomain(int domid) {
        String args = "domid=" + domid;
        if (domid < 0 || domid >= FIRST_RESERVED_DOMID) {
            throw new XenCallException("create_domain", args, Errno.EINVAL);
        }
        if (domains.containsKey(domid)) {
            throw new XenCallException("create_domain", args, Errno.EEXIST);
        }
        if (domains.size() >= MAX_DOMAINS) {
            throw new XenCallException("create_domain", args, Errno.ENOSPC);
        }
        domains.put(domid, newDomain(domid, MAX_PAGES));
    }

    private Domain newDomain(int domid, long maxPages) {
        return new Domain(domid, new UUID(0x5853_4d49_4e4d_454dL, ++handles), maxPages);
    }

    /**
     * Destroys a domain as XEN_DOMCTL_destroydomain does: its physmap is torn down, dropping the
     * references its entries and its RAM held, and it stays, dying, while its pages or it are
     * still referenced. ESRCH if missing, EPERM for dom0.
     */
    @Override
    public synchronized void destroyDomain(int domid) {
        String args = "domid=" + domid;
        requireSane("xc_domain_destroy", args);
        if (domid == 0) {
            throw new XenCallException("xc_domain_destroy", args, Errno.EPERM);
        }
        Domain domain = existing("xc_domain_destroy", args, domid);
        if (domain.dying) {
            return;
        }
        try {
            frames.destroy(domain);
        } catch (Frames.Panic e) {
            panic = e.getMessage();
            throw new XenCallException("xc_domain_destroy", args, Errno.EIO, panic);
        }
    }

    /**
     * Lets the domain run: one pause fewer (XEN_DOMCTL_unpausedomain). EINVAL when the toolstack
     * has not paused it, ESRCH if missing.
     */
    @Override
    public synchronized void unpause(int domid) {
        String args = "domid=" + domid;
        requireSane("xc_domain_unpause", args);
        Domain domain = existing("xc_domain_unpause", args, domid);
        if (domain.pauseCount == 0) {
            throw new XenCallException("xc_domain_unpause", args, Errno.EINVAL);
        }
        domain.pauseCount--;
    }

    /**
     * Pauses the domain as the toolstack does (XEN_DOMCTL_pausedomain), e.g. while building it
     * for {@code xl create -p}. EINVAL for dom0, ESRCH if missing.
     *
     * @param domid the domain
     */
    public synchronized void pause(int domid) {
        String args = "domid=" + domid;
        Domain domain = existing("xc_domain_pause", args, domid);
        if (domid == 0) {
            throw new XenCallException("xc_domain_pause", args, Errno.EINVAL);
        }
        domain.pauseCount++;
    }

    /**
     * Marks the domain shut down, as a guest's poweroff does before the toolstack destroys it.
     *
     * @param domid the domain
     */
    public synchronized void shutdown(int domid) {
        existing("shutdown", "domid=" + domid, domid).shutdown = true;
    }

    /**
     * Gives the domain a handle (the toolstack's UUID for it).
     *
     * @param domid the domain's id
     * @param handle its UUID
     */
    public synchronized void handle(int domid, UUID handle) {
        existing("set_handle", "domid=" + domid, domid).handle = Objects.requireNonNull(handle, "handle");
    }

    /**
     * Gives the domain fresh zeroed RAM; all or nothing: EEXIST if any gfn is mapped, EINVAL beyond
     * the IPA, ENOMEM past the domain's max_pages.
     */
    @Override
    public synchronized void populate(int domid, long firstGfn, long count) {
        String args = "domid=" + domid + ", gfn=0x" + Long.toHexString(firstGfn) + ", count=" + count;
        requireSane("populate", args);
        Domain domain = existing("populate", args, domid);
        if (count < 0 || !gfnInRange(firstGfn) || (count > 0 && !gfnInRange(firstGfn + count - 1)) || domain.dying) {
            throw new XenCallException("populate", args, Errno.EINVAL);
        }
        if (domain.owned.size() + count > domain.maxPages) {
            throw new XenCallException("populate", args, Errno.ENOMEM);
        }
        for (long gfn = firstGfn; gfn < firstGfn + count; gfn++) {
            if (domain.p2m.containsKey(gfn)) {
                throw new XenCallException("populate", args, Errno.EEXIST);
            }
        }
        for (long gfn = firstGfn; gfn < firstGfn + count; gfn++) {
            domain.p2m.put(gfn, new Entry(frames.allocate(domain), false));
        }
    }

    /**
     * Writes through the domain's p2m; EFAULT (nothing written) if a page is not mapped.
     *
     * @param domid the domain
     * @param address the guest-physical address
     * @param bytes what to write
     */
    public synchronized void writeGuest(int domid, long address, byte[] bytes) {
        Domain domain = existing("write_guest", "domid=" + domid, domid);
        checkMapped(domain, address, bytes.length);
        for (int done = 0; done < bytes.length; ) {
            long at = address + done;
            int inPage = (int) (at % PAGE_SIZE);
            int n = Math.min(bytes.length - done, PAGE_SIZE - inPage);
            System.arraycopy(bytes, done, domain.p2m.get(at / PAGE_SIZE).page().bytes(), inPage, n);
            done += n;
        }
    }

    /**
     * Reads through the domain's p2m; EFAULT if a page is not mapped.
     *
     * @param domid the domain
     * @param address the guest-physical address
     * @param length how many bytes
     * @return the bytes
     */
    public synchronized byte[] readGuest(int domid, long address, int length) {
        Domain domain = existing("read_guest", "domid=" + domid, domid);
        checkMapped(domain, address, length);
        byte[] out = new byte[length];
        for (int done = 0; done < length; ) {
            long at = address + done;
            int inPage = (int) (at % PAGE_SIZE);
            int n = Math.min(length - done, PAGE_SIZE - inPage);
            byte[] bytes = domain.p2m.get(at / PAGE_SIZE).page().bytesIfWritten();
            if (bytes != null) {
                System.arraycopy(bytes, inPage, out, done, n);
            }
            done += n;
        }
        return out;
    }

    /**
     * Mapped gfns of the domain, own RAM and foreign; 0 if there is no such domain.
     *
     * @param domid the domain
     * @return the number of mapped gfns
     */
    public synchronized long mappedPages(int domid) {
        Domain domain = domains.get(domid);
        return domain == null ? 0 : domain.p2m.size();
    }

    /**
     * Gfns of the domain that map another domain's page.
     *
     * @param domid the domain
     * @return their number; 0 if there is no such domain
     */
    public synchronized long foreignPages(int domid) {
        Domain domain = domains.get(domid);
        return domain == null ? 0 : domain.p2m.values().stream().filter(Entry::foreign).count();
    }

    /**
     * Whether the gfn is mapped in the domain.
     *
     * @param domid the domain
     * @param gfn the guest frame
     * @return true when it is mapped
     */
    public synchronized boolean isMapped(int domid, long gfn) {
        Domain domain = domains.get(domid);
        return domain != null && domain.p2m.containsKey(gfn);
    }

    /**
     * Whether two gfns, in two domains, are backed by the same page.
     *
     * @param domid one domain
     * @param gfn a guest frame of it
     * @param otherDomid the other domain
     * @param otherGfn a guest frame of the other domain
     * @return true when both are mapped to one page
     */
    public synchronized boolean samePage(int domid, long gfn, int otherDomid, long otherGfn) {
        Domain a = domains.get(domid);
        Domain b = domains.get(otherDomid);
        if (a == null || b == null || !a.p2m.containsKey(gfn) || !b.p2m.containsKey(otherGfn)) {
            return false;
        }
        return a.p2m.get(gfn).page() == b.p2m.get(otherGfn).page();
    }

    /**
     * References held on the page at the domain's gfn (its owner's and mappings'); -1 if unmapped.
     *
     * @param domid the domain
     * @param gfn the guest frame
     * @return the count, or -1
     */
    public synchronized int references(int domid, long gfn) {
        Domain domain = domains.get(domid);
        Entry entry = domain == null ? null : domain.p2m.get(gfn);
        return entry == null || entry.page().free ? -1 : entry.page().references;
    }

    /**
     * The message of the assertion a debug Xen would have stopped on, if it would have.
     *
     * @return the message, or empty
     */
    public synchronized Optional<String> panicked() {
        return Optional.ofNullable(panic);
    }

    /**
     * Calls of this kind so far; a batch of more than 65535 entries counts once per call made.
     *
     * @param call the kind of call
     * @return their number
     */
    public long calls(Call call) {
        return callFaults.get(call).count();
    }

    /**
     * The {@code nth} call of this kind from now fails as a whole with {@code errno}.
     *
     * @param call the kind of call
     * @param nth 1 for the next call of that kind
     * @param errno the positive errno
     */
    public void failNthCall(Call call, long nth, int errno) {
        callFaults.get(call).arm(nth, errno);
    }

    /**
     * Every add to (as target) or remove of this gfn in this domain fails with {@code errno}.
     *
     * @param domid the domain
     * @param gfn the guest frame
     * @param errno the positive errno
     */
    public synchronized void failGfn(int domid, long gfn, int errno) {
        gfnFault(domid, gfn, errno, true);
    }

    /**
     * Every add to this gfn (as target) of this domain fails with {@code errno}; removals work.
     *
     * @param domid the domain
     * @param gfn the guest frame
     * @param errno the positive errno
     */
    public synchronized void failMappingAt(int domid, long gfn, int errno) {
        gfnFault(domid, gfn, errno, false);
    }

    private void gfnFault(int domid, long gfn, int errno, boolean removalsToo) {
        if (errno <= 0) {
            throw new IllegalArgumentException("errno must be positive: " + errno);
        }
        gfnFaults.put(new GfnKey(domid, gfn), new GfnFault(errno, removalsToo));
    }

    /** Drops every fault armed by {@link #failNthCall}, {@link #failGfn} and {@link #failMappingAt}. */
    public synchronized void clearFaults() {
        gfnFaults.clear();
        callFaults.values().forEach(FaultCounter::disarm);
    }

    /**
     * Add entries that replaced an existing mapping.
     *
     * @return their number
     */
    public synchronized long replacedMappings() {
        return replaced;
    }

    private void requireSane(String call, String args) {
        if (panic != null) {
            throw new XenCallException(call, args, Errno.EIO, "the hypervisor has panicked: " + panic);
        }
    }

    private Domain existing(String call, String args, int domid) {
        Domain domain = domains.get(domid);
        if (domain == null) {
            throw new XenCallException(call, args, Errno.ESRCH);
        }
        return domain;
    }

    private static void checkMapped(Domain domain, long address, int length) {
        TreeSet<Long> missing = new TreeSet<>();
        if (length > 0) {
            for (long gfn = address / PAGE_SIZE; gfn <= (address + length - 1) / PAGE_SIZE; gfn++) {
                if (!domain.p2m.containsKey(gfn)) {
                    missing.add(gfn);
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new XenCallException("guest_access", "domid=" + domain.domid + ", address=0x"
                    + Long.toHexString(address), Errno.EFAULT, "gfns not mapped: " + missing);
        }
    }
}
