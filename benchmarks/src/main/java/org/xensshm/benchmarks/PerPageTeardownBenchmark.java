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
import org.xensshm.host.PageBatch;
import org.xensshm.xen.XenControl;

/**
 * The page-by-page teardown, which the engine falls back to on a hypervisor that refuses
 * multicalls: the pages mapped as {@link MapPathBenchmark#ours()} does, then removed with one
 * xc_domain_remove_from_physmap each, as libxl does. Fewer sizes than the other paths: past
 * 262144 pages an operation takes seconds and says nothing new.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class PerPageTeardownBenchmark {

    @Param({"1", "512", "65536", "262144"})
    public int pages;

    private XenControl xen;
    private PageBatch batch;

    @Setup(Level.Trial)
    public void setUp() {
        MapPathBenchmark.freshOwnerAndBorrower(pages);
        xen = XenControl.open();
        batch = PageBatch.allocate(Math.min(pages, XenControl.MAX_BATCH));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        batch.close();
        xen.close();
    }

    @Benchmark
    public int oursMapUnmapPerPage() {
        MapPathBenchmark.mapAll(xen, batch, pages);
        for (long gfn = MapPathBenchmark.BORROWER_GFN; gfn < MapPathBenchmark.BORROWER_GFN + pages; gfn++) {
            xen.removeFromPhysmap(MapPathBenchmark.BORROWER, gfn);
        }
        return pages;
    }
}
