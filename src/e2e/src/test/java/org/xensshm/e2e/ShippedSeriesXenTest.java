package org.xensshm.e2e;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.xensshm.testkit.testbed.SimulatedHypervisor.Personality;

/**
 * The vendor's Xen 4.17 with the static shm series as shipped: gmfn_share maps without a page
 * reference. The engine refuses it; with the override, a detach takes the owner's pages.
 */
class ShippedSeriesXenTest extends EmulatedXenTest {

    @Override
    EmulatedHosts.Host host() {
        return EmulatedHosts.Host.SERIES;
    }

    @Override
    Personality personality() {
        return Personality.SERIES;
    }

    @Override
    List<String> scenarios() {
        List<String> scenarios = List.of("cli-selftest", "facts", "share-without-reference", "unreferenced-share",
                "trusted-one-target", "read-only-borrower");
        return EmulatedHosts.timings() ? Stream.concat(scenarios.stream(), Stream.of("cli-start")).toList()
                : scenarios;
    }

    @Override
    Map<String, String> definingFacts() {
        return Map.of("selftest.GMFN_SHARE", "GMFN_SHARE: maps, holds NO page reference",
                "map.foreign.untrusted", "EPERM");
    }
}
