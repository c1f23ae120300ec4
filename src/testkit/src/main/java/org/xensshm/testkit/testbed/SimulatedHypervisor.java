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

    /** Hypercall classes for {@link #failNth} and {@link #opCount}. */
    public enum Op { ANY, ADD_TO_PHYSMAP_BATCH, REMOVE_FROM_PHYSMAP, DOMAIN_INFO }

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
    private final MethodHandle failGfn;
    private final MethodHandle clearFaults;
    private final MethodHandle opCount;
    private final MethodHandle replacedCount;

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
        failGfn = bind(lookup, "xensim_fail_gfn", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
        clearFaults = bind(lookup, "xensim_clear_faults", FunctionDescriptor.of(JAVA_INT));
        opCount = bind(lookup, "xensim_op_count", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
        replacedCount = bind(lookup, "xensim_replaced_count", FunctionDescriptor.of(JAVA_LONG));
    }

    /**
     * The simulator preloaded into this process.
     *
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

    /** The libxensim.so named in this process's LD_PRELOAD, if any. */
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

    /** Back to only dom0, no faults, zero counters; the personality stays. */
    public void reset() {
        check("xensim_reset", "", call(reset));
    }

    /** Patched: the seed's XENMAPSPACE_gmfn_share exists. Stock: Xen 4.17 as released. */
    public void patched(boolean patched) {
        check("xensim_set_personality", "patched=" + patched, call(setPersonality, patched ? 1 : 0));
    }

    public boolean patched() {
        return check("xensim_get_personality", "", call(getPersonality)) == 1;
    }

    public void createDomain(int domid) {
        check("xensim_create_domain", "domid=" + domid, call(createDomain, domid));
    }

    public void destroyDomain(int domid) {
        check("xensim_destroy_domain", "domid=" + domid, call(destroyDomain, domid));
    }

    /** Gives the domain fresh zeroed RAM at {@code count} pages from {@code firstGfn}. */
    public void populate(int domid, long firstGfn, long count) {
        check("xensim_populate", "domid=" + domid + ", gfn=0x" + Long.toHexString(firstGfn) + ", count=" + count,
                call(populate, domid, firstGfn, count));
    }

    public void setTarget(int domid, int target) {
        check("xensim_set_target", "domid=" + domid + ", target=" + target, call(setTarget, domid, target));
    }

    /** The backing frame of a gfn, or empty when the gfn is not mapped. */
    public Optional<Long> frameOf(int domid, long gfn) {
        long rc = callLong(p2mLookup, domid, gfn);
        if (rc == -Errno.ENOENT) {
            return Optional.empty();
        }
        check("xensim_p2m_lookup", "domid=" + domid + ", gfn=0x" + Long.toHexString(gfn), rc);
        return Optional.of(rc);
    }

    /** Whether the gfn maps another domain's page (false: own RAM). */
    public boolean isForeign(int domid, long gfn) {
        return check("xensim_p2m_is_foreign", "domid=" + domid + ", gfn=0x" + Long.toHexString(gfn),
                call(p2mIsForeign, domid, gfn)) == 1;
    }

    /** Gfns mapped in the domain, own RAM and foreign. */
    public long mappedPages(int domid) {
        return callLong(p2mCount, domid);
    }

    public void write(int domid, long gpa, byte[] bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(bytes, 0, buffer, ValueLayout.JAVA_BYTE, 0, bytes.length);
            check("xensim_write", "domid=" + domid + ", gpa=0x" + Long.toHexString(gpa),
                    call(write, domid, gpa, buffer, (long) bytes.length));
        }
    }

    public byte[] read(int domid, long gpa, int length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(Math.max(1, length));
            check("xensim_read", "domid=" + domid + ", gpa=0x" + Long.toHexString(gpa),
                    call(read, domid, gpa, buffer, (long) length));
            return buffer.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** The {@code nth} hypercall of class {@code op} from now fails as a whole with {@code errno}. */
    public void failNth(Op op, long nth, int errno) {
        check("xensim_fail_nth", op + ", nth=" + nth, call(failNth, op.ordinal(), nth, errno));
    }

    /** Every add or remove of this gfn in this domain fails with {@code errno} for that entry. */
    public void failGfn(int domid, long gfn, int errno) {
        check("xensim_fail_gfn", "domid=" + domid + ", gfn=0x" + Long.toHexString(gfn),
                call(failGfn, domid, gfn, errno));
    }

    public void clearFaults() {
        check("xensim_clear_faults", "", call(clearFaults));
    }

    public long opCount(Op op) {
        return callLong(opCount, op.ordinal());
    }

    /** Add entries that landed on an already mapped gfn and replaced it, as Xen on Arm does. */
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
