/**
 * xen-sshm: static shared memory between Xen domains. The generated bindings
 * ({@code org.xensshm.ffi}) stay internal; the other packages are the library's surface.
 */
module org.xensshm {
    requires org.slf4j;

    exports org.xensshm.spec;
    exports org.xensshm.host;
    exports org.xensshm.engine;
    exports org.xensshm.xen;
    exports org.xensshm.devicetree;
    exports org.xensshm.watch;
}
