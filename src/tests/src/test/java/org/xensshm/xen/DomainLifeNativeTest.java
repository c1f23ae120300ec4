package org.xensshm.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xensshm.host.Errno;
import org.xensshm.host.StoreWatches;
import org.xensshm.host.WatchEvent;
import org.xensshm.host.XenCallException;
import org.xensshm.testkit.junit.NativeTestBed;
import org.xensshm.testkit.testbed.GuestDomains;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.testkit.testbed.TestBed;
import org.xensshm.testkit.testbed.XenstoredProcess;

/**
 * A domain's life as a toolstack service sees it, through the real libraries on the test bed:
 * the test bed's xenstored fires {@code @introduceDomain} when a guest is built and introduced,
 * and {@code @releaseDomain} when the simulator destroys it; libxenctrl unpauses a domain built
 * paused; a watch connection reports a dead daemon.
 */
@NativeTestBed
class DomainLifeNativeTest {

    /** Only catches a hang: events arrive in milliseconds. */
    private static final Duration LIMIT = Duration.ofSeconds(30);

    private XenStore toolstack;
    private XenStore watches;

    @BeforeEach
    void connect() {
        toolstack = XenStore.open();
        watches = XenStore.open();
    }

    @AfterEach
    void disconnect() {
        watches.close();
        toolstack.close();
    }

    @Test
    void buildingAndDestroyingADomainFireTheSpecialWatches(SimulatedHypervisor sim) {
        watches.watch(StoreWatches.INTRODUCE_DOMAIN, "in");
        watches.watch(StoreWatches.RELEASE_DOMAIN, "out");
        assertEquals(new WatchEvent(StoreWatches.INTRODUCE_DOMAIN, "in"), next());
        assertEquals(new WatchEvent(StoreWatches.RELEASE_DOMAIN, "out"), next());

        GuestDomains.create(sim, toolstack, 7, "vm7", 0x10000, true);
        WatchEvent introduced = nextOf(StoreWatches.INTRODUCE_DOMAIN);
        sim.destroyDomain(7);
        WatchEvent released = nextOf(StoreWatches.RELEASE_DOMAIN);

        assertEquals("in", introduced.token());
        assertEquals("out", released.token());
        assertEquals(Optional.of("vm7"), toolstack.read(XenStore.NO_TRANSACTION, "/local/domain/7/name"),
                "the name was there when the domain was introduced");
        assertFalse(toolstack.releaseDomain(7), "xenstored let the destroyed domain go");
    }

    @Test
    void nothingFiredIsAnEmptyWait() {
        watches.watch("/libxl/quiet", "tok");
        assertEquals(new WatchEvent("/libxl/quiet", "tok"), next());

        assertEquals(Optional.empty(), watches.awaitEvent(Duration.ofMillis(20)));

        toolstack.write(XenStore.NO_TRANSACTION, "/libxl/quiet/x", "1");
        assertEquals(new WatchEvent("/libxl/quiet/x", "tok"), next());
    }

    @Test
    void aDomainBuiltPausedRunsOnceUnpaused(SimulatedHypervisor sim) {
        GuestDomains.create(sim, toolstack, 3, "vm3", 0x10000, true);
        try (XenControl xen = XenControl.open()) {
            assertTrue(xen.domainInfo(3).orElseThrow().paused(), "as xl create -p leaves it");

            xen.unpause(3);

            assertFalse(xen.domainInfo(3).orElseThrow().paused());
            XenCallException again = assertThrows(XenCallException.class, () -> xen.unpause(3));
            assertEquals(Errno.EINVAL, again.errno());
            assertEquals("xc_domain_unpause", again.call());
        }
    }

    @Test
    void aWatchConnectionReportsADeadDaemon(TestBed bed) {
        XenstoredProcess doomed = XenstoredProcess.start(TestBed.nativeDir(), Path.of(System.getProperty("java.io.tmpdir")));
        try {
            TestBed.useXenstored(doomed.socket());
            try (XenStore session = XenStore.open()) {
                session.watch(StoreWatches.RELEASE_DOMAIN, "tok");
                assertEquals(Optional.of(new WatchEvent(StoreWatches.RELEASE_DOMAIN, "tok")), session.awaitEvent(LIMIT));

                doomed.kill();

                // The descriptor libxenstore wakes us with stays quiet when the daemon dies: the
                // loss shows when the wait ends, as it does for the watcher's short waits.
                XenCallException lost = assertThrows(XenCallException.class, () -> {
                    for (long waited = 0; waited < LIMIT.toMillis(); waited += 100) {
                        session.awaitEvent(Duration.ofMillis(100));
                    }
                });
                assertTrue(lost.getMessage().contains("connection to xenstored was lost"), lost.getMessage());
            }
        } finally {
            TestBed.useXenstored(bed.xenstored().socket());
            doomed.close();
        }
    }

    private WatchEvent next() {
        return watches.awaitEvent(LIMIT).orElseThrow(() -> new AssertionError("no watch fired"));
    }

    /** The next event of this special watch; others (a stale domain released first) are skipped. */
    private WatchEvent nextOf(String path) {
        WatchEvent event = next();
        while (!event.path().equals(path)) {
            event = next();
        }
        return event;
    }
}
