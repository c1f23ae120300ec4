/**
 * The C toolstacks that carry static shm, retold over the host seams: a control plane that shares
 * a host with them tests that both see one consistent set of regions.
 */
package org.xensshm.testkit.interop;
