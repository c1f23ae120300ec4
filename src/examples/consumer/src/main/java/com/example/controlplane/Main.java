package com.example.controlplane;

import java.nio.file.Path;

import org.xensshm.xen.Availability;
import org.xensshm.xen.XenHost;

/** Runs the example on this host's Xen, or says why it cannot. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        Availability xen = XenHost.availability();
        if (!xen.available()) {
            System.err.println("no Xen here: " + xen.reason());
            System.exit(1);
        }
        try (XenHost host = XenHost.open()) {
            System.out.println(SharedMemory.shareAndRelease(host.hypervisor(), host.store(), Path.of(args[0])));
        }
    }
}
