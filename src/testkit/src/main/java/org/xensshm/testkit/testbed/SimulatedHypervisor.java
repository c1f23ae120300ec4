package org.xensshm.testkit.testbed;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

import org.xensshm.host.Errno;
import org.xensshm.host.XenCallException;
import org.xensshm.xen.XenStore;

/**
 * The control API of the simulated hypervisor (src/testkit/native/c/xensim.h), which must be preloaded
 * into this process with LD_PRELOAD so that libxenctrl's /dev/xen/privcmd calls reach it. Tests
 * and the CLI's test bed use it to create domains, give them RAM, look into their physmaps and
 * inject faults. Every call throws {@link IllegalStateException} naming the call and errno when
 * the simulator refuses it.
 */
public final class SimulatedHypervisor {

    /** Library file name of the simulated hypervisor. */
    public static final String LIBRARY = "libxensim.so";

    /**
     * Hypercall classes for {@link #failNth}, {@link #stopAfterNth} and {@link #opCount}. {@code MULTICALL} counts every
     * {@code __HYPERVISOR_multicall}, including the one-entry multicall libxenctrl wraps around each
     * memory_op; the removes inside a multicall still count as {@code REMOVE_FROM_PHYSMAP}.
     */
    public enum Op {
        /** Every hypercall. */
        ANY,
        /** XENMEM_add_to_physmap_batch. */
        ADD_TO_PHYSMAP_BATCH,
        /** XENMEM_remove_from_physmap, inside a multicall or not. */
        REMOVE_FROM_PHYSMAP,
        /** Asking for a domain's information. */
        DOMAIN_INFO,
        /** __HYPERVISOR_multicall. */
        MULTICALL
    }

    /** Which hypervisor the simulator behaves as (xensim.h's XENSIM_STOCK, _SERIES, _SERIES_FIXED). */
    public enum Personality {
        /** Xen 4.17 as released: every XENMAPSPACE_gmfn_share (space 6) entry answers ENOSYS. */
        STOCK,
        /**
         * The vendor's static shm series as shipped: a space-6 mapping takes no page reference, its
         * removal drops one.
         */
        SERIES,
        /** The series with space 6 keeping its page reference like gmfn_foreign. */
        SERIES_FIXED
    }

    private static final Linker LINKER = Linker.nativeLinker();

    private final MethodHandle reset;
    private final MethodHandle setPersonality;
    private final MethodHandle getPersonality;
    private final MethodHandle createDomain;
    private final MethodHandle destroyDomain;
    private final MethodHandle populate;
    private final MethodHandle setTarget;
    private final MethodHandle p2mLookup;
    private final MethodHandle p2mIsForeign;
    private final MethodHandle p2mCount;
    private final MethodHandle write;
    private final MethodHandle read;
    private final MethodHandle failNth;
    private final MethodHandle stopAfterNth;
    private final MethodHandle failGfn;
    private final MethodHandle clearFaults;
    private final MethodHandle opCount;
    private final MethodHandle replacedCount;
    private final MethodHandle refCount;
    private final MethodHandle shutdownDomain;
    private final MethodHandle pauseDomain;
    private final MethodHandle setHandle;
    private final MethodHandle panicked;
    private final MethodHandle framesInUse;

    private SimulatedHypervisor(SymbolLookup lookup) {
        reset = bind(lookup, "xensim_reset", FunctionDescriptor.of(JAVA_INT));
        setPersonality = bind(lookup, "xensim_set_personality", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        getPersonality = bind(lookup, "xensim_get_personality", FunctionDescriptor.of(JAVA_INT));
        createDomain = bind(lookup, "xensim_create_domain", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        destroyDomain = bind(lookup, "xensim_destroy_domain", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        populate = bind(lookup, "xensim_populate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
        setTarget = bind(lookup, "xensim_set_target", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        p2mLookup = bind(lookup, "xensim_p2m_lookup", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG));
        p2mIsForeign = bind(lookup, "xensim_p2m_is_foreign", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
        p2mCount = bind(lookup, "xensim_p2m_count", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
        write = bind(lookup, "xensim_write", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG));
        read = bind(lookup, "xensim_read", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG));
        failNth = bind(lookup, "xensim_fail_nth", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
        stopAfterNth = bind(lookup, "xensim_stop_after_nth", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
        failGfn = bind(lookup, "xensim_fail_gfn", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
        clearFaults = bind(lookup, "xensim_clear_faults", FunctionDescriptor.of(JAVA_INT));
        opCount = bind(lookup, "xensim_op_count", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
        replacedCount = bind(lookup, "xensim_replaced_count", FunctionDescriptor.of(JAVA_LONG));
        refCount = bind(lookup, "xensim_ref_count", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG));
        shutdownDomain = bind(lookup, "xensim_shutdown_domain", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        pauseDomain = bind(lookup, "xensim_pause_domain", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        setHandle = bind(lookup, "xensim_set_handle", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        panicked = bind(lookup, "xensim_panicked", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        framesInUse = bind(lookup, "xensim_frames_in_use", FunctionDescriptor.of(JAVA_LONG));
    }

    /**
     * The simulator preloaded into this process.
     *
     * @return the simulator's control API
     * @throws TestBedUnavailableException when LD_PRELOAD does not name libxensim.so, with the fix
     */
    public static SimulatedHypervisor preloaded() {
        Path library = preloadedLibrary().orElseThrow(() -> new TestBedUnavailableException(
                "the simulated hypervisor is not preloaded into this JVM: start it with "
                        + "LD_PRELOAD=<repo>/src/testkit/target/testbed/" + LIBRARY + " (built by 'make -C src/testkit/native')"));
        // dlopen of an already-loaded library returns that same library, so calls reach the
        // copy that intercepts libxenctrl's privcmd traffic.
        return new SimulatedHypervisor(SymbolLookup.libraryLookup(library, Arena.global()));
    }

    /**
     * The libxensim.so named in this process's LD_PRELOAD, if any.
     *
     * @return its path, or empty
     */
    public static Optional<Path> preloadedLibrary() {
        String preload = System.getenv("LD_PRELOAD");
        if (preload == null) {
            return Optional.empty();
        }
        return Arrays.stream(preload.split("[: ]"))
                .filter(entry -> entry.endsWith("/" + LIBRARY) || entry.equals(LIBRARY))
                .map(Path::of)
                .filter(Files::isReadable)
                .findFirst();
    }

    /** Back to only dom0, no faults, zero counters, no panic; the personality stays. */
    public void reset() {
        check("xensim_reset", "", call(reset));
    }

    /**
     * Makes the simulator behave as {@code personality} from the next hypercall on.
     *
     * @param personality the hypervisor to behave as
     */
    public void personality(Personality personality) {
        check("xensim_set_personality", personality.name(), call(setPersonality, personality.ordinal()));
    }

    /**
     * The personality the simulator behaves as.
     *
     * @return the personality
     */
    public Personality personality() {
        return Personality.values()[(int) check("xensim_get_personality", "", call(getPersonality))];
    }

    /**
     * Deprecated alias kept for existing callers: true selects {@link Personality#SERIES_FIXED}, false
     * {@link Personality#STOCK}.
     *
     * @param patched the series, fixed, or stock
     */
    public void patched(boolean patched) {
        personality(patched ? Personality.SERIES_FIXED : Personality.STOCK);
    }

    /**
     * Creates an empty running domain with one vcpu and a fresh unique handle.
     *
     * @param domid the domain's id
     */
    public void createDomain(int domid) {
        check("xensim_create_domain", "domid=" + domid, call(createDomain, domid));
    }

    /**
     * Destroys the domain as XEN_DOMCTL_destroydomain does: it stays listed as dying while pages it owns
     * are referenced elsewhere or another domain holds it as its target. Then the xenstored this
     * process uses, if one answers, releases the domain and fires {@code @releaseDomain}, as a real
     * xenstored does when Xen tells it (VIRQ_DOM_EXC) that a domain is dying; the test bed's
     * daemon hears no VIRQ, so it is told here (XS_RELEASE). A domain xenstored never knew is no
     * error.
     *
     * @param domid the domain
     */
    public void destroyDomain(int domid) {
        check("xensim_destroy_domain", "domid=" + domid, call(destroyDomain, domid));
        XenStore xenstored;
        try {
            xenstored = XenStore.open();
        } catch (XenCallException e) {
            return;
        }
        try (xenstored) {
            xenstored.releaseDomain(domid);
        }
    }

    /**
     * Pauses the domain as the toolstack does (one more on its pause count), e.g. to build it as
     * {@code xl create -p} leaves it; {@link org.xensshm.host.Hypervisor#unpause} undoes it.
     *
     * @param domid the domain
     */
    public void pauseDomain(int domid) {
        check("xensim_pause_domain", "domid=" + domid, call(pauseDomain, domid));
    }

    /**
     * Marks the domain shut down (XEN_DOMINF_shutdown), as a guest poweroff would.
     *
     * @param domid the domain's id
     */
    public void shutdownDomain(int domid) {
        check("xensim_shutdown_domain", "domid=" + domid, call(shutdownDomain, domid));
    }

    /**
     * Sets the 16-byte handle (the toolstack's UUID) getdomaininfo reports for the domain.
     *
     * @param domid the domain's id
     * @param handle 16 bytes
     */
    public void setHandle(int domid, byte[] handle) {
        if (handle.length != 16) {
            throw new IllegalArgumentException("a domain handle has 16 bytes, not " + handle.length);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(16);
            MemorySegment.copy(handle, 0, buffer, ValueLayout.JAVA_BYTE, 0, 16);
            check("xensim_set_handle", "domid=" + domid, call(setHandle, domid, buffer));
        }
    }

    /**
     * Xen's reference count of the page mapped at the gfn (0: a dangling entry to a freed page).
     *
     * @param domid the domain
     * @param gfn the guest frame
     * @return the count
     */
    public long refCount(int domid, long gfn) {
        return check("xensim_ref_count", "domid=" + domid + ", gfn=0x" + Long.toHexString(gfn),
                callLong(refCount, domid, gfn));
    }

    /**
     * The panic message if the simulated hypervisor has panicked (then every hypercall fails with EIO).
     *
     * @return the message, or empty
     */
    public Optional<String> panicMessage() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(512);
            int rc = (int) check("xensim_panicked", "", call(panicked, buffer, 512L));
            return rc == 1 ? Optional.of(buffer.getString(0)) : Optional.empty();
        }
    }

    /**
     * Frames Xen counts as allocated (reference count above 0).
     *
     * @return their number
     */
    public long framesInUse() {
        return callLong(framesInUse);
    }

    /**
     * Gives the domain fresh zeroed RAM at {@code count} pages from {@code firstGfn}.
     *
     * @param domid the domain
     * @param firstGfn the first guest frame
     * @param count how many frames
     */
    public void populate(int domid, long firstGfn, long count) {
        check("xensim_populate", "domid=" + domid + ", gfn=0x" + Long.toHexString(firstGfn) + ", count=" + count,
                call(populate, domid, firstGfn, count));
    }

    /**
     * XEN_DOMCTL_set_target; target 0x7FF4 (DOMID_INVALID) clears it, which Xen itself cannot do.
     *
     * @param domid the domain that gets the rights
     * @param target the domain it gets rights over
     */
    public void setTarget(int domid, int target) {
        check("xensim_set_target", "domid=" + domid + ", target=" + target, call(setTarget, domid, target));
    }

    /**
     * The backing frame of a gfn, or empty when the gfn is not mapped.
     *
     * @param domid the domain
     * @param gfn the guest frame
     * @return the frame, or empty
     */
    public Optional<Long> frameOf(int domid, long gfn) {
        long rc = callLong(p2mLookup, domid, gfn);
        if (rc == -Errno.ENOENT) {
            return Optional.empty();
        }
        check("xensim_p2m_lookup", "domid=" + domid + ", gfn=0x" + Long.toHexString(gfn), rc);
        return Optional.of(rc);
    }

    /**
     * Whether the gfn maps another domain's page (false: own RAM).
     *
     * @param domid the domain
     * @param gfn the guest frame
     * @return true for a foreign mapping
     */
    public boolean isForeign(int domid, long gfn) {
        return check("xensim_p2m_is_foreign", "domid=" + domid + ", gfn=0x" + Long.toHexString(gfn),
                call(p2mIsForeign, domid, gfn)) == 1;
    }

    /**
     * Gfns mapped in the domain, own RAM and foreign.
     *
     * @param domid the domain
     * @return their number
     */
    public long mappedPages(int domid) {
        return callLong(p2mCount, domid);
    }

    /**
     * Writes bytes at a guest physical address through the domain's p2m.
     *
     * @param domid the domain
     * @param gpa the guest-physical address
     * @param bytes what to write
     */
    public void write(int domid, long gpa, byte[] bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(bytes, 0, buffer, ValueLayout.JAVA_BYTE, 0, bytes.length);
            check("xensim_write", "domid=" + domid + ", gpa=0x" + Long.toHexString(gpa),
                    call(write, domid, gpa, buffer, (long) bytes.length));
        }
    }

    /**
     * Reads bytes at a guest physical address through the domain's p2m.
     *
     * @param domid the domain
     * @param gpa the guest-physical address
     * @param length how many bytes
     * @return the bytes
     */
    public byte[] read(int domid, long gpa, int length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(Math.max(1, length));
            check("xensim_read", "domid=" + domid + ", gpa=0x" + Long.toHexString(gpa),
                    call(read, domid, gpa, buffer, (long) length));
            return buffer.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * The {@code nth} hypercall of class {@code op} from now fails as a whole with {@code errno}.
     *
     * @param op the class of hypercall
     * @param nth 1 for the next one
     * @param errno the positive errno
     */
    public void failNth(Op op, long nth, int errno) {
        check("xensim_fail_nth", op + ", nth=" + nth, call(failNth, op.ordinal(), nth, errno));
    }

    /**
     * The {@code nth} hypercall of class {@code op} from now runs, then stops the process that
     * made it (SIGSTOP), whichever process shares this hypervisor: a test acts while a toolstack
     * is frozen at a known point, then continues or kills it. Cleared by {@link #clearFaults()}.
     *
     * @param op  the class of hypercall
     * @param nth which one of them, from 1
     */
    public void stopAfterNth(Op op, long nth) {
        check("xensim_stop_after_nth", op + ", nth=" + nth, call(stopAfterNth, op.ordinal(), nth));
    }

    /**
     * Every add or remove of this gfn in this domain fails with {@code errno} for that entry.
     *
     * @param domid the domain
     * @param gfn the guest frame
     * @param errno the positive errno
     */
    public void failGfn(int domid, long gfn, int errno) {
        check("xensim_fail_gfn", "domid=" + domid + ", gfn=0x" + Long.toHexString(gfn),
                call(failGfn, domid, gfn, errno));
    }

    /** Drops every pending fault and stop. */
    public void clearFaults() {
        check("xensim_clear_faults", "", call(clearFaults));
    }

    /**
     * Hypercalls of class {@code op} since the last reset.
     *
     * @param op the class of hypercall
     * @return their number
     */
    public long opCount(Op op) {
        return callLong(opCount, op.ordinal());
    }

    /**
     * Add entries that landed on an already mapped gfn and replaced it, as Xen on Arm does.
     *
     * @return their number
     */
    public long replacedMappings() {
        return callLong(replacedCount);
    }

    private static MethodHandle bind(SymbolLookup lookup, String name, FunctionDescriptor descriptor) {
        MemorySegment address = lookup.find(name).orElseThrow(() -> new TestBedUnavailableException(
                LIBRARY + " has no symbol " + name + ": rebuild it with 'make -C src/testkit/native'"));
        return LINKER.downcallHandle(address, descriptor);
    }

    private static int call(MethodHandle handle, Object... args) {
        try {
            return (int) handle.invokeWithArguments(args);
        } catch (Throwable t) {
            throw new IllegalStateException("simulated hypervisor call failed", t);
        }
    }

    private static long callLong(MethodHandle handle, Object... args) {
        try {
            return (long) handle.invokeWithArguments(args);
        } catch (Throwable t) {
            throw new IllegalStateException("simulated hypervisor call failed", t);
        }
    }

    private static long check(String call, String arguments, long rc) {
        if (rc < 0) {
            throw new IllegalStateException(call + "(" + arguments + ") failed: " + Errno.name((int) -rc));
        }
        return rc;
    }
}
