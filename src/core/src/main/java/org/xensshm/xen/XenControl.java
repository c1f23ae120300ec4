package org.xensshm.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

import org.xensshm.ffi.xc_domaininfo_t;
import org.xensshm.ffi.xen_h;
import org.xensshm.host.DomainInfo;
import org.xensshm.host.Errno;
import org.xensshm.host.Hypervisor;
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

    private final Platform platform;

    private XenControl(MemorySegment xch) {
        super(xch, "xenctrl handle");
        String capabilities = capabilities();
        this.platform = Platform.fromCapabilities(capabilities).orElseThrow(() -> new XenCallException(
                "xc_version", "XENVER_capabilities", Errno.EINVAL,
                "unrecognised hypervisor capabilities '" + capabilities.strip() + "'"));
    }

    /**
     * Opens libxenctrl (/dev/xen/privcmd underneath) and reads the host's platform.
     *
     * @throws NativeAccessUnavailableException when the JVM or the host lacks what this needs
     * @throws XenCallException when libxenctrl cannot open the hypervisor interface
     */
    public static XenControl open() {
        NativeLibraries.require();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot(arena);
            MemorySegment handle = (MemorySegment) Native.XC_INTERFACE_OPEN.invokeExact(
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
        try {
            return new XenControl(handle);
        } catch (RuntimeException e) {
            int closed = (int) Native.XC_INTERFACE_CLOSE.invokeExact(Native.threadErrnoSlot(), handle);
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

    /** XENVER_capabilities, e.g. {@code "xen-3.0-aarch64 xen-3.0-armv7l "}. */
    public String capabilities() {
        return withHandle(handle -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                MemorySegment buffer = arena.allocate(CAPABILITIES_LENGTH);
                int rc = (int) Native.XC_VERSION.invokeExact(slot, handle, xen_h.XENVER_capabilities(), buffer);
                if (rc < 0) {
                    throw new XenCallException("xc_version", "XENVER_capabilities", Native.errno(slot));
                }
                return buffer.getString(0);
            }
        });
    }

    /** The hypervisor's version as "major.minor". */
    public String version() {
        return withHandle(handle -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                int rc = (int) Native.XC_VERSION.invokeExact(slot, handle, xen_h.XENVER_version(), MemorySegment.NULL);
                if (rc < 0) {
                    throw new XenCallException("xc_version", "XENVER_version", Native.errno(slot));
                }
                return (rc >>> 16) + "." + (rc & 0xFFFF);
            }
        });
    }

    /**
     * Maps {@code count} pages of {@code foreignDomid} into {@code domid}, straight from the
     * caller's off-heap arrays: {@code idxs} and {@code gpfns} hold {@code count} 64-bit page
     * numbers, {@code errs} receives {@code count} ints (0 or a negative errno per page). Counts
     * above {@link #MAX_BATCH} are split into several hypercalls over slices of the same memory.
     *
     * @throws XenCallException when a hypercall fails as a whole; entries of earlier hypercalls
     *                          keep their results, those of the failed one are set to
     *                          {@link PageBatch#NOT_ATTEMPTED}, later ones are left as they were
     */
    public void addToPhysmapBatch(int domid, int foreignDomid, int space, MemorySegment idxs,
                                  MemorySegment gpfns, MemorySegment errs, long count) {
        requireCapacity("idxs", idxs, count * Long.BYTES);
        requireCapacity("gpfns", gpfns, count * Long.BYTES);
        requireCapacity("errs", errs, count * Integer.BYTES);
        withHandle(handle -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                for (long done = 0; done < count; done += MAX_BATCH) {
                    int n = (int) Math.min(MAX_BATCH, count - done);
                    int rc = (int) Native.XC_ADD_TO_PHYSMAP_BATCH.invokeExact(slot, handle, domid, foreignDomid, space, n,
                            idxs.asSlice(done * Long.BYTES), gpfns.asSlice(done * Long.BYTES),
                            errs.asSlice(done * Integer.BYTES));
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
                return null;
            }
        });
    }

    /** {@link #addToPhysmapBatch(int, int, int, MemorySegment, MemorySegment, MemorySegment, long)} over a batch. */
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
            int rc = (int) Native.XC_REMOVE_FROM_PHYSMAP.invokeExact(slot, handle, domid, gfn);
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
                int n = (int) Native.XC_DOMAIN_GETINFOLIST.invokeExact(slot, handle, domid, 1, info);
                if (n < 0) {
                    throw new XenCallException("xc_domain_getinfolist", "first_domain=" + domid + ", max=1",
                            Native.errno(slot));
                }
                if (n == 0 || Short.toUnsignedInt(xc_domaininfo_t.domain(info)) != domid) {
                    return Optional.empty();
                }
                return Optional.of(new DomainInfo(domid, xc_domaininfo_t.flags(info),
                        xc_domaininfo_t.tot_pages(info), xc_domaininfo_t.max_pages(info)));
            }
        });
    }

    @Override
    public boolean domainExists(int domid) {
        return domainInfo(domid).isPresent();
    }

    @Override
    void release(MemorySegment handle) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot(arena);
            int rc = (int) Native.XC_INTERFACE_CLOSE.invokeExact(slot, handle);
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
