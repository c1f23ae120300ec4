/** The xen-sshm command: parses the command line, runs the library, prints the result. */
module org.xensshm.cli {
    requires org.xensshm;
    requires org.xensshm.testkit;
    requires info.picocli;
    // sun.misc.Signal: 'watch' stops on SIGTERM between operations, and exits 0
    requires jdk.unsupported;

    // picocli fills the command classes' annotated fields reflectively
    opens org.xensshm.cli to info.picocli;
    opens org.xensshm.cli.command to info.picocli;
}
