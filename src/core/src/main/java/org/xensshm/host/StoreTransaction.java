package org.xensshm.host;

import java.util.List;
import java.util.Optional;


/**
 * A xenstore transaction as a value: reads see a snapshot plus this transaction's own writes;
 * {@link #commit()} publishes them or reports a conflict; {@link #close()} aborts if not committed.
 * Every failing operation throws {@link XenCallException} naming the operation and path.
 */
public interface StoreTransaction extends AutoCloseable {

    /**
     * The node's value, or empty when the node does not exist.
     *
     * @param path the node
     * @return its value, or empty when it does not exist
     */
    Optional<String> read(String path);

    /**
     * Creates the node and missing parents if needed, and sets its value.
     *
     * @param path the node
     * @param value its new value
     */
    void write(String path, String value);

    /**
     * Creates the node (empty value) and missing parents; an existing node is left as it is.
     *
     * @param path the node
     */
    void mkdir(String path);

    /**
     * Removes the node and its subtree; a missing node is not an error.
     *
     * @param path the node
     */
    void remove(String path);

    /**
     * Names of the node's children, empty when it has none or does not exist.
     *
     * @param path the node
     * @return its children's names; empty when it does not exist
     */
    List<String> list(String path);

    /**
     * Sets the node's permissions, the owner's entry first.
     *
     * @param path the node
     * @param permissions the owner's entry, then one per other domain
     */
    void setPermissions(String path, List<XsPermission> permissions);

    /**
     * The node's permissions.
     *
     * @param path the node
     * @return the owner's entry first
     */
    List<XsPermission> permissions(String path);

    /**
     * Commits. Returns false when another writer got in first (EAGAIN): nothing was applied and
     * the unit of work may be retried in a new transaction.
     *
     * @return true when committed, false when it conflicted and must be run again
     */
    boolean commit();

    /** Aborts unless committed; never throws for an already-finished transaction. */
    @Override
    void close();
}
