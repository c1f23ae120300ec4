package org.xensshm.testkit.fault;

/** The calls a {@link FaultInjector} counts: the two physmap hypercalls and every store operation. */
public enum Operation {
    ADD_TO_PHYSMAP_BATCH,
    REMOVE_FROM_PHYSMAP,
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
