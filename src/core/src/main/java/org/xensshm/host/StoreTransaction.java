package org.xensshm.host;

import java.util.List;
import java.util.Optional;


/**
 * A xenstore transaction as a value: reads see a snapshot plus this transaction's own writes;
 * {@link #commit()} publishes them or reports a conflict; {@link #close()} aborts if not committed.
 * Every failing operation throws {@link XenCallException} naming the operation and path.
 */
public interface StoreTransaction extends AutoCloseable {

    /** The node's value, or empty when the node does not exist. */
    Optional<String> read(String path);

    /** Creates the node and missing parents if needed, and sets its value. */
    void write(String path, String value);

    /** Creates the node (empty value) and missing parents; an existing node is left as it is. */
    void mkdir(String path);

    /** Removes the node and its subtree; a missing node is not an error. */
    void remove(String path);

    /** Names of the node's children, empty when it has none or does not exist. */
    List<String> list(String path);

    void setPermissions(String path, List<XsPermission> permissions);

    List<XsPermission> permissions(String path);

    /**
     * Commits. Returns false when another writer got in first (EAGAIN): nothing was applied and
     * the unit of work may be retried in a new transaction.
     */
    boolean commit();

    /** Aborts unless committed; never throws for an already-finished transaction. */
    @Override
    void close();
}
