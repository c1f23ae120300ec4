package org.xensshm.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.xensshm.engine.EngineSettings;
import org.xensshm.engine.StaticShmEngine;
import org.xensshm.host.StoreTransaction;
import org.xensshm.spec.Platform;
import org.xensshm.spec.Role;
import org.xensshm.spec.SpecValidator;
import org.xensshm.spec.SshmSpec;
import org.xensshm.testkit.memory.InMemoryHypervisor;
import org.xensshm.testkit.memory.InMemoryStore;

/** The progress the attach command shows is counted at the hypervisor seam, batch by batch. */
class CountingHypervisorTest {

    @Test
    void countsEveryPageTheEngineMapsAsEachBatchIsDone() {
        InMemoryHypervisor xen = new InMemoryHypervisor();
        InMemoryStore store = new InMemoryStore();
        for (int domid = 1; domid <= 2; domid++) {
            xen.createDomain(domid);
            try (StoreTransaction tx = store.begin()) {
                tx.write(store.domainPath(domid), "");
                tx.commit();
            }
        }
        xen.populate(1, 0x100, 0x100);
        List<Long> batches = new ArrayList<>();
        StaticShmEngine engine = new StaticShmEngine(new CountingHypervisor(xen, 2, batches::add), store,
                EngineSettings.defaults().withChunkPages(100));

        engine.attach(1, SpecValidator.validate("vm1", List.of(SshmSpec.builder("ID1").role(Role.OWNER)
                .begin(0x100000).size(0x100000).build()), Platform.ARM));
        engine.attach(2, SpecValidator.validate("vm2", List.of(SshmSpec.builder("ID1").role(Role.BORROWER)
                .begin(0x500000).size(0xfa000).build()), Platform.ARM));

        // 250 pages in batches of at most 100.
        assertEquals(List.of(100L, 100L, 50L), batches);
        assertEquals(250, xen.foreignPages(2));
    }
}
