/**
 * xen-sshm: static shared memory between Xen domains. The generated bindings
 * ({@code org.xensshm.ffi}) stay internal; everything else is the public surface.
 */
module org.xensshm {
    requires org.slf4j;
    requires info.picocli;

    exports org.xensshm.spec;
    exports org.xensshm.engine;
    exports org.xensshm.engine.fault;
    exports org.xensshm.xen;
    exports org.xensshm.backend.xen;
    exports org.xensshm.backend.memory;
    exports org.xensshm.testbed;

    // picocli fills the command classes' annotated fields reflectively
    opens org.xensshm.cli to info.picocli;
}
