package org.xensshm.testkit;

import java.util.List;

import org.xensshm.host.Store;
import org.xensshm.host.StoreTransaction;
import org.xensshm.host.XsPermission;

/**
 * The xenstore directory a toolstack gives every domain it creates, {@code /local/domain/<domid>},
 * which the engine requires before it records anything for the domain; on any {@link Store}.
 */
public final class DomainDirectories {

    private static final XsPermission DOM0_ONLY = new XsPermission(0, XsPermission.Access.NONE);

    private DomainDirectories() {
    }

    /**
     * Writes the directory as xl does: owned by dom0, readable by the guest itself (dom0's is dom0's alone).
     *
     * @param store the store to write to
     * @param domid the domain
     */
    public static void write(Store store, int domid) {
        String path = store.domainPath(domid);
        store.inTransaction(8, tx -> {
            writeDirectory(tx, path, domid);
            return null;
        });
    }

    /**
     * Writes the directory with the domain's {@code name} in it, in one transaction as libxl
     * does, so that whoever sees the directory sees the name too.
     *
     * @param domid the domain
     * @param name the domain's name
     * @param store the store
     */
    public static void write(Store store, int domid, String name) {
        String path = store.domainPath(domid);
        store.inTransaction(8, tx -> {
            writeDirectory(tx, path, domid);
            tx.write(path + "/name", name);
            return null;
        });
    }

    private static void writeDirectory(StoreTransaction tx, String path, int domid) {
        tx.write(path, "");
        tx.setPermissions(path, domid == 0 ? List.of(DOM0_ONLY)
                : List.of(DOM0_ONLY, new XsPermission(domid, XsPermission.Access.READ)));
    }

    /**
     * Removes the directory, as a toolstack's teardown of the domain does.
     *
     * @param domid the domain
     * @param store the store
     */
    public static void remove(Store store, int domid) {
        String path = store.domainPath(domid);
        store.inTransaction(8, tx -> {
            tx.remove(path);
            return null;
        });
    }
}
