package org.xensshm.benchmarks;

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
import org.xensshm.host.MapSpace;
import org.xensshm.host.PageBatch;
import org.xensshm.xen.XenControl;

/**
 * Batch mapping through the real libxenctrl over the simulated hypervisor: what the Java side
 * adds per page (filling the off-heap arrays, splitting into 65535-entry hypercalls, reading the
 * per-page results). The JVM must be started with the simulator preloaded (see README.md).
 * The same target range is mapped again on every call: Xen on Arm replaces an existing mapping,
 * so each call does the full work.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class BatchMappingBenchmark {

    private static final int OWNER = 1;
    private static final int BORROWER = 2;
    private static final long OWNER_GFN = 0x100;
    private static final long BORROWER_GFN = 0x1000000;

    @Param({"256", "65535", "200000"})
    public int pages;

    private XenControl xen;
    private PageBatch batch;

    @Setup(Level.Trial)
    public void setUp() {
        SimulatedHypervisor sim = SimulatedHypervisor.preloaded();
        sim.reset();
        sim.personality(SimulatedHypervisor.Personality.SERIES_FIXED);
        sim.createDomain(OWNER);
        sim.createDomain(BORROWER);
        sim.populate(OWNER, OWNER_GFN, pages);
        xen = XenControl.open();
        batch = PageBatch.allocate(pages);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        batch.close();
        xen.close();
    }

    /** Fill, map, check every page's result: the engine's mapping loop without the store. */
    @Benchmark
    public int mapRegion() {
        batch.fillRange(OWNER_GFN, BORROWER_GFN, pages);
        xen.addToPhysmapBatch(BORROWER, OWNER, MapSpace.GMFN_SHARE, batch);
        int failed = 0;
        for (int i = 0; i < pages; i++) {
            if (batch.error(i) != 0) {
                failed++;
            }
        }
        if (failed != 0) {
            throw new IllegalStateException(failed + " pages failed to map");
        }
        return failed;
    }
}
