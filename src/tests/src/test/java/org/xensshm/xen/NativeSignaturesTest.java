package org.xensshm.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xensshm.ffi.xen_h;

/**
 * The signatures {@link Native} links (restated from the C prototypes, to avoid jextract's
 * per-function holders) are those of the generated bindings: a wrong width would pass garbage
 * to C without any error.
 */
class NativeSignaturesTest {

    @BeforeAll
    static void libraries() {
        NativeLibraries.require();
    }

    @Test
    void everyLinkedFunctionHasTheGeneratedBindingsSignatureWithTheErrnoSlotFirst() {
        Map<String, Supplier<MethodHandle[]>> functions = Map.ofEntries(
                Map.entry("xs_open", () -> pair(Native.XS_OPEN, xen_h.xs_open$handle())),
                Map.entry("xs_transaction_start",
                        () -> pair(Native.XS_TRANSACTION_START, xen_h.xs_transaction_start$handle())),
                Map.entry("xs_transaction_end",
                        () -> pair(Native.XS_TRANSACTION_END, xen_h.xs_transaction_end$handle())),
                Map.entry("xs_read", () -> pair(Native.XS_READ, xen_h.xs_read$handle())),
                Map.entry("xs_write", () -> pair(Native.StoreWrites.WRITE, xen_h.xs_write$handle())),
                Map.entry("xs_mkdir", () -> pair(Native.StoreWrites.MKDIR, xen_h.xs_mkdir$handle())),
                Map.entry("xs_rm", () -> pair(Native.StoreWrites.RM, xen_h.xs_rm$handle())),
                Map.entry("xs_directory", () -> pair(Native.XS_DIRECTORY, xen_h.xs_directory$handle())),
                Map.entry("xs_get_permissions",
                        () -> pair(Native.XS_GET_PERMISSIONS, xen_h.xs_get_permissions$handle())),
                Map.entry("xs_set_permissions",
                        () -> pair(Native.StoreWrites.SET_PERMISSIONS, xen_h.xs_set_permissions$handle())),
                Map.entry("xs_get_domain_path",
                        () -> pair(Native.XS_GET_DOMAIN_PATH, xen_h.xs_get_domain_path$handle())),
                Map.entry("xs_watch", () -> pair(Native.StoreWatching.WATCH, xen_h.xs_watch$handle())),
                Map.entry("xs_unwatch", () -> pair(Native.StoreWatching.UNWATCH, xen_h.xs_unwatch$handle())),
                Map.entry("xs_read_watch", () -> pair(Native.StoreWatching.READ_WATCH, xen_h.xs_read_watch$handle())),
                Map.entry("xs_check_watch", () -> pair(Native.StoreWatching.CHECK_WATCH, xen_h.xs_check_watch$handle())),
                Map.entry("xs_introduce_domain",
                        () -> pair(Native.StoreDomains.INTRODUCE_DOMAIN, xen_h.xs_introduce_domain$handle())),
                Map.entry("xs_release_domain", () -> pair(Native.StoreDomains.RELEASE_DOMAIN, xen_h.xs_release_domain$handle())),
                Map.entry("poll", () -> pair(Native.StoreWatching.POLL, xen_h.poll$handle())),
                Map.entry("xc_interface_open",
                        () -> pair(Native.Control.INTERFACE_OPEN, xen_h.xc_interface_open$handle())),
                Map.entry("xc_interface_close",
                        () -> pair(Native.Control.INTERFACE_CLOSE, xen_h.xc_interface_close$handle())),
                Map.entry("xc_version", () -> pair(Native.Control.VERSION, xen_h.xc_version$handle())),
                Map.entry("xc_domain_getinfolist",
                        () -> pair(Native.Domains.GETINFOLIST, xen_h.xc_domain_getinfolist$handle())),
                Map.entry("xc_domain_add_to_physmap_batch", () -> pair(Native.Mapping.ADD_TO_PHYSMAP_BATCH,
                        xen_h.xc_domain_add_to_physmap_batch$handle())),
                Map.entry("xc_domain_remove_from_physmap", () -> pair(Native.Mapping.REMOVE_FROM_PHYSMAP,
                        xen_h.xc_domain_remove_from_physmap$handle())),
                Map.entry("xc_domain_set_target",
                        () -> pair(Native.Building.SET_TARGET, xen_h.xc_domain_set_target$handle())),
                Map.entry("xc_domain_create", () -> pair(Native.Building.CREATE, xen_h.xc_domain_create$handle())),
                Map.entry("xc_domain_destroy",
                        () -> pair(Native.Building.DESTROY, xen_h.xc_domain_destroy$handle())),
                Map.entry("xc_domain_unpause",
                        () -> pair(Native.Building.UNPAUSE, xen_h.xc_domain_unpause$handle())),
                Map.entry("xc_domain_setmaxmem",
                        () -> pair(Native.Building.SETMAXMEM, xen_h.xc_domain_setmaxmem$handle())),
                Map.entry("xc_domain_populate_physmap_exact", () -> pair(Native.Building.POPULATE_PHYSMAP_EXACT,
                        xen_h.xc_domain_populate_physmap_exact$handle())),
                Map.entry("xencall_open", () -> pair(Native.Hypercalls.OPEN, xen_h.xencall_open$handle())),
                Map.entry("xencall_close", () -> pair(Native.Hypercalls.CLOSE, xen_h.xencall_close$handle())),
                Map.entry("xencall_alloc_buffer",
                        () -> pair(Native.Hypercalls.ALLOC_BUFFER, xen_h.xencall_alloc_buffer$handle())),
                Map.entry("xencall2", () -> pair(Native.Hypercalls.CALL2, xen_h.xencall2$handle())));
        functions.forEach((name, handles) -> {
            MethodHandle[] pair = handles.get();
            assertEquals(pair[1].type().insertParameterTypes(0, MemorySegment.class), pair[0].type(), name);
        });
        assertEquals(linkedHandles(), functions.size(), "every handle Native links is checked here");
    }

    /** The MethodHandle constants of Native and its groups. */
    private static long linkedHandles() {
        return Stream.concat(Stream.of(Native.class), Stream.of(Native.class.getDeclaredClasses()))
                .flatMap(type -> Stream.of(type.getDeclaredFields()))
                .filter(field -> Modifier.isStatic(field.getModifiers()) && field.getType() == MethodHandle.class)
                .count();
    }

    private static MethodHandle[] pair(MethodHandle linked, MethodHandle generated) {
        return new MethodHandle[] {linked, generated};
    }
}
