package com.example.controlplane;

import java.nio.file.Path;
import java.util.List;

import org.xensshm.engine.ReconcileReport;
import org.xensshm.engine.StaticShmEngine;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.Store;
import org.xensshm.spec.DomainSpecs;
import org.xensshm.spec.Platform;
import org.xensshm.spec.Role;
import org.xensshm.spec.SpecValidator;
import org.xensshm.spec.SshmSpec;
import org.xensshm.spec.XlConfigParser;

/**
 * The README's library example, as a control plane would hold it: written against the host seams,
 * so that it runs over Xen ({@code XenHost}) and over the test kit's in-memory host alike.
 */
public final class SharedMemory {

    private SharedMemory() {
    }

    /**
     * vm1 (domain 1) offers 1 MiB of its RAM as region ID1; vm2 (domain 2), configured by
     * {@code vm2Config}, maps it; then both leave again.
     *
     * @return what reconcile found afterwards: nothing, when all went well
     */
    public static ReconcileReport shareAndRelease(Hypervisor hypervisor, Store store, Path vm2Config)
            throws java.io.IOException {
        // The library's API docs show this part (org.xensshm.engine's overview).
        // @start region="example"
        StaticShmEngine engine = new StaticShmEngine(hypervisor, store);
        Platform platform = hypervisor.platform();

        // vm1 (domain 1) offers 1 MiB of its RAM as region ID1; specs built in code ...
        DomainSpecs vm1 = SpecValidator.validate("vm1", List.of(
                SshmSpec.builder("ID1").role(Role.OWNER).begin(0x100000).size(0x100000).build()), platform);
        // ... or read from an xl config: vm2 (domain 2) maps all of ID1 at its 0x500000
        DomainSpecs vm2 = SpecValidator.validate(XlConfigParser.parse(vm2Config), platform);

        engine.attach(1, vm1);    // owners first: records the region in xenstore
        engine.attach(2, vm2);    // maps vm1's pages into vm2, or fails and leaves nothing

        // ... the guests share memory ...

        engine.detach(2);         // unmaps, drops vm2's entries and its count
        engine.detach(1);         // the region's record goes with its last user

        // After a toolstack crash: finish or undo whatever was half done.
        return engine.reconcile();
        // @end region="example"
    }
}
