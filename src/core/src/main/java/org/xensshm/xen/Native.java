package org.xensshm.xen;

import static org.xensshm.ffi.xen_h.C_BOOL;
import static org.xensshm.ffi.xen_h.C_INT;
import static org.xensshm.ffi.xen_h.C_LONG;
import static org.xensshm.ffi.xen_h.C_POINTER;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import org.xensshm.ffi.xen_h;

/**
 * Downcall handles for the generated functions, re-linked with errno capture: jextract's own
 * handles do not capture errno, and errno read later may already belong to another call. Each
 * handle takes the capture segment as an extra first argument. Only touch this class after
 * {@link NativeLibraries#require()}.
 *
 * <p>Linking a handle costs milliseconds (a stub is generated per signature), which a short
 * command pays at start-up. So handles are linked in groups, each group on first use: a command
 * that only reads xenstore links none of the mapping or domain-building calls. Symbols are looked
 * up here rather than through jextract's {@code xen_h.f$address()}, whose per-function holder
 * would link a second, non-capturing handle for every function. The signatures restate the C
 * prototypes; a test checks each against the generated bindings.
 */
final class Native {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final SymbolLookup XEN_LIBRARIES =
            SymbolLookup.libraryLookup(NativeLibraries.XENCTRL_SONAME, Arena.global())
                    .or(SymbolLookup.libraryLookup(NativeLibraries.XENSTORE_SONAME, Arena.global()))
                    .or(SymbolLookup.libraryLookup(NativeLibraries.XENCALL_SONAME, Arena.global()));

    // libxenstore: what every command that reaches the host does, reading xenstore.
    static final MethodHandle XS_OPEN = capturing("xs_open", C_POINTER, C_LONG);
    static final MethodHandle XS_TRANSACTION_START = capturing("xs_transaction_start", C_INT, C_POINTER);
    static final MethodHandle XS_TRANSACTION_END = capturing("xs_transaction_end", C_BOOL, C_POINTER, C_INT, C_BOOL);
    static final MethodHandle XS_READ = capturing("xs_read", C_POINTER, C_POINTER, C_INT, C_POINTER, C_POINTER);
    static final MethodHandle XS_DIRECTORY = capturing("xs_directory", C_POINTER, C_POINTER, C_INT, C_POINTER, C_POINTER);
    static final MethodHandle XS_GET_PERMISSIONS =
            capturing("xs_get_permissions", C_POINTER, C_POINTER, C_INT, C_POINTER, C_POINTER);
    static final MethodHandle XS_GET_DOMAIN_PATH = capturing("xs_get_domain_path", C_POINTER, C_POINTER, C_INT);

    /** libxenstore: changing it. */
    static final class StoreWrites {
        static final MethodHandle WRITE = capturing("xs_write", C_BOOL, C_POINTER, C_INT, C_POINTER, C_POINTER, C_INT);
        static final MethodHandle MKDIR = capturing("xs_mkdir", C_BOOL, C_POINTER, C_INT, C_POINTER);
        static final MethodHandle RM = capturing("xs_rm", C_BOOL, C_POINTER, C_INT, C_POINTER);
        static final MethodHandle SET_PERMISSIONS =
                capturing("xs_set_permissions", C_BOOL, C_POINTER, C_INT, C_POINTER, C_POINTER, C_INT);

        private StoreWrites() {
        }
    }

    /** libxenstore: watches, and poll(2) to wait a bounded time for one to fire. */
    static final class StoreWatching {
        static final MethodHandle WATCH = capturing("xs_watch", C_BOOL, C_POINTER, C_POINTER, C_POINTER);
        static final MethodHandle UNWATCH = capturing("xs_unwatch", C_BOOL, C_POINTER, C_POINTER, C_POINTER);
        static final MethodHandle READ_WATCH = capturing("xs_read_watch", C_POINTER, C_POINTER, C_POINTER);
        static final MethodHandle CHECK_WATCH = capturing("xs_check_watch", C_POINTER, C_POINTER);
        static final MethodHandle POLL = capturing("poll", C_INT, C_POINTER, C_LONG, C_INT);

        private StoreWatching() {
        }
    }

    /** libxenstore: introducing and releasing domains (the test bed's domain life). */
    static final class StoreDomains {
        static final MethodHandle INTRODUCE_DOMAIN =
                capturing("xs_introduce_domain", C_BOOL, C_POINTER, C_INT, C_LONG, C_INT);
        static final MethodHandle RELEASE_DOMAIN = capturing("xs_release_domain", C_BOOL, C_POINTER, C_INT);

        private StoreDomains() {
        }
    }

    /** libxenctrl: what opening a handle needs. */
    static final class Control {
        static final MethodHandle INTERFACE_OPEN =
                capturing("xc_interface_open", C_POINTER, C_POINTER, C_POINTER, C_INT);
        static final MethodHandle INTERFACE_CLOSE = capturing("xc_interface_close", C_INT, C_POINTER);
        static final MethodHandle VERSION = capturing("xc_version", C_INT, C_POINTER, C_INT, C_POINTER);

        private Control() {
        }
    }

    /** libxenctrl: looking domains up. */
    static final class Domains {
        static final MethodHandle GETINFOLIST =
                capturing("xc_domain_getinfolist", C_INT, C_POINTER, C_INT, C_INT, C_POINTER);

        private Domains() {
        }
    }

    /** libxenctrl: mapping pages and removing them one by one. */
    static final class Mapping {
        static final MethodHandle ADD_TO_PHYSMAP_BATCH = capturing("xc_domain_add_to_physmap_batch",
                C_INT, C_POINTER, C_INT, C_INT, C_INT, C_INT, C_POINTER, C_POINTER, C_POINTER);
        static final MethodHandle REMOVE_FROM_PHYSMAP =
                capturing("xc_domain_remove_from_physmap", C_INT, C_POINTER, C_INT, C_LONG);

        private Mapping() {
        }
    }

    /** libxenctrl: building and destroying domains (the hypervisor self-test's scratch domain). */
    static final class Building {
        static final MethodHandle SET_TARGET = capturing("xc_domain_set_target", C_INT, C_POINTER, C_INT, C_INT);
        static final MethodHandle CREATE = capturing("xc_domain_create", C_INT, C_POINTER, C_POINTER, C_POINTER);
        static final MethodHandle DESTROY = capturing("xc_domain_destroy", C_INT, C_POINTER, C_INT);
        static final MethodHandle UNPAUSE = capturing("xc_domain_unpause", C_INT, C_POINTER, C_INT);
        static final MethodHandle SETMAXMEM = capturing("xc_domain_setmaxmem", C_INT, C_POINTER, C_INT, C_LONG);
        static final MethodHandle POPULATE_PHYSMAP_EXACT = capturing("xc_domain_populate_physmap_exact",
                C_INT, C_POINTER, C_INT, C_LONG, C_INT, C_INT, C_POINTER);

        private Building() {
        }
    }

    /** libxencall: its handle, opened with every libxenctrl handle, and the multicall. */
    static final class Hypercalls {
        static final MethodHandle OPEN = capturing("xencall_open", C_POINTER, C_POINTER, C_INT);
        static final MethodHandle CLOSE = capturing("xencall_close", C_INT, C_POINTER);
        static final MethodHandle ALLOC_BUFFER = capturing("xencall_alloc_buffer", C_POINTER, C_POINTER, C_LONG);
        static final MethodHandle CALL2 = capturing("xencall2", C_INT, C_POINTER, C_INT, C_LONG, C_LONG);

        private Hypercalls() {
        }
    }

    private Native() {
    }

    private static MethodHandle capturing(String function, MemoryLayout result, MemoryLayout... arguments) {
        MemorySegment address = XEN_LIBRARIES.findOrThrow(function);
        return LINKER.downcallHandle(address, FunctionDescriptor.of(result, arguments), CAPTURE_ERRNO);
    }

    /**
     * This thread's capture segment, for calls made once per page: a fresh segment per call would
     * make unmapping a region allocate in proportion to its size. Calls on one thread run one at
     * a time, so the slot is free again by the next call.
     */
    private static final ThreadLocal<MemorySegment> THREAD_SLOT =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    /** A segment to pass as a capturing handle's first argument. */
    static MemorySegment errnoSlot(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    static MemorySegment threadErrnoSlot() {
        return THREAD_SLOT.get();
    }

    static int errno(MemorySegment slot) {
        return (int) ERRNO.get(slot, 0L);
    }

    /** Frees memory that libxenstore allocated and handed to us. */
    static void free(MemorySegment pointer) {
        if (!pointer.equals(MemorySegment.NULL)) {
            xen_h.free(pointer);
        }
    }

    /** Downcalls declare Throwable; anything but a RuntimeException or Error here is a bug. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("unexpected checked exception from a downcall", t);
    }
}
