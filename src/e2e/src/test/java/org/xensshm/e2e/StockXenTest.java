package org.xensshm.e2e;

import java.util.List;
import java.util.Map;

import org.xensshm.testkit.testbed.SimulatedHypervisor.Personality;

/**
 * Debian's Xen 4.17: no gmfn_share, gmfn_foreign between domUs only for a device model; runtime
 * static shm through trusted borrowers.
 */
class StockXenTest extends EmulatedXenTest {

    @Override
    EmulatedHosts.Host host() {
        return EmulatedHosts.Host.STOCK;
    }

    @Override
    Personality personality() {
        return Personality.STOCK;
    }

    @Override
    List<String> scenarios() {
        return List.of("cli-selftest", "facts", "share-missing", "foreign-untrusted", "trusted-borrower",
                "leftover-mapping", "teardown-timing", "read-only-borrower");
    }

    @Override
    Map<String, String> definingFacts() {
        return Map.of("map.share", "ENOSYS", "map.foreign.untrusted", "EPERM", "map.foreign.trusted", "ok");
    }
}
