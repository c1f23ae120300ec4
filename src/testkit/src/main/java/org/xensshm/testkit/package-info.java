/**
 * Testing a control plane without Xen. {@link org.xensshm.testkit.memory} holds an in-memory host,
 * {@link org.xensshm.testkit.fault} fault injection over any host, {@link org.xensshm.testkit.testbed}
 * the native test bed and {@link org.xensshm.testkit.junit} its JUnit extension; this package what
 * a toolstack does for every domain on either host.
 */
package org.xensshm.testkit;
