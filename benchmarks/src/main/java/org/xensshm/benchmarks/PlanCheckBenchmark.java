package org.xensshm.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.xensshm.spec.DomainConfig;
import org.xensshm.spec.DomainSpecs;
import org.xensshm.spec.Plan;
import org.xensshm.spec.PlanChecker;
import org.xensshm.spec.Platform;
import org.xensshm.spec.Role;
import org.xensshm.spec.SpecDraft;
import org.xensshm.spec.SpecValidator;
import org.xensshm.spec.SshmSpec;

/**
 * Offline checks at host scale: one domain with many regions (the overlap check must stay
 * n log n, not n squared) and a plan over many domains.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PlanCheckBenchmark {

    private static final long REGION = 0x10000;

    /** Regions per domain; the plan has one owner domain and three borrower domains per region. */
    @Param({"100", "1000"})
    public int regions;

    private List<SpecDraft> ownerDrafts;
    private List<DomainConfig> domains;

    @Setup
    public void setUp() {
        ownerDrafts = new ArrayList<>();
        for (int i = 0; i < regions; i++) {
            ownerDrafts.add(SpecDraft.builder().id("R" + i).role(Role.OWNER)
                    .begin(0x1000000 + i * REGION).size(REGION).build());
        }
        domains = new ArrayList<>();
        domains.add(new DomainConfig("owner", "owner.cfg", ownerDrafts));
        for (int b = 0; b < 3; b++) {
            List<SpecDraft> borrowed = new ArrayList<>();
            for (int i = 0; i < regions; i++) {
                borrowed.add(SpecDraft.builder().id("R" + i).role(Role.BORROWER)
                        .begin(0x40000000L + i * REGION).size(REGION / 2).offset(REGION / 2).build());
            }
            domains.add(new DomainConfig("borrower" + b, "borrower" + b + ".cfg", borrowed));
        }
    }

    @Benchmark
    public DomainSpecs validateOneDomain() {
        return SpecValidator.validate("owner", ownerDrafts, Platform.ARM);
    }

    @Benchmark
    public Plan checkPlan() {
        return PlanChecker.check(domains, Platform.ARM);
    }
}
