package org.xensshm.engine;

import java.util.List;
import java.util.Optional;

import org.xensshm.host.StoreTransaction;
import org.xensshm.host.XsPermission;

/**
 * Least privilege for the records. Region records are dom0's alone; a domain may read its role
 * entries but never write them, so that a guest cannot fake or remove the entries that tell what to
 * unmap. A record a guest could have written is not trusted: it reads as malformed, so reconcile
 * skips it and status reports it.
 */
final class RecordPermissions {

    /** A region record's: no domain but dom0 reads or writes it. */
    static final List<XsPermission> DOM0_ONLY = List.of(new XsPermission(0, XsPermission.Access.NONE));

    private RecordPermissions() {
    }

    /** A role entry's: readable by its domain, writable by dom0 alone. */
    static List<XsPermission> readOnlyFor(int domid) {
        return List.of(new XsPermission(0, XsPermission.Access.NONE), new XsPermission(domid, XsPermission.Access.READ));
    }

    /** A region any domain but dom0 could have written is not trusted. */
    static void refuseGuestWritable(StoreTransaction tx, String path, String what) {
        List<XsPermission> permissions = tx.permissions(path);
        guestWritable(permissions).ifPresent(domid -> {
            throw new RecordFormatException(what + " could have been written by domain " + domid
                    + " (permissions " + permissions + "), so it is not trusted");
        });
    }

    /**
     * A domain other than dom0 that may write a node with these permissions: its owner, or one
     * given write access, or any domain when the default access writes (reported as the first
     * guest entry, or 1 when no domain is named).
     */
    static Optional<Integer> guestWritable(List<XsPermission> permissions) {
        if (permissions.isEmpty()) {
            return Optional.empty();
        }
        XsPermission owner = permissions.getFirst();
        if (owner.domid() != 0) {
            return Optional.of(owner.domid());
        }
        if (writes(owner.access())) {
            return Optional.of(permissions.stream().skip(1).map(XsPermission::domid).findFirst().orElse(1));
        }
        return permissions.stream().skip(1).filter(p -> p.domid() != 0 && writes(p.access()))
                .map(XsPermission::domid).findFirst();
    }

    private static boolean writes(XsPermission.Access access) {
        return access == XsPermission.Access.WRITE || access == XsPermission.Access.BOTH;
    }
}
