package org.xensshm.e2e;

import java.util.List;
import java.util.Map;

import org.xensshm.testkit.testbed.SimulatedHypervisor.Personality;

/**
 * The series' source with the page reference kept: gmfn_share behaves like gmfn_foreign, and
 * everything the engine promises for the seed's map space is shown on it.
 */
class FixedSeriesXenTest extends EmulatedXenTest {

    @Override
    EmulatedHosts.Host host() {
        return EmulatedHosts.Host.SERIES_FIXED;
    }

    @Override
    Personality personality() {
        return Personality.SERIES_FIXED;
    }

    @Override
    List<String> scenarios() {
        return List.of("cli-selftest", "facts", "two-borrowers", "large-region", "owner-destroyed", "teardown-timing",
                "vendor-toolstack", "watch-service");
    }

    @Override
    Map<String, String> definingFacts() {
        return Map.of("selftest.GMFN_SHARE", "GMFN_SHARE: maps, holds a page reference", "map.share", "ok");
    }
}
