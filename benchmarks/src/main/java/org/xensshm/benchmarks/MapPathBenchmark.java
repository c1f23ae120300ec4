package org.xensshm.benchmarks;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
import org.xensshm.host.MapSpace;
import org.xensshm.host.PageBatch;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.xen.XenControl;

/**
 * A borrower's pages mapped (and unmapped) through the real libxenctrl over the simulated
 * hypervisor, three ways, next to the C baseline ({@code benchmarks/c/libxl_way.c}) that run.sh
 * times in the same run:
 * <ul>
 * <li>{@code ours}: the engine's mapping loop without the store: one off-heap batch of at most
 * 65535 entries, reused chunk after chunk, handed to C as it is;</li>
 * <li>{@code naive}: what a straight port of libxl to Java does: heap arrays for the whole region,
 * copied into fresh native memory for every call and the results copied back;</li>
 * <li>{@code oursMapUnmap}: ours into an empty window, then the pages removed in multicalls, as
 * an attach and a detach do; {@code oursUnmap} times the removal alone.</li>
 * </ul>
 * {@code ours} and {@code naive} map the same target range again in every operation, as the C
 * baseline does: Xen on Arm replaces a mapping, so each operation does the full work. The JVM
 * must be started with the simulator preloaded.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class MapPathBenchmark {

    static final int OWNER = 1;
    static final int BORROWER = 2;
    static final long OWNER_GFN = 0x100;
    static final long BORROWER_GFN = 0x1000000;

    @Param({"1", "512", "65536", "262144", "1048576", "4194304"})
    public int pages;

    XenControl xen;
    PageBatch batch;

    @Setup(Level.Trial)
    public void setUp() {
        freshOwnerAndBorrower(pages);
        xen = XenControl.open();
        batch = PageBatch.allocate(Math.min(pages, XenControl.MAX_BATCH));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        batch.close();
        xen.close();
    }

    @Benchmark
    public int ours() {
        mapThroughTheBatch();
        return pages;
    }

    @Benchmark
    public int naive() {
        long[] idxs = new long[pages];
        long[] gpfns = new long[pages];
        int[] errs = new int[pages];
        for (int i = 0; i < pages; i++) {
            idxs[i] = OWNER_GFN + i;
            gpfns[i] = BORROWER_GFN + i;
        }
        for (int done = 0; done < pages; done += XenControl.MAX_BATCH) {
            int n = Math.min(XenControl.MAX_BATCH, pages - done);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment nativeIdxs = arena.allocate(ValueLayout.JAVA_LONG, n);
                MemorySegment nativeGpfns = arena.allocate(ValueLayout.JAVA_LONG, n);
                MemorySegment nativeErrs = arena.allocate(ValueLayout.JAVA_INT, n);
                MemorySegment.copy(idxs, done, nativeIdxs, ValueLayout.JAVA_LONG, 0, n);
                MemorySegment.copy(gpfns, done, nativeGpfns, ValueLayout.JAVA_LONG, 0, n);
                xen.addToPhysmapBatch(BORROWER, OWNER, MapSpace.GMFN_SHARE.abiValue(), nativeIdxs, nativeGpfns,
                        nativeErrs, n);
                MemorySegment.copy(nativeErrs, ValueLayout.JAVA_INT, 0, errs, done, n);
            }
        }
        for (int i = 0; i < pages; i++) {
            if (errs[i] != 0) {
                throw new IllegalStateException("page " + i + " failed to map: " + errs[i]);
            }
        }
        return pages;
    }

    @Benchmark
    public int oursMapUnmap() {
        mapThroughTheBatch();
        unmapInMulticalls();
        return pages;
    }

    /** The region mapped before each invocation, untimed, for timing the unmap alone. */
    @State(Scope.Thread)
    public static class Mapped {
        @Setup(Level.Invocation)
        public void map(MapPathBenchmark benchmark) {
            benchmark.mapThroughTheBatch();
        }
    }

    @Benchmark
    public int oursUnmap(Mapped mapped) {
        unmapInMulticalls();
        return pages;
    }

    /** The engine's loop: fill a chunk, map it, check every entry's result. */
    void mapThroughTheBatch() {
        mapAll(xen, batch, pages);
    }

    /** The test bed reset to an owner with {@code pages} pages at OWNER_GFN and an empty borrower. */
    static void freshOwnerAndBorrower(long pages) {
        SimulatedHypervisor sim = SimulatedHypervisor.preloaded();
        sim.reset();
        sim.personality(SimulatedHypervisor.Personality.SERIES_FIXED);
        sim.createDomain(OWNER);
        sim.createDomain(BORROWER);
        sim.populate(OWNER, OWNER_GFN, pages);
    }

    /** The owner's {@code pages} pages mapped at BORROWER_GFN, a batch's capacity per call, every result checked. */
    static void mapAll(XenControl xen, PageBatch batch, long pages) {
        for (long done = 0; done < pages; done += batch.count()) {
            int n = (int) Math.min(batch.capacity(), pages - done);
            batch.fillRange(OWNER_GFN + done, BORROWER_GFN + done, n);
            xen.addToPhysmapBatch(BORROWER, OWNER, MapSpace.GMFN_SHARE, batch);
            requireNoErrors(batch, "map");
        }
    }

    /** A detach's loop: the chunk's target pages removed in multicalls, every result checked. */
    private void unmapInMulticalls() {
        for (long done = 0; done < pages; done += batch.count()) {
            int n = (int) Math.min(batch.capacity(), pages - done);
            batch.fillTargets(BORROWER_GFN + done, n);
            xen.removeFromPhysmapBatch(BORROWER, batch);
            requireNoErrors(batch, "unmap");
        }
    }

    static void requireNoErrors(PageBatch batch, String step) {
        for (int i = 0; i < batch.count(); i++) {
            if (batch.error(i) != 0) {
                throw new IllegalStateException(step + " of entry " + i + " failed: " + batch.error(i));
            }
        }
    }
}
