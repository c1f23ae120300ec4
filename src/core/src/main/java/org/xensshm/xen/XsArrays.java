package org.xensshm.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import org.xensshm.ffi.xen_h;
import org.xensshm.ffi.xs_permissions;
import org.xensshm.host.XsPermission;

/**
 * The C arrays libxenstore gives and takes, to and from Java: strings (a directory's names, a
 * watch event's path and token) and permission entries. What libxenstore gives is copied; freeing
 * it is the caller's.
 */
final class XsArrays {

    private XsArrays() {
    }

    static List<String> strings(MemorySegment array, int count) {
        MemorySegment pointers = array.reinterpret((long) count * ValueLayout.ADDRESS.byteSize());
        List<String> result = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            result.add(pointers.getAtIndex(ValueLayout.ADDRESS, i).reinterpret(Long.MAX_VALUE).getString(0));
        }
        return List.copyOf(result);
    }

    /** {@code count} xs_permissions entries, the owner's first. */
    static List<XsPermission> permissions(MemorySegment array, int count) {
        MemorySegment entries = array.reinterpret(xs_permissions.layout().byteSize() * count);
        List<XsPermission> result = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            MemorySegment entry = xs_permissions.asSlice(entries, i);
            result.add(new XsPermission(xs_permissions.id(entry), access(xs_permissions.perms(entry))));
        }
        return List.copyOf(result);
    }

    /** The entries as an xs_permissions array in {@code arena}. */
    static MemorySegment permissionArray(List<XsPermission> permissions, Arena arena) {
        MemorySegment array = xs_permissions.allocateArray(permissions.size(), arena);
        for (int i = 0; i < permissions.size(); i++) {
            MemorySegment entry = xs_permissions.asSlice(array, i);
            xs_permissions.id(entry, permissions.get(i).domid());
            xs_permissions.perms(entry, bits(permissions.get(i).access()));
        }
        return array;
    }

    private static XsPermission.Access access(int bits) {
        return switch (bits & (xen_h.XS_PERM_READ() | xen_h.XS_PERM_WRITE())) {
            case 0 -> XsPermission.Access.NONE;
            case 1 -> XsPermission.Access.READ;
            case 2 -> XsPermission.Access.WRITE;
            default -> XsPermission.Access.BOTH;
        };
    }

    private static int bits(XsPermission.Access access) {
        return switch (access) {
            case NONE -> xen_h.XS_PERM_NONE();
            case READ -> xen_h.XS_PERM_READ();
            case WRITE -> xen_h.XS_PERM_WRITE();
            case BOTH -> xen_h.XS_PERM_READ() | xen_h.XS_PERM_WRITE();
        };
    }
}
