/**
 * The {@code xen-sshm} command line: offline checks and device-tree output from xl configs, the
 * engine's operations on the host's Xen, and the user-space test bed and demo. Internal to the
 * module; the launcher script runs {@link org.xensshm.cli.Main}.
 */
package org.xensshm.cli;
