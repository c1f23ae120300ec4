/**
 * The engine: {@link org.xensshm.engine.StaticShmEngine} attaches and detaches a domain's regions,
 * all or nothing, records them in xenstore in the seed's layout, and reconciles what an interrupted
 * toolstack left behind. It runs over two small seams, {@link org.xensshm.engine.Hypervisor} and
 * {@link org.xensshm.engine.Store}; {@code org.xensshm.engine.fault} injects faults into either.
 */
package org.xensshm.engine;
