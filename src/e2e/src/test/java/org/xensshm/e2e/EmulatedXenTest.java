package org.xensshm.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.xensshm.e2e.facts.HypervisorFacts;
import org.xensshm.testkit.junit.NativeTestBed;
import org.xensshm.testkit.testbed.SimulatedHypervisor.Personality;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.xen.XenHost;

/**
 * One emulated host: boots its hypervisor once, then every check the dom0 driver reported is a
 * test, every scenario must have run to its end, and the facts the driver observed must be what
 * the same code observes on the simulated hypervisor in the matching personality.
 */
@NativeTestBed
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class EmulatedXenTest {

    private Console console;

    /** Which hypervisor this is. */
    abstract EmulatedHosts.Host host();

    /** The driver's name for this host: stock, series, series-fixed. */
    private String kind() {
        return host().kind;
    }

    /** The simulator's personality that stands for this hypervisor. */
    abstract Personality personality();

    /** The scenarios the driver runs here, in order. */
    abstract List<String> scenarios();

    /** The facts that make this hypervisor what it is, asserted as such (all facts are compared with the simulator). */
    abstract Map<String, String> definingFacts();

    @BeforeAll
    void boot() {
        console = EmulatedHosts.console(host());
        System.out.println(summary());
    }

    @Test
    void theDriverRanEveryScenarioToItsEnd() {
        assertTrue(console.end().isPresent(), "no E2E-END: the driver did not finish; see " + console.log());
        assertEquals(scenarios(), List.copyOf(console.begun()), "scenarios begun; see " + console.log());
        assertEquals(scenarios(), List.copyOf(console.ended()), "scenarios ended; see " + console.log());
        assertEquals(List.of(), console.failures(), "failed checks; see " + console.log());
        assertEquals(0, console.bootStatus(), "boot.sh: the driver's exit status was not 0; see " + console.log());
    }

    @TestFactory
    Stream<DynamicTest> everyCheck() {
        return console.checks().stream().map(check -> DynamicTest.dynamicTest(check.scenario() + "/" + check.name(),
                () -> assertTrue(check.passed(), check + " (see " + console.log() + ")")));
    }

    @Test
    void theDefiningFactsHold() {
        definingFacts().forEach((name, value) -> assertEquals(value, console.facts().get(name), name));
    }

    @Test
    void theSimulatorShowsTheSameFacts(SimulatedHypervisor simulator) {
        simulator.personality(personality());
        Map<String, String> simulated;
        try (XenHost host = XenHost.open()) {
            simulated = HypervisorFacts.observe(host.hypervisor(), host.store(), Duration.ofMillis(200));
        }
        assertEquals(console.facts(), simulated, "facts of " + kind() + " (left) and of the simulator as "
                + personality() + " (right)");
    }

    private String summary() {
        StringBuilder text = new StringBuilder("emulated host ").append(kind()).append(": ")
                .append(console.end().orElse("no E2E-END")).append(", log ").append(console.log()).append('\n');
        console.times().forEach(t -> text.append(String.format("  time %-20s %-28s %8.3f s%n", t.scenario(), t.name(),
                t.seconds())));
        console.notes().forEach(n -> text.append("  note ").append(n).append('\n'));
        text.append(console.failures().stream().map(f -> "  FAIL " + f).collect(Collectors.joining("\n")));
        return text.toString();
    }
}
