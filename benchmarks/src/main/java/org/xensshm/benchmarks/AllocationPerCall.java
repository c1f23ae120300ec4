package org.xensshm.benchmarks;

import java.lang.management.ManagementFactory;

import org.openjdk.jmh.infra.Blackhole;

/**
 * What one operation of {@link MapPathBenchmark} allocates on the Java heap, counted for the
 * running thread alone: JMH's {@code -prof gc} counts every thread of the JVM, which for long
 * operations (a few per iteration) adds the harness's own allocations to each. Prints,
 * tab-separated: path, pages, bytes per operation, bytes per batch call (one per 65535 pages).
 * Run with the simulator preloaded:
 * {@code java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar org.xensshm.benchmarks.AllocationPerCall}.
 */
public final class AllocationPerCall {

    private static final int[] SIZES = {1, 512, 65536, 262144, 1048576, 4194304};

    private AllocationPerCall() {
    }

    public static void main(String[] args) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Blackhole blackhole = new Blackhole(
                "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");
        for (int pages : SIZES) {
            MapPathBenchmark benchmark = new MapPathBenchmark();
            benchmark.pages = pages;
            benchmark.setUp();
            try {
                // Enough operations to compile the paths first, as JMH's warm-up does.
                int operations = (int) Math.max(3, Math.min(5_000, 5_000_000L / pages));
                for (String path : new String[] {"ours", "oursMapUnmap", "naive"}) {
                    for (int i = 0; i < operations; i++) {
                        blackhole.consume(run(benchmark, path));
                    }
                    long before = threads.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < operations; i++) {
                        blackhole.consume(run(benchmark, path));
                    }
                    double perOperation = (double) (threads.getCurrentThreadAllocatedBytes() - before) / operations;
                    int calls = (pages + 65534) / 65535;
                    System.out.printf("%s\t%d\t%.1f\t%.1f%n", path, pages, perOperation, perOperation / calls);
                }
            } finally {
                benchmark.tearDown();
            }
        }
        blackhole.evaporate("Yes, I am Stephen Hawking, and know a thing or two about black holes.");
    }

    private static int run(MapPathBenchmark benchmark, String path) {
        return switch (path) {
            case "ours" -> benchmark.ours();
            case "oursMapUnmap" -> benchmark.oursMapUnmap();
            default -> benchmark.naive();
        };
    }
}
