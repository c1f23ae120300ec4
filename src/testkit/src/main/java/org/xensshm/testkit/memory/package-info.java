/**
 * In-memory backends for the engine's seams: a hypervisor with real page bytes and the simulated
 * hypervisor's rules and errors, and a xenstore with permissions and conflicting transactions.
 * For tests and demos without Xen; both offer fault hooks.
 */
package org.xensshm.testkit.memory;
