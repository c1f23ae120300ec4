package org.xensshm.e2e.dom0;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.xensshm.e2e.facts.HypervisorFacts;
import org.xensshm.engine.EngineSettings;
import org.xensshm.xen.XenHost;

/**
 * The end-to-end tier's driver: runs in the emulated host's dom0, in one JVM (a start costs
 * seconds under emulation), every scenario for the hypervisor it was booted on, and reports on
 * the console for the host to read back (see {@link Report}). Exit status 0 when every check
 * passed.
 *
 * <p>Usage: {@code Dom0Driver stock|series|series-fixed}.
 */
public final class Dom0Driver {

    private Dom0Driver() {
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: Dom0Driver stock|series|series-fixed");
            System.exit(2);
        }
        HostKind kind = HostKind.of(args[0]);
        Report report = new Report(System.out);
        long start = System.nanoTime();
        try (XenHost host = XenHost.open()) {
            Lab lab = new Lab(report, host);
            for (Scenario scenario : scenarios(kind)) {
                run(scenario, lab, report);
            }
        }
        System.out.println("E2E-END " + kind.label() + " checks=" + report.checks() + " failures=" + report.failures()
                + " seconds=" + (System.nanoTime() - start) / 1_000_000_000L);
        System.exit(report.failures() == 0 ? 0 : 1);
    }

    /**
     * What each hypervisor is asked, in order: the CLI's self-test first, on a boot that never ran
     * one. The three boot side by side, so work that any of them can show goes to the lightest.
     * With {@code E2E_TIMINGS=1} on dom0's command line, the timings for the benchmark record:
     * the command's start-up, and two teardown rounds each way instead of one.
     */
    static List<Scenario> scenarios(HostKind kind) {
        boolean timings = "1".equals(System.getenv("E2E_TIMINGS"));
        int rounds = timings ? 2 : 1;
        return switch (kind) {
            case STOCK -> List.of(CliScenarios.selfTest(kind), facts(),
                    RefusalScenarios.shareMissing(), RefusalScenarios.foreignUntrusted(),
                    TrustedBorrowerScenarios.sharesAndTearsDown(), TrustedBorrowerScenarios.leftoverMapping(),
                    TeardownTiming.compare(EngineSettings.defaults().withTrustedBorrowers(), rounds),
                    ReadOnlyProbe.probe(EngineSettings.defaults().withTrustedBorrowers()));
            case SERIES -> Stream.concat(Stream.of(CliScenarios.selfTest(kind), facts(),
                    RefusalScenarios.shareWithoutReference(), SharingScenarios.unreferencedShareLosesOwnerPages(),
                    // Trusted borrowers (gmfn_foreign, set_target) work on the series' build as on stock.
                    TrustedBorrowerScenarios.oneTargetForLife(),
                    ReadOnlyProbe.probe(EngineSettings.defaults().withTrustedBorrowers())),
                    timings ? Stream.of(CliScenarios.startUp()) : Stream.<Scenario>of())
                    .toList();
            case SERIES_FIXED -> List.of(CliScenarios.selfTest(kind), facts(),
                    SharingScenarios.twoBorrowers(), SharingScenarios.largeRegion(),
                    SharingScenarios.ownerDestroyedWhileBorrowed(), TeardownTiming.compare(EngineSettings.defaults(), rounds),
                    InteropScenario.withTheVendorToolstack(), WatchScenario.followsDomains(EngineSettings.defaults()));
        };
    }

    /** The hypervisor's facts, for the host to compare with the simulator's. */
    private static Scenario facts() {
        return Scenario.of("facts", lab -> {
            Map<String, String> facts = HypervisorFacts.observe(lab.hypervisor(), lab.host.store(), Duration.ofSeconds(2));
            facts.forEach(lab.report::fact);
            lab.report.check("observed", facts.values().stream().noneMatch(v -> v.startsWith("failed")),
                    facts.size() + " facts");
        });
    }

    private static void run(Scenario scenario, Lab lab, Report report) {
        report.begin(scenario.name());
        long start = System.nanoTime();
        try {
            scenario.run(lab);
        } catch (RuntimeException | Error e) {
            report.check("completes", false, stackTrace(e));
        } finally {
            try {
                lab.cleanUp();
            } catch (RuntimeException e) {
                report.check("cleanup", false, stackTrace(e));
            }
            report.time("total", Duration.ofNanos(System.nanoTime() - start));
            report.end();
        }
    }

    private static String stackTrace(Throwable e) {
        StringWriter text = new StringWriter();
        e.printStackTrace(new PrintWriter(text));
        return text.toString();
    }
}
