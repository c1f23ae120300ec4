package org.xensshm.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import org.xensshm.ffi.xen_h;

/**
 * Downcall handles for the generated functions, re-linked with errno capture: jextract's own
 * handles do not capture errno, and errno read later may already belong to another call. Each
 * handle takes the capture segment as an extra first argument. Only touch this class after
 * {@link NativeLibraries#require()}.
 */
final class Native {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    static final MethodHandle XC_INTERFACE_OPEN =
            capturing(xen_h.xc_interface_open$address(), xen_h.xc_interface_open$descriptor());
    static final MethodHandle XC_INTERFACE_CLOSE =
            capturing(xen_h.xc_interface_close$address(), xen_h.xc_interface_close$descriptor());
    static final MethodHandle XC_VERSION =
            capturing(xen_h.xc_version$address(), xen_h.xc_version$descriptor());
    static final MethodHandle XC_ADD_TO_PHYSMAP_BATCH = capturing(
            xen_h.xc_domain_add_to_physmap_batch$address(), xen_h.xc_domain_add_to_physmap_batch$descriptor());
    static final MethodHandle XC_REMOVE_FROM_PHYSMAP = capturing(
            xen_h.xc_domain_remove_from_physmap$address(), xen_h.xc_domain_remove_from_physmap$descriptor());
    static final MethodHandle XC_DOMAIN_GETINFOLIST =
            capturing(xen_h.xc_domain_getinfolist$address(), xen_h.xc_domain_getinfolist$descriptor());
    static final MethodHandle XC_DOMAIN_SET_TARGET =
            capturing(xen_h.xc_domain_set_target$address(), xen_h.xc_domain_set_target$descriptor());
    static final MethodHandle XC_DOMAIN_CREATE =
            capturing(xen_h.xc_domain_create$address(), xen_h.xc_domain_create$descriptor());
    static final MethodHandle XC_DOMAIN_DESTROY =
            capturing(xen_h.xc_domain_destroy$address(), xen_h.xc_domain_destroy$descriptor());
    static final MethodHandle XC_DOMAIN_UNPAUSE =
            capturing(xen_h.xc_domain_unpause$address(), xen_h.xc_domain_unpause$descriptor());
    static final MethodHandle XC_DOMAIN_SETMAXMEM =
            capturing(xen_h.xc_domain_setmaxmem$address(), xen_h.xc_domain_setmaxmem$descriptor());
    static final MethodHandle XC_DOMAIN_POPULATE_PHYSMAP_EXACT = capturing(
            xen_h.xc_domain_populate_physmap_exact$address(), xen_h.xc_domain_populate_physmap_exact$descriptor());

    static final MethodHandle XENCALL_OPEN = capturing(xen_h.xencall_open$address(), xen_h.xencall_open$descriptor());
    static final MethodHandle XENCALL_CLOSE = capturing(xen_h.xencall_close$address(), xen_h.xencall_close$descriptor());
    static final MethodHandle XENCALL_ALLOC_BUFFER =
            capturing(xen_h.xencall_alloc_buffer$address(), xen_h.xencall_alloc_buffer$descriptor());
    static final MethodHandle XENCALL2 = capturing(xen_h.xencall2$address(), xen_h.xencall2$descriptor());

    static final MethodHandle XS_OPEN = capturing(xen_h.xs_open$address(), xen_h.xs_open$descriptor());
    static final MethodHandle XS_TRANSACTION_START =
            capturing(xen_h.xs_transaction_start$address(), xen_h.xs_transaction_start$descriptor());
    static final MethodHandle XS_TRANSACTION_END =
            capturing(xen_h.xs_transaction_end$address(), xen_h.xs_transaction_end$descriptor());
    static final MethodHandle XS_READ = capturing(xen_h.xs_read$address(), xen_h.xs_read$descriptor());
    static final MethodHandle XS_WRITE = capturing(xen_h.xs_write$address(), xen_h.xs_write$descriptor());
    static final MethodHandle XS_MKDIR = capturing(xen_h.xs_mkdir$address(), xen_h.xs_mkdir$descriptor());
    static final MethodHandle XS_RM = capturing(xen_h.xs_rm$address(), xen_h.xs_rm$descriptor());
    static final MethodHandle XS_DIRECTORY =
            capturing(xen_h.xs_directory$address(), xen_h.xs_directory$descriptor());
    static final MethodHandle XS_GET_PERMISSIONS =
            capturing(xen_h.xs_get_permissions$address(), xen_h.xs_get_permissions$descriptor());
    static final MethodHandle XS_SET_PERMISSIONS =
            capturing(xen_h.xs_set_permissions$address(), xen_h.xs_set_permissions$descriptor());
    static final MethodHandle XS_GET_DOMAIN_PATH =
            capturing(xen_h.xs_get_domain_path$address(), xen_h.xs_get_domain_path$descriptor());
    static final MethodHandle XS_WATCH = capturing(xen_h.xs_watch$address(), xen_h.xs_watch$descriptor());
    static final MethodHandle XS_UNWATCH = capturing(xen_h.xs_unwatch$address(), xen_h.xs_unwatch$descriptor());
    static final MethodHandle XS_READ_WATCH =
            capturing(xen_h.xs_read_watch$address(), xen_h.xs_read_watch$descriptor());
    static final MethodHandle XS_CHECK_WATCH =
            capturing(xen_h.xs_check_watch$address(), xen_h.xs_check_watch$descriptor());
    static final MethodHandle XS_INTRODUCE_DOMAIN =
            capturing(xen_h.xs_introduce_domain$address(), xen_h.xs_introduce_domain$descriptor());
    static final MethodHandle XS_RELEASE_DOMAIN =
            capturing(xen_h.xs_release_domain$address(), xen_h.xs_release_domain$descriptor());
    static final MethodHandle POLL = capturing(xen_h.poll$address(), xen_h.poll$descriptor());

    private Native() {
    }

    private static MethodHandle capturing(MemorySegment address, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(address, descriptor, CAPTURE_ERRNO);
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
