package org.xensshm.backend.xen;

import java.util.List;
import java.util.Optional;

import org.xensshm.engine.Store;
import org.xensshm.engine.StoreTransaction;
import org.xensshm.xen.XenStore;
import org.xensshm.xen.XsPermission;
import org.xensshm.xen.XsTransaction;

/** The engine's store seam over a libxenstore connection. */
public final class XenStoreBackend implements Store, AutoCloseable {

    private final XenStore store;

    public XenStoreBackend(XenStore store) {
        this.store = store;
    }

    /** Connects to xenstored; closing the returned store closes the connection. */
    public static XenStoreBackend open() {
        return new XenStoreBackend(XenStore.open());
    }

    @Override
    public StoreTransaction begin() {
        return new Transaction(store.begin());
    }

    @Override
    public String domainPath(int domid) {
        return store.domainPath(domid);
    }

    @Override
    public void close() {
        store.close();
    }

    private record Transaction(XsTransaction txn) implements StoreTransaction {

        @Override
        public Optional<String> read(String path) {
            return txn.read(path);
        }

        @Override
        public void write(String path, String value) {
            txn.write(path, value);
        }

        @Override
        public void mkdir(String path) {
            txn.mkdir(path);
        }

        @Override
        public void remove(String path) {
            txn.remove(path);
        }

        @Override
        public List<String> list(String path) {
            return txn.directory(path);
        }

        @Override
        public void setPermissions(String path, List<XsPermission> permissions) {
            txn.setPermissions(path, permissions);
        }

        @Override
        public List<XsPermission> permissions(String path) {
            return txn.permissions(path);
        }

        @Override
        public boolean commit() {
            return txn.commit();
        }

        @Override
        public void close() {
            txn.close();
        }
    }
}
