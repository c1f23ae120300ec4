/**
 * Fault injection over the engine's seams: decorators for any {@link org.xensshm.host.Hypervisor}
 * and {@link org.xensshm.host.Store} (in-memory or native) that count every hypercall and store
 * operation and make a chosen one fail, or simulate the toolstack dying just before or after it.
 */
package org.xensshm.testkit.fault;
