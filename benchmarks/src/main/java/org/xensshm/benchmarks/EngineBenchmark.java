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
import org.xensshm.engine.AttachReport;
import org.xensshm.engine.DetachReport;
import org.xensshm.engine.StaticShmEngine;
import org.xensshm.spec.CachePolicy;
import org.xensshm.spec.DomainSpecs;
import org.xensshm.spec.Platform;
import org.xensshm.spec.Prot;
import org.xensshm.spec.Role;
import org.xensshm.spec.SpecValidator;
import org.xensshm.spec.SshmSpec;
import org.xensshm.testkit.testbed.GuestDomains;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.testkit.testbed.TestBed;
import org.xensshm.xen.XenHost;
import org.xensshm.xen.XenStore;

/**
 * A borrower's attach and detach through the engine on the native stack: xenstore transactions
 * with a real xenstored, the window emptied and the pages mapped in 65535-page chunks, and on
 * detach the pages removed in multicalls. Attach and detach are timed each on its own, the other
 * running between invocations, untimed. Runs the test bed in the benchmark JVM, so the simulator
 * must be preloaded.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class EngineBenchmark {

    static final int OWNER = 1;
    static final int BORROWER = 2;
    /** In the guest's second RAM bank, clear of everything Xen places in an Arm guest. */
    static final long OWNER_BEGIN = 0x2_0000_0000L;
    static final long BORROWER_BEGIN = 0x10_0000_0000L;

    /** The host: a test bed, the owner's region attached once, the borrower's specs validated once. */
    @State(Scope.Benchmark)
    public static class Host {
        @Param({"1", "512", "65536", "262144", "1048576", "4194304"})
        public int pages;

        TestBed bed;
        XenHost host;
        StaticShmEngine engine;
        DomainSpecs borrowed;

        @Setup(Level.Trial)
        public void setUp() {
            bed = TestBed.start(Path.of(System.getProperty("java.io.tmpdir")));
            bed.hypervisor().personality(SimulatedHypervisor.Personality.SERIES_FIXED);
            long size = (long) pages << SshmSpec.PAGE_SHIFT;
            SshmSpec owned = new SshmSpec("BENCH", Role.OWNER, OWNER_BEGIN, size, 0, Prot.RW, CachePolicy.ARM_NORMAL);
            // Validated once, as a toolstack does with a domain's config.
            borrowed = SpecValidator.validate("borrower", List.of(
                    new SshmSpec("BENCH", Role.BORROWER, BORROWER_BEGIN, size, 0, Prot.RW, null).toDraft()),
                    Platform.ARM);
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
    }

    /** A borrower attached before each invocation, for timing its detach alone. */
    @State(Scope.Thread)
    public static class Attached {
        @Setup(Level.Invocation)
        public void attach(Host host) {
            host.engine.attach(BORROWER, host.borrowed);
        }
    }

    /** A borrower detached after each invocation, for timing its attach alone. */
    @State(Scope.Thread)
    public static class DetachedAfter {
        @TearDown(Level.Invocation)
        public void detach(Host host) {
            host.engine.detach(BORROWER);
        }
    }

    @Benchmark
    public AttachReport attach(Host host, DetachedAfter detachedAfter) {
        return host.engine.attach(BORROWER, host.borrowed);
    }

    @Benchmark
    public DetachReport detach(Host host, Attached attached) {
        return host.engine.detach(BORROWER);
    }
}
