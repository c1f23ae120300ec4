/**
 * xen-sshm: static shared memory between Xen domains. The generated bindings
 * ({@code org.xensshm.ffi}) stay internal; the other packages are the library's surface.
 *
 * <p>Start with {@link org.xensshm.engine}: its overview shows how a control plane uses the
 * library, with the README's example.
 *
 * <p>Where to go from there: {@link org.xensshm.spec} (specs, config files, checks),
 * {@link org.xensshm.engine} (the engine, its reports and typed errors), {@link org.xensshm.host}
 * (the seams a host implements), {@link org.xensshm.xen} (the native host) and
 * {@link org.xensshm.devicetree} (what guests and dom0less hosts are told).
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
