package org.xensshm.testkit.fault;

/** The calls a {@link FaultInjector} counts: the hypercalls that change physmaps and every store operation. */
public enum Operation {
    ADD_TO_PHYSMAP_BATCH,
    REMOVE_FROM_PHYSMAP,
    /** A batch of removals (one multicall on Xen), counted once whatever its entries. */
    REMOVE_FROM_PHYSMAP_BATCH,
    SET_TARGET,
    STORE_BEGIN,
    STORE_READ,
    STORE_WRITE,
    STORE_MKDIR,
    STORE_REMOVE,
    STORE_LIST,
    STORE_SET_PERMISSIONS,
    STORE_PERMISSIONS,
    STORE_COMMIT
}
