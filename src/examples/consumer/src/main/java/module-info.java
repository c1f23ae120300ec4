/** An example control plane: shares memory between its domains through xen-sshm. */
module com.example.controlplane {
    requires org.xensshm;

    exports com.example.controlplane;
}
