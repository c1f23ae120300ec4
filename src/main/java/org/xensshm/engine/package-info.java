/**
 * The engine: attaches and detaches a domain's regions, with rollback and crash recovery, over
 * two small seams, {@link org.xensshm.engine.Hypervisor} and {@link org.xensshm.engine.Store}.
 */
package org.xensshm.engine;
