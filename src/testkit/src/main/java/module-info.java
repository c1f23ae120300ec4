/**
 * Testing a control plane that uses xen-sshm without Xen: an in-memory host, fault injection
 * over any host, and the native test bed (a user-space Xen behind the real Debian libraries)
 * with a JUnit extension that provides it.
 */
module org.xensshm.testkit {
    requires transitive org.xensshm;
    requires static org.junit.jupiter.api;

    exports org.xensshm.testkit;
    exports org.xensshm.testkit.memory;
    exports org.xensshm.testkit.fault;
    exports org.xensshm.testkit.interop;
    exports org.xensshm.testkit.testbed;
    exports org.xensshm.testkit.junit;
}
