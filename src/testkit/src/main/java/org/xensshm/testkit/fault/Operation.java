package org.xensshm.testkit.fault;

/**
 * The calls a {@link FaultInjector} counts: the hypercalls that change physmaps and every store
 * operation.
 */
public enum Operation {
    /** {@code Hypervisor.addToPhysmapBatch}, counted once per call. */
    ADD_TO_PHYSMAP_BATCH,
    /** {@code Hypervisor.removeFromPhysmap}. */
    REMOVE_FROM_PHYSMAP,
    /** A batch of removals (one multicall on Xen), counted once whatever its entries. */
    REMOVE_FROM_PHYSMAP_BATCH,
    /** {@code Hypervisor.setTarget}. */
    SET_TARGET,
    /** Starting a store transaction. */
    STORE_BEGIN,
    /** Reading a node. */
    STORE_READ,
    /** Writing a node. */
    STORE_WRITE,
    /** Creating a node. */
    STORE_MKDIR,
    /** Removing a node. */
    STORE_REMOVE,
    /** Listing a node's children. */
    STORE_LIST,
    /** Setting a node's permissions. */
    STORE_SET_PERMISSIONS,
    /** Reading a node's permissions. */
    STORE_PERMISSIONS,
    /** Committing a transaction. */
    STORE_COMMIT
}
