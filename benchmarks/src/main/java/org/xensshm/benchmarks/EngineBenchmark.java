package org.xensshm.benchmarks;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.engine.StaticShmEngine;
import org.xensshm.spec.CachePolicy;
import org.xensshm.spec.DomainSpecs;
import org.xensshm.spec.Platform;
import org.xensshm.spec.Prot;
import org.xensshm.spec.Role;
import org.xensshm.spec.SpecValidator;
import org.xensshm.spec.SshmSpec;
import org.xensshm.testkit.testbed.GuestDomains;
import org.xensshm.testkit.testbed.TestBed;
import org.xensshm.xen.XenHost;
import org.xensshm.xen.XenStore;

/**
 * A borrower's whole life on the native stack: attach (xenstore transactions, batch mapping in
 * 65535-page chunks) and detach (one unmap hypercall per page, since libxenctrl has no batch
 * unmap). Runs the test bed in the benchmark JVM, so the simulator must be preloaded.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class EngineBenchmark {

    private static final int OWNER = 1;
    private static final int BORROWER = 2;

    @Param({"256", "65535", "200000"})
    public int pages;

    private TestBed bed;
    private XenHost host;
    private StaticShmEngine engine;
    private DomainSpecs borrowed;

    @Setup(Level.Trial)
    public void setUp() {
        bed = TestBed.start(Path.of(System.getProperty("java.io.tmpdir")));
        bed.hypervisor().personality(SimulatedHypervisor.Personality.SERIES_FIXED);
        long size = (long) pages << SshmSpec.PAGE_SHIFT;
        SshmSpec owned = new SshmSpec("BENCH", Role.OWNER, 0x100000, size, 0, Prot.RW, CachePolicy.ARM_NORMAL);
        // Validated once, as a toolstack does with a domain's config.
        borrowed = SpecValidator.validate("borrower", List.of(
                new SshmSpec("BENCH", Role.BORROWER, 0x10000000L, size, 0, Prot.RW, null).toDraft()), Platform.ARM);
        try (XenStore xs = XenStore.open()) {
            GuestDomains.create(bed.hypervisor(), xs, OWNER);
            GuestDomains.create(bed.hypervisor(), xs, BORROWER);
        }
        bed.hypervisor().populate(OWNER, owned.firstGfn(), owned.pageCount());
        host = XenHost.open();
        engine = new StaticShmEngine(host.hypervisor(), host.store());
        engine.attach(OWNER, List.of(owned));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.detach(OWNER);
        host.close();
        bed.close();
    }

    @Benchmark
    public void attachAndDetachBorrower() {
        engine.attach(BORROWER, borrowed);
        engine.detach(BORROWER);
    }
}
