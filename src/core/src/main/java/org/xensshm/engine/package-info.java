/**
 * The engine: {@link org.xensshm.engine.StaticShmEngine} attaches and detaches a domain's regions,
 * all or nothing, records them in xenstore in the seed's layout, and reconciles what an
 * interrupted toolstack left behind. It works only through the seams of {@code org.xensshm.host},
 * so it runs the same over the native stack and in memory. Behind the small front, one class per
 * operation (attach, detach, reconcile) and one that reads and writes the records.
 *
 * <p>A control plane opens the host, builds or reads each domain's specs, and lets the engine
 * attach and detach them, all or nothing:
 * {@snippet lang=java :
 * try (XenHost host = XenHost.open()) {    // or the test kit's InMemoryHost, without Xen
 *     Hypervisor hypervisor = host.hypervisor();
 *     Store store = host.store();
 *     // ... as below
 * }
 * }
 * What follows is the README's example as the example project holds it, compiled and tested with
 * the library over the test kit's in-memory host and over the native test bed:
 * {@snippet class="com.example.controlplane.SharedMemory" region="example"}
 *
 * <p>Its exceptions are not meant to be serialized, so they have no serialized form.
 *
 * @serial exclude
 */
package org.xensshm.engine;
