package org.xensshm.benchmarks;

import java.nio.file.Path;

import org.xensshm.engine.StaticShmEngine;
import org.xensshm.spec.DomainSpecs;
import org.xensshm.spec.Role;
import org.xensshm.spec.SshmSpec;
import org.xensshm.testkit.fault.FaultInjector;
import org.xensshm.testkit.testbed.GuestDomains;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.testkit.testbed.TestBed;
import org.xensshm.xen.XenHost;
import org.xensshm.xen.XenStore;

/**
 * Counts the xenstore requests of the operations {@link XenstoreBenchmark} times, through the
 * test kit's {@link FaultInjector} around the real store (every counted operation is one request
 * to xenstored and its answer). Prints, tab-separated: operation, regions, requests, requests per
 * region. Run with the simulator preloaded:
 * {@code java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar org.xensshm.benchmarks.RoundTrips}.
 */
public final class RoundTrips {

    private RoundTrips() {
    }

    public static void main(String[] args) {
        for (int regions : new int[] {1, 8, 64}) {
            try (TestBed bed = TestBed.start(Path.of(System.getProperty("java.io.tmpdir")))) {
                bed.hypervisor().personality(SimulatedHypervisor.Personality.SERIES_FIXED);
                try (XenStore xs = XenStore.open()) {
                    GuestDomains.create(bed.hypervisor(), xs, XenstoreBenchmark.OWNER);
                    GuestDomains.create(bed.hypervisor(), xs, XenstoreBenchmark.BORROWER);
                }
                bed.hypervisor().populate(XenstoreBenchmark.OWNER,
                        EngineBenchmark.OWNER_BEGIN >>> SshmSpec.PAGE_SHIFT, 2L * regions);
                DomainSpecs owned = XenstoreBenchmark.specs(regions, "owner", Role.OWNER,
                        EngineBenchmark.OWNER_BEGIN);
                DomainSpecs borrowed = XenstoreBenchmark.specs(regions, "borrower", Role.BORROWER,
                        EngineBenchmark.BORROWER_BEGIN);
                try (XenHost host = XenHost.open()) {
                    FaultInjector counter = new FaultInjector();
                    StaticShmEngine engine = new StaticShmEngine(host.hypervisor(), counter.wrap(host.store()));
                    // The hypervisor self-test runs once per boot, on the first borrower's attach: not counted.
                    engine.attach(XenstoreBenchmark.OWNER, owned);
                    engine.attach(XenstoreBenchmark.BORROWER, borrowed);
                    engine.detach(XenstoreBenchmark.BORROWER);
                    engine.detach(XenstoreBenchmark.OWNER);
                    count(counter, "ownerAttach", regions, () -> engine.attach(XenstoreBenchmark.OWNER, owned));
                    count(counter, "borrowerAttach", regions, () -> engine.attach(XenstoreBenchmark.BORROWER, borrowed));
                    count(counter, "borrowerDetach", regions, () -> engine.detach(XenstoreBenchmark.BORROWER));
                    count(counter, "ownerDetach", regions, () -> engine.detach(XenstoreBenchmark.OWNER));
                }
            }
        }
    }

    private static void count(FaultInjector counter, String operation, int regions, Runnable work) {
        long before = counter.count();
        work.run();
        long requests = counter.count() - before;
        System.out.printf("%s\t%d\t%d\t%.1f%n", operation, regions, requests, (double) requests / regions);
    }
}
