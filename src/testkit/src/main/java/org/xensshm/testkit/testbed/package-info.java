/**
 * The user-space Xen test bed: the simulated hypervisor behind /dev/xen/privcmd (preloaded C
 * library, controlled through FFM) and a real xenstored in a private directory. Used by the
 * tests and by the CLI's {@code testbed} and {@code demo} commands.
 */
package org.xensshm.testkit.testbed;
