package org.xensshm.xen;

import java.util.List;
import java.util.Optional;

import org.xensshm.host.StoreTransaction;
import org.xensshm.host.XsPermission;

/**
 * A xenstore transaction as a value: requests go through it, {@link #commit()} ends it, and
 * {@link #close()} aborts it unless it was committed. Use with try-with-resources.
 */
public final class XsTransaction implements StoreTransaction {

    private final XenStore store;
    private final int id;
    private boolean finished;

    XsTransaction(XenStore store, int id) {
        this.store = store;
        this.id = id;
    }

    /**
     * The transaction's id in xenstored.
     *
     * @return the id
     */
    public int id() {
        return id;
    }

    @Override
    public Optional<String> read(String path) {
        return store.read(open(), path);
    }

    @Override
    public void write(String path, String value) {
        store.write(open(), path, value);
    }

    @Override
    public void mkdir(String path) {
        store.mkdir(open(), path);
    }

    @Override
    public void remove(String path) {
        store.remove(open(), path);
    }

    @Override
    public List<String> list(String path) {
        return store.list(open(), path);
    }

    @Override
    public List<XsPermission> permissions(String path) {
        return store.permissions(open(), path);
    }

    @Override
    public void setPermissions(String path, List<XsPermission> permissions) {
        store.setPermissions(open(), path, permissions);
    }

    /**
     * Commits. Returns false when another writer changed what this transaction touched (EAGAIN):
     * nothing was applied and the work may be retried in a new transaction.
     */
    @Override
    public boolean commit() {
        int txn = open();
        finished = true;
        return store.endTransaction(txn, false);
    }

    /** Aborts unless committed; a second close does nothing. */
    @Override
    public void close() {
        if (!finished) {
            finished = true;
            store.endTransaction(id, true);
        }
    }

    private int open() {
        if (finished) {
            throw new IllegalStateException("xenstore transaction " + id + " has already ended");
        }
        return id;
    }
}
