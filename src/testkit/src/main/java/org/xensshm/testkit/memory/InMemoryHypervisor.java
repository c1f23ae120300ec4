package org.xensshm.testkit.memory;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

import org.xensshm.host.Errno;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.MapSpace;
import org.xensshm.host.PageBatch;
import org.xensshm.host.XenCallException;
import org.xensshm.spec.Platform;

/**
 * A hypervisor in memory, with the same rules and error codes as the project's simulated
 * hypervisor (src/testkit/native/c/xensim.c, see src/testkit/native/XENSIM.md): domains with a p2m each, pages
 * holding real bytes, and the two physmap hypercalls static shared memory needs.
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
 * <li>{@link MapSpace#GMFN_SHARE}: ENOSYS in the {@link Personality#STOCK stock} personality;
 * in the {@link Personality#PATCHED patched} one the caller (always dom0 here) may share between
 * any two domains; ESRCH if the source is missing (DOMID_SELF is dom0), EINVAL if it is the
 * receiver;
 * <li>EINVAL when the source gfn is not RAM of the source (unpopulated, or itself a mapping of
 * another domain's page), or the target gfn lies beyond the guest physical address size;
 * <li>a target gfn that is already mapped is replaced, as Xen on Arm does (counted by
 * {@link #replacedMappings()}), or fails with EEXIST under {@link OccupiedPolicy#STRICT}.
 * </ul>
 * {@link #removeFromPhysmap} fails with ESRCH (no domain), the gfn fault's errno, or ENOENT
 * (nothing mapped there).
 *
 * <p>At most 64 domains exist at a time, each with up to 2^20 pages of its own RAM. A destroyed
 * domain's pages stay alive, with their bytes, while other domains map them. All methods are
 * thread-safe.
 */
public final class InMemoryHypervisor implements Hypervisor {

    /** Entries per XENMEM_add_to_physmap_batch call: its size field is a uint16. */
    public static final int MAX_BATCH_ENTRIES = 0xFFFF;
    /** DOMID_FIRST_RESERVED: guest domids are below it. */
    public static final int FIRST_RESERVED_DOMID = 0x7FF0;
    /** DOMID_INVALID: passed to {@link #setTarget} it clears the target. */
    public static final int DOMID_INVALID = 0x7FF4;
    private static final int DOMID_SELF = 0x7FF0;
    private static final long INVALID_GFN = ~0L;
    private static final int MAX_DOMAINS = 64;
    private static final long MAX_PAGES = 1L << 20;
    private static final int PAGE_SIZE = 4096;
    /** Guest physical address bits (the simulator's default): higher gfns cannot be mapped. */
    private static final int IPA_BITS = 40;

    /** Which Xen this behaves like. */
    public enum Personality {
        /** Xen 4.17 as released: no XENMAPSPACE_gmfn_share. */
        STOCK,
        /** With the static shm series' XENMAPSPACE_gmfn_share (space 6). */
        PATCHED
    }

    /** What an add does to a target gfn that is already mapped. */
    public enum OccupiedPolicy {
        /** Replace the old mapping silently, as Xen on Arm does. */
        REPLACE,
        /** Fail the entry with EEXIST (not Xen's behaviour; for tests). */
        STRICT
    }

    /** Hypercall kinds, for fault injection and counting. */
    public enum Call {
        ADD_TO_PHYSMAP_BATCH,
        REMOVE_FROM_PHYSMAP
    }

    /** A machine page: bytes allocated on first write, shared by every p2m entry naming it. */
    private static final class Page {
        private byte[] bytes;

        byte[] bytes() {
            if (bytes == null) {
                bytes = new byte[PAGE_SIZE];
            }
            return bytes;
        }
    }

    private record Entry(Page page, boolean foreign) {
    }

    private static final class Domain {
        final int domid;
        int target = -1;
        /** Pages of RAM populated for this domain (its own, not mappings of others'). */
        long ownPages;
        final Map<Long, Entry> p2m = new HashMap<>();

        Domain(int domid) {
            this.domid = domid;
        }
    }

    private record GfnKey(int domid, long gfn) {
    }

    private final Platform platform;
    private Personality personality;
    private OccupiedPolicy occupiedPolicy = OccupiedPolicy.REPLACE;
    private final Map<Integer, Domain> domains = new HashMap<>();
    private final Map<Call, FaultCounter> callFaults = new EnumMap<>(Call.class);
    private final Map<GfnKey, Integer> gfnFaults = new HashMap<>();
    private long replaced;

    /** A patched Arm host. */
    public InMemoryHypervisor() {
        this(Personality.PATCHED, Platform.ARM);
    }

    public InMemoryHypervisor(Personality personality, Platform platform) {
        this.personality = Objects.requireNonNull(personality, "personality");
        this.platform = Objects.requireNonNull(platform, "platform");
        for (Call call : Call.values()) {
            callFaults.put(call, new FaultCounter());
        }
        domains.put(0, new Domain(0));
    }

    @Override
    public Platform platform() {
        return platform;
    }

    @Override
    public synchronized boolean domainExists(int domid) {
        return domains.containsKey(domid);
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
        callFaults.get(Call.ADD_TO_PHYSMAP_BATCH).count("xc_domain_add_to_physmap_batch", args);
        Domain receiver = domains.get(domid);
        if (receiver == null) {
            throw new XenCallException("xc_domain_add_to_physmap_batch", args, Errno.ESRCH);
        }
        Domain source = sourceOf(space, sourceDomid);
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
        callFaults.get(Call.REMOVE_FROM_PHYSMAP).count("xc_domain_remove_from_physmap", args);
        Domain domain = domains.get(domid);
        if (domain == null) {
            throw new XenCallException("xc_domain_remove_from_physmap", args, Errno.ESRCH);
        }
        Integer fault = gfnFaults.get(new GfnKey(domid, gfn));
        if (fault != null) {
            throw new XenCallException("xc_domain_remove_from_physmap", args, fault, "injected fault");
        }
        if (domain.p2m.remove(gfn) == null) {
            throw new XenCallException("xc_domain_remove_from_physmap", args, Errno.ENOENT);
        }
    }

    /** get_pg_owner() for gmfn_foreign refuses the caller's own id (dom0); gmfn_share does not. */
    private Domain sourceOf(MapSpace space, int sourceDomid) {
        if (sourceDomid == DOMID_SELF) {
            return domains.get(0);
        }
        return space == MapSpace.GMFN_FOREIGN && sourceDomid == 0 ? null : domains.get(sourceDomid);
    }

    /** One entry; returns 0 or a positive errno. */
    private int addOne(Domain receiver, MapSpace space, Domain source, long idx, long gpfn) {
        Integer fault = gfnFaults.get(new GfnKey(receiver.domid, gpfn));
        if (fault != null) {
            return fault;
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
                if (personality != Personality.PATCHED) {
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
        if (from == null || from.foreign()) {
            return Errno.EINVAL;
        }
        if (!gfnInRange(gpfn)) {
            return Errno.EINVAL;
        }
        if (receiver.p2m.containsKey(gpfn)) {
            if (occupiedPolicy == OccupiedPolicy.STRICT) {
                return Errno.EEXIST;
            }
            replaced++;
        }
        receiver.p2m.put(gpfn, new Entry(from.page(), true));
        return 0;
    }

    private boolean gfnInRange(long gfn) {
        return gfn >= 0 && gfn < 1L << (IPA_BITS - 12);
    }

    // ---- test bed control -------------------------------------------------------------------

    public synchronized void personality(Personality personality) {
        this.personality = Objects.requireNonNull(personality, "personality");
    }

    public synchronized Personality personality() {
        return personality;
    }

    public synchronized void occupiedPolicy(OccupiedPolicy policy) {
        this.occupiedPolicy = Objects.requireNonNull(policy, "policy");
    }

    /** Creates an empty domain. EINVAL for a domid outside 0..0x7FEF, EEXIST if it exists, ENOSPC past 64. */
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
        domains.put(domid, new Domain(domid));
    }

    /**
     * Destroys a domain: its p2m goes, pages other domains map stay alive; domains whose target
     * it was lose their target. ESRCH if missing, EPERM for dom0.
     */
    public synchronized void destroyDomain(int domid) {
        if (domid == 0) {
            throw new XenCallException("destroy_domain", "domid=0", Errno.EPERM);
        }
        if (domains.remove(domid) == null) {
            throw new XenCallException("destroy_domain", "domid=" + domid, Errno.ESRCH);
        }
        for (Domain d : domains.values()) {
            if (d.target == domid) {
                d.target = -1;
            }
        }
    }

    /**
     * Gives the domain fresh zeroed RAM; all or nothing: EEXIST if any gfn is mapped, EINVAL beyond
     * the IPA, ENOMEM past the domain's 2^20 pages.
     */
    public synchronized void populate(int domid, long firstGfn, long count) {
        String args = "domid=" + domid + ", gfn=0x" + Long.toHexString(firstGfn) + ", count=" + count;
        Domain domain = existing("populate", args, domid);
        if (count < 0 || !gfnInRange(firstGfn) || (count > 0 && !gfnInRange(firstGfn + count - 1))) {
            throw new XenCallException("populate", args, Errno.EINVAL);
        }
        if (domain.ownPages + count > MAX_PAGES) {
            throw new XenCallException("populate", args, Errno.ENOMEM);
        }
        for (long gfn = firstGfn; gfn < firstGfn + count; gfn++) {
            if (domain.p2m.containsKey(gfn)) {
                throw new XenCallException("populate", args, Errno.EEXIST);
            }
        }
        for (long gfn = firstGfn; gfn < firstGfn + count; gfn++) {
            domain.p2m.put(gfn, new Entry(new Page(), false));
        }
        domain.ownPages += count;
    }

    /** Like XEN_DOMCTL_set_target; {@link #DOMID_INVALID} clears the target. */
    public synchronized void setTarget(int domid, int target) {
        String args = "domid=" + domid + ", target=" + target;
        Domain domain = existing("set_target", args, domid);
        if (target == DOMID_INVALID) {
            domain.target = -1;
            return;
        }
        existing("set_target", args, target);
        if (target == domid || domain.target != -1) {
            throw new XenCallException("set_target", args, Errno.EINVAL);
        }
        domain.target = target;
    }

    /** Writes through the domain's p2m; EFAULT (nothing written) if a page is not mapped. */
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

    /** Reads through the domain's p2m; EFAULT if a page is not mapped. */
    public synchronized byte[] readGuest(int domid, long address, int length) {
        Domain domain = existing("read_guest", "domid=" + domid, domid);
        checkMapped(domain, address, length);
        byte[] out = new byte[length];
        for (int done = 0; done < length; ) {
            long at = address + done;
            int inPage = (int) (at % PAGE_SIZE);
            int n = Math.min(length - done, PAGE_SIZE - inPage);
            Page page = domain.p2m.get(at / PAGE_SIZE).page();
            if (page.bytes != null) {
                System.arraycopy(page.bytes, inPage, out, done, n);
            }
            done += n;
        }
        return out;
    }

    /** Mapped gfns of the domain, own RAM and foreign; 0 if there is no such domain. */
    public synchronized long mappedPages(int domid) {
        Domain domain = domains.get(domid);
        return domain == null ? 0 : domain.p2m.size();
    }

    /** Gfns of the domain that map another domain's page. */
    public synchronized long foreignPages(int domid) {
        Domain domain = domains.get(domid);
        return domain == null ? 0 : domain.p2m.values().stream().filter(Entry::foreign).count();
    }

    public synchronized boolean isMapped(int domid, long gfn) {
        Domain domain = domains.get(domid);
        return domain != null && domain.p2m.containsKey(gfn);
    }

    /** Whether two gfns, in two domains, are backed by the same page. */
    public synchronized boolean samePage(int domid, long gfn, int otherDomid, long otherGfn) {
        Domain a = domains.get(domid);
        Domain b = domains.get(otherDomid);
        if (a == null || b == null || !a.p2m.containsKey(gfn) || !b.p2m.containsKey(otherGfn)) {
            return false;
        }
        return a.p2m.get(gfn).page() == b.p2m.get(otherGfn).page();
    }

    /** Calls of this kind so far; a batch of more than 65535 entries counts once per call made. */
    public long calls(Call call) {
        return callFaults.get(call).count();
    }

    /** The {@code nth} call of this kind from now fails as a whole with {@code errno}. */
    public void failNthCall(Call call, long nth, int errno) {
        callFaults.get(call).arm(nth, errno);
    }

    /** Every add to (as target) or remove of this gfn in this domain fails with {@code errno}. */
    public synchronized void failGfn(int domid, long gfn, int errno) {
        if (errno <= 0) {
            throw new IllegalArgumentException("errno must be positive: " + errno);
        }
        gfnFaults.put(new GfnKey(domid, gfn), errno);
    }

    public synchronized void clearFaults() {
        gfnFaults.clear();
        callFaults.values().forEach(FaultCounter::disarm);
    }

    /** Add entries that replaced an existing mapping. */
    public synchronized long replacedMappings() {
        return replaced;
    }

    private Domain existing(String call, String args, int domid) {
        Domain domain = domains.get(domid);
        if (domain == null) {
            throw new XenCallException(call, args, Errno.ESRCH);
        }
        return domain;
    }

    private static void checkMapped(Domain domain, long address, int length) {
        Set<Long> missing = new HashSet<>();
        if (length > 0) {
            for (long gfn = address / PAGE_SIZE; gfn <= (address + length - 1) / PAGE_SIZE; gfn++) {
                if (!domain.p2m.containsKey(gfn)) {
                    missing.add(gfn);
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new XenCallException("guest_access", "domid=" + domain.domid + ", address=0x"
                    + Long.toHexString(address), Errno.EFAULT, "gfns not mapped: " + new TreeSet<>(missing));
        }
    }
}
