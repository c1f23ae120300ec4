package org.xensshm.benchmarks;

import java.nio.file.Path;
import java.util.ArrayList;
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
import org.xensshm.spec.SpecDraft;
import org.xensshm.spec.SpecValidator;
import org.xensshm.spec.SshmSpec;
import org.xensshm.testkit.testbed.GuestDomains;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.testkit.testbed.TestBed;
import org.xensshm.xen.XenHost;
import org.xensshm.xen.XenStore;

/**
 * What xenstore costs: an owner offering N regions and a borrower mapping one page of each, with
 * the real xenstored of the test bed, for N = 1, 8, 64. Pages are few, so the time is the
 * xenstore round trips (counted by {@link RoundTrips}) and the engine around them.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class XenstoreBenchmark {

    static final int OWNER = 1;
    static final int BORROWER = 2;

    /** A test bed with both domains, and the specs of N one-page regions for each side. */
    static final class Bed implements AutoCloseable {
        final TestBed bed;
        final XenHost host;
        final StaticShmEngine engine;
        final DomainSpecs owned;
        final DomainSpecs borrowed;

        Bed(int regions) {
            bed = TestBed.start(Path.of(System.getProperty("java.io.tmpdir")));
            bed.hypervisor().personality(SimulatedHypervisor.Personality.SERIES_FIXED);
            owned = specs(regions, "owner", Role.OWNER, EngineBenchmark.OWNER_BEGIN);
            borrowed = specs(regions, "borrower", Role.BORROWER, EngineBenchmark.BORROWER_BEGIN);
            try (XenStore xs = XenStore.open()) {
                GuestDomains.create(bed.hypervisor(), xs, OWNER);
                GuestDomains.create(bed.hypervisor(), xs, BORROWER);
            }
            bed.hypervisor().populate(OWNER, EngineBenchmark.OWNER_BEGIN >>> SshmSpec.PAGE_SHIFT, 2L * regions);
            host = XenHost.open();
            engine = new StaticShmEngine(host.hypervisor(), host.store());
        }

        @Override
        public void close() {
            host.close();
            bed.close();
        }
    }

    /** For the owner's benchmarks: nothing attached between invocations. */
    @State(Scope.Benchmark)
    public static class OwnerHost {
        @Param({"1", "8", "64"})
        public int regions;

        Bed bed;

        @Setup(Level.Trial)
        public void setUp() {
            bed = new Bed(regions);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            bed.close();
        }
    }

    /** For the borrower's benchmarks: the owner's regions attached for the whole trial. */
    @State(Scope.Benchmark)
    public static class BorrowerHost {
        @Param({"1", "8", "64"})
        public int regions;

        Bed bed;

        @Setup(Level.Trial)
        public void setUp() {
            bed = new Bed(regions);
            bed.engine.attach(OWNER, bed.owned);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            bed.engine.detach(OWNER);
            bed.close();
        }
    }

    /** Region {@code ID<i>} one page long, every other page from {@code begin}. */
    static DomainSpecs specs(int regions, String domain, Role role, long begin) {
        List<SpecDraft> drafts = new ArrayList<>();
        for (int i = 0; i < regions; i++) {
            long at = begin + 2L * i * SshmSpec.PAGE_SIZE;
            drafts.add(new SshmSpec("ID" + i, role, at, SshmSpec.PAGE_SIZE, 0, Prot.RW,
                    role == Role.OWNER ? CachePolicy.ARM_NORMAL : null).toDraft());
        }
        return SpecValidator.validate(domain, drafts, Platform.ARM);
    }

    @State(Scope.Thread)
    public static class OwnerAttachedBefore {
        @Setup(Level.Invocation)
        public void attach(OwnerHost host) {
            host.bed.engine.attach(OWNER, host.bed.owned);
        }
    }

    @State(Scope.Thread)
    public static class OwnerDetachedAfter {
        @TearDown(Level.Invocation)
        public void detach(OwnerHost host) {
            host.bed.engine.detach(OWNER);
        }
    }

    @State(Scope.Thread)
    public static class BorrowerAttachedBefore {
        @Setup(Level.Invocation)
        public void attach(BorrowerHost host) {
            host.bed.engine.attach(BORROWER, host.bed.borrowed);
        }
    }

    @State(Scope.Thread)
    public static class BorrowerDetachedAfter {
        @TearDown(Level.Invocation)
        public void detach(BorrowerHost host) {
            host.bed.engine.detach(BORROWER);
        }
    }

    @Benchmark
    public AttachReport ownerAttach(OwnerHost host, OwnerDetachedAfter after) {
        return host.bed.engine.attach(OWNER, host.bed.owned);
    }

    @Benchmark
    public DetachReport ownerDetach(OwnerHost host, OwnerAttachedBefore before) {
        return host.bed.engine.detach(OWNER);
    }

    @Benchmark
    public AttachReport borrowerAttach(BorrowerHost host, BorrowerDetachedAfter after) {
        return host.bed.engine.attach(BORROWER, host.bed.borrowed);
    }

    @Benchmark
    public DetachReport borrowerDetach(BorrowerHost host, BorrowerAttachedBefore before) {
        return host.bed.engine.detach(BORROWER);
    }
}
