package org.xensshm.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;

import org.xensshm.ffi.xc_domaininfo_t;
import org.xensshm.ffi.xen_build_id;
import org.xensshm.ffi.xen_h;
import org.xensshm.host.DomainInfo;
import org.xensshm.host.Errno;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.HypervisorIdentity;
import org.xensshm.host.MapSpace;
import org.xensshm.host.PageBatch;
import org.xensshm.host.XenCallException;
import org.xensshm.spec.Platform;

/**
 * A libxenctrl handle: the hypercalls static shared memory needs, as the engine's
 * {@link Hypervisor}. Thread-safe; {@link #close()} waits for calls in flight, and a closed handle
 * refuses calls rather than passing NULL to C.
 */
public final class XenControl extends NativeHandle implements Hypervisor {

    /**
     * The most entries one XENMEM_add_to_physmap_batch can carry: its {@code size} field is a
     * uint16, and libxenctrl truncates larger counts without a word.
     */
    public static final int MAX_BATCH = 0xFFFF;

    private static final int CAPABILITIES_LENGTH = 1024;

    /** Pages a scratch domain may hold at most (its max_mem), enough for any probe. */
    private static final long SCRATCH_MAX_PAGES = 256;

    private final Platform platform;
    private final Multicall multicall;

    private XenControl(MemorySegment xch, Multicall multicall) {
        super(xch, "xenctrl handle");
        this.multicall = multicall;
        String capabilities = capabilities();
        this.platform = Platform.fromCapabilities(capabilities).orElseThrow(() -> new XenCallException(
                "xc_version", "XENVER_capabilities", Errno.EINVAL,
                "unrecognised hypervisor capabilities '" + capabilities.strip() + "'"));
    }

    /**
     * Opens libxenctrl (/dev/xen/privcmd underneath) and reads the host's platform.
     *
     * @return an open handle; close it when done
     * @throws NativeAccessUnavailableException when the JVM or the host lacks what this needs
     * @throws XenCallException when libxenctrl cannot open the hypervisor interface
     */
    public static XenControl open() {
        NativeLibraries.require();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot(arena);
            MemorySegment handle = (MemorySegment) Native.Control.INTERFACE_OPEN.invokeExact(
                    slot, MemorySegment.NULL, MemorySegment.NULL, 0);
            if (handle.equals(MemorySegment.NULL)) {
                throw new XenCallException("xc_interface_open", "", Native.errno(slot),
                        "is this dom0 with /dev/xen/privcmd available?");
            }
            return opened(handle);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static XenControl opened(MemorySegment handle) throws Throwable {
        Multicall multicall = null;
        try {
            multicall = Multicall.open();
            return new XenControl(handle, multicall);
        } catch (RuntimeException e) {
            if (multicall != null) {
                multicall.close();
            }
            int closed = (int) Native.Control.INTERFACE_CLOSE.invokeExact(Native.threadErrnoSlot(), handle);
            if (closed < 0) {
                e.addSuppressed(new XenCallException("xc_interface_close", "", Native.errno(Native.threadErrnoSlot())));
            }
            throw e;
        }
    }

    /** The host platform, from the hypervisor's capabilities (read once, at open). */
    @Override
    public Platform platform() {
        return platform;
    }

    /**
     * XENVER_capabilities, e.g. {@code "xen-3.0-aarch64 xen-3.0-armv7l "}.
     *
     * @return e.g. {@code xen-3.0-aarch64}
     */
    public String capabilities() {
        return withHandle(handle -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                MemorySegment buffer = arena.allocate(CAPABILITIES_LENGTH);
                int rc = (int) Native.Control.VERSION.invokeExact(slot, handle, xen_h.XENVER_capabilities(), buffer);
                if (rc < 0) {
                    throw new XenCallException("xc_version", "XENVER_capabilities", Native.errno(slot));
                }
                return buffer.getString(0);
            }
        });
    }

    /**
     * The hypervisor's version as "major.minor".
     *
     * @return e.g. {@code 4.17.5}
     */
    public String version() {
        return withHandle(handle -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                int rc = (int) Native.Control.VERSION.invokeExact(slot, handle, xen_h.XENVER_version(), MemorySegment.NULL);
                if (rc < 0) {
                    throw new XenCallException("xc_version", "XENVER_version", Native.errno(slot));
                }
                return (rc >>> 16) + "." + (rc & 0xFFFF);
            }
        });
    }

    /** Version, extra version, changeset and build id, as the hypervisor reports them now. */
    @Override
    public HypervisorIdentity identity() {
        return new HypervisorIdentity(version(), versionString(xen_h.XENVER_extraversion(), "XENVER_extraversion"),
                versionString(xen_h.XENVER_changeset(), "XENVER_changeset"), buildId());
    }

    /** A XENVER_* string: extraversion (16 bytes) or changeset (64 bytes) fit in the buffer. */
    private String versionString(int command, String name) {
        return withHandle(handle -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                MemorySegment buffer = arena.allocate(CAPABILITIES_LENGTH);
                int rc = (int) Native.Control.VERSION.invokeExact(slot, handle, command, buffer);
                if (rc < 0) {
                    throw new XenCallException("xc_version", name, Native.errno(slot));
                }
                return buffer.getString(0);
            }
        });
    }

    /** The build id in hex; empty when Xen has none (ENODATA) or refuses to say. */
    private String buildId() {
        return withHandle(handle -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                int capacity = 256;
                MemorySegment id = arena.allocate(xen_build_id.sizeof() + capacity, 8);
                xen_build_id.len(id, capacity);
                int length = (int) Native.Control.VERSION.invokeExact(slot, handle, xen_h.XENVER_build_id(), id);
                if (length <= 0) {
                    return "";
                }
                HexFormat hex = HexFormat.of();
                return hex.formatHex(id.asSlice(xen_build_id.buf$offset(), Math.min(length, capacity))
                        .toArray(ValueLayout.JAVA_BYTE));
            }
        });
    }

    /**
     * Maps {@code count} pages of {@code foreignDomid} into {@code domid}, straight from the
     * caller's off-heap arrays: {@code idxs} and {@code gpfns} hold {@code count} 64-bit page
     * numbers, {@code errs} receives {@code count} ints (0 or a negative errno per page). Counts
     * above {@link #MAX_BATCH} are split into several hypercalls over slices of the same memory.
     * Up to {@link #MAX_BATCH} pages, a call allocates nothing on the Java heap: it uses this
     * thread's errno slot and passes the segments as they are.
     *
     * @param domid the receiving domain
     * @param foreignDomid the domain whose pages are mapped
     * @param space the XENMAPSPACE_* number
     * @param idxs the source pages
     * @param gpfns the target pages
     * @param errs the per-page results
     * @param count the number of entries
     * @throws XenCallException when a hypercall fails as a whole; entries of earlier hypercalls
     *                          keep their results, those of the failed one are set to
     *                          {@link PageBatch#NOT_ATTEMPTED}, later ones are left as they were
     */
    public void addToPhysmapBatch(int domid, int foreignDomid, int space, MemorySegment idxs,
                                  MemorySegment gpfns, MemorySegment errs, long count) {
        requireCapacity("idxs", idxs, count * Long.BYTES);
        requireCapacity("gpfns", gpfns, count * Long.BYTES);
        requireCapacity("errs", errs, count * Integer.BYTES);
        MemorySegment handle = enter();
        try {
            MemorySegment slot = Native.threadErrnoSlot();
            for (long done = 0; done < count; done += MAX_BATCH) {
                int n = (int) Math.min(MAX_BATCH, count - done);
                // One call, the usual case, passes the segments as they are: a slice is an object.
                boolean whole = n == count;
                MemorySegment chunkIdxs = whole ? idxs : idxs.asSlice(done * Long.BYTES);
                MemorySegment chunkGpfns = whole ? gpfns : gpfns.asSlice(done * Long.BYTES);
                MemorySegment chunkErrs = whole ? errs : errs.asSlice(done * Integer.BYTES);
                int rc = (int) Native.Mapping.ADD_TO_PHYSMAP_BATCH.invokeExact(slot, handle, domid, foreignDomid,
                        space, n, chunkIdxs, chunkGpfns, chunkErrs);
                if (rc < 0) {
                    // libxenctrl copies its bounce buffer back even when the call failed, so
                    // this chunk's slots hold no results: mark them as such.
                    errs.asSlice(done * Integer.BYTES, (long) n * Integer.BYTES).fill(PageBatch.NOT_ATTEMPTED_BYTE);
                    throw new XenCallException("xc_domain_add_to_physmap_batch",
                            "domid=" + domid + ", foreign_domid=" + foreignDomid + ", space=" + space
                                    + ", entries " + done + ".." + (done + n) + " of " + count,
                            Native.errno(slot));
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            exit();
        }
    }

    /**
     * {@link #addToPhysmapBatch(int, int, int, MemorySegment, MemorySegment, MemorySegment, long)}
     * over a batch.
     */
    @Override
    public void addToPhysmapBatch(int domid, int foreignDomid, MapSpace space, PageBatch batch) {
        batch.resetErrors();
        addToPhysmapBatch(domid, foreignDomid, space.abiValue(), batch.idxs(), batch.gpfns(), batch.errs(),
                batch.count());
    }

    /** Unmaps the page at {@code gfn} from {@code domid}'s physmap. */
    @Override
    public void removeFromPhysmap(int domid, long gfn) {
        MemorySegment handle = enter();
        try {
            MemorySegment slot = Native.threadErrnoSlot();
            int rc = (int) Native.Mapping.REMOVE_FROM_PHYSMAP.invokeExact(slot, handle, domid, gfn);
            if (rc < 0) {
                throw new XenCallException("xc_domain_remove_from_physmap",
                        "domid=" + domid + ", gpfn=0x" + Long.toHexString(gfn), Native.errno(slot));
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            exit();
        }
    }

    /**
     * The domain's info, or empty when no domain has this id. Xen answers a query for a missing
     * domain with the next one, so the returned id is checked.
     */
    public Optional<DomainInfo> domainInfo(int domid) {
        return withHandle(handle -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                MemorySegment info = xc_domaininfo_t.allocate(arena);
                int n = (int) Native.Domains.GETINFOLIST.invokeExact(slot, handle, domid, 1, info);
                if (n < 0) {
                    throw new XenCallException("xc_domain_getinfolist", "first_domain=" + domid + ", max=1",
                            Native.errno(slot));
                }
                if (n == 0 || Short.toUnsignedInt(xc_domaininfo_t.domain(info)) != domid) {
                    return Optional.empty();
                }
                ByteBuffer handleBytes = xc_domaininfo_t.handle(info).asByteBuffer();
                return Optional.of(new DomainInfo(domid, xc_domaininfo_t.flags(info),
                        xc_domaininfo_t.tot_pages(info), xc_domaininfo_t.max_pages(info),
                        new UUID(handleBytes.getLong(), handleBytes.getLong())));
            }
        });
    }

    /**
     * Removes the batch's target pages in multicalls of up to 4096 removals each, one result per
     * entry; see {@link Hypervisor#removeFromPhysmapBatch}.
     */
    @Override
    public void removeFromPhysmapBatch(int domid, PageBatch batch) {
        multicall.removeFromPhysmap(domid, batch);
    }

    @Override
    public void setTarget(int domid, int target) {
        check("xc_domain_set_target", "domid=" + domid + ", target=" + target,
                (slot, handle) -> (int) Native.Building.SET_TARGET.invokeExact(slot, handle, domid, target));
    }

    /**
     * Creates a domain as libxl does on Arm, with one vcpu that is never started, no devices and
     * room for a few pages; Xen picks the domid.
     */
    @Override
    public int createScratchDomain() {
        return withHandle(handle -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                MemorySegment domid = arena.allocate(ValueLayout.JAVA_INT);
                MemorySegment config = ScratchDomainConfig.arm(arena);
                int rc = (int) Native.Building.CREATE.invokeExact(slot, handle, domid, config);
                if (rc < 0) {
                    throw new XenCallException("xc_domain_create", ScratchDomainConfig.describe(config),
                            Native.errno(slot));
                }
                int created = domid.get(ValueLayout.JAVA_INT, 0);
                try {
                    ScratchDomainConfig.prepare(this, created, SCRATCH_MAX_PAGES);
                } catch (RuntimeException e) {
                    destroyAfterFailure(created, e);
                    throw e;
                }
                return created;
            }
        });
    }

    private void destroyAfterFailure(int domid, RuntimeException cause) {
        try {
            destroyDomain(domid);
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    /** Gives the domain fresh RAM at [firstGfn, firstGfn + count), within its max_mem. */
    @Override
    public void populate(int domid, long firstGfn, long count) {
        withHandle(handle -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                MemorySegment gfns = arena.allocate(ValueLayout.JAVA_LONG, count);
                for (long i = 0; i < count; i++) {
                    gfns.setAtIndex(ValueLayout.JAVA_LONG, i, firstGfn + i);
                }
                int rc = (int) Native.Building.POPULATE_PHYSMAP_EXACT.invokeExact(slot, handle, domid, count, 0, 0, gfns);
                if (rc < 0) {
                    throw new XenCallException("xc_domain_populate_physmap_exact", "domid=" + domid + ", gfns 0x"
                            + Long.toHexString(firstGfn) + "+" + count, Native.errno(slot));
                }
                return null;
            }
        });
    }

    /** XEN_DOMCTL_max_mem: the most the domain may hold, in KiB as libxenctrl takes it. */
    void setMaxMemory(int domid, long pages) {
        check("xc_domain_setmaxmem", "domid=" + domid + ", pages=" + pages,
                (slot, handle) -> (int) Native.Building.SETMAXMEM.invokeExact(slot, handle, domid, pages * 4));
    }

    @Override
    public void destroyDomain(int domid) {
        check("xc_domain_destroy", "domid=" + domid,
                (slot, handle) -> (int) Native.Building.DESTROY.invokeExact(slot, handle, domid));
    }

    @Override
    public void unpause(int domid) {
        check("xc_domain_unpause", "domid=" + domid,
                (slot, handle) -> (int) Native.Building.UNPAUSE.invokeExact(slot, handle, domid));
    }

    /** A libxenctrl call that returns a negative value and sets errno on failure. */
    private interface Call {
        int run(MemorySegment errnoSlot, MemorySegment handle) throws Throwable;
    }

    private void check(String call, String arguments, Call body) {
        withHandle(handle -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                if (body.run(slot, handle) < 0) {
                    throw new XenCallException(call, arguments, Native.errno(slot));
                }
                return null;
            }
        });
    }

    @Override
    void release(MemorySegment handle) throws Throwable {
        multicall.close();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot(arena);
            int rc = (int) Native.Control.INTERFACE_CLOSE.invokeExact(slot, handle);
            if (rc < 0) {
                throw new XenCallException("xc_interface_close", "", Native.errno(slot));
            }
        }
    }

    private static void requireCapacity(String name, MemorySegment segment, long bytes) {
        if (segment.byteSize() < bytes) {
            throw new IllegalArgumentException(name + " holds " + segment.byteSize() + " bytes, " + bytes + " needed");
        }
        if (!segment.isNative()) {
            throw new IllegalArgumentException(name + " must be off-heap memory");
        }
    }
}
