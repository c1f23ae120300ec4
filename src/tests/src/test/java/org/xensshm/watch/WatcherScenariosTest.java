package org.xensshm.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xensshm.engine.DetachReport;
import org.xensshm.engine.ReconcileReport;
import org.xensshm.engine.RegionStatus;
import org.xensshm.engine.StaticShmEngine;
import org.xensshm.host.DomainInfo;
import org.xensshm.host.StoreWatches;
import org.xensshm.spec.Role;
import org.xensshm.spec.SpecValidator;
import org.xensshm.spec.XlConfigParser;
import org.xensshm.watch.StaticShmWatcher.Ending;
import org.xensshm.watch.WatcherEvent.Attached;
import org.xensshm.watch.WatcherEvent.ConfigInvalid;
import org.xensshm.watch.WatcherEvent.Detached;
import org.xensshm.watch.WatcherEvent.Failed;
import org.xensshm.watch.WatcherEvent.Reconciled;
import org.xensshm.watch.WatcherEvent.Ignored;
import org.xensshm.watch.WatcherEvent.Refused;
import org.xensshm.watch.WatcherEvent.Unpaused;
import org.xensshm.watch.WatcherEvent.Waiting;

/**
 * What {@link StaticShmWatcher} does as domains are created and destroyed, on any host: the
 * in-memory one and the native test bed, whose xenstored fires the same special watches.
 *
 * <p>The watcher runs on its own thread; each test acts as a toolstack would and waits for the
 * watcher's events (with a generous limit that only catches a hang), then checks the host.
 */
abstract class WatcherScenariosTest {

    static final String VM1 = """
            name = "vm1"
            static_shm = [ "id=ID1, begin=0x100000, size=0x100000, role=owner" ]
            """;
    static final String VM2 = """
            name = "vm2"
            static_shm = [ "id=ID1, offset=0x10000, begin=0x500000, size=0xf0000, role=borrower" ]
            """;
    /** RAM of every guest: gfns 0..0x3ff, which hold the owner's region and leave vm2's window a hole. */
    static final long RAM_PAGES = 0x400;
    static final long LIMIT_SECONDS = 60;

    @TempDir
    Path configs;

    WatcherHost host;
    private StoreWatches watches;
    StaticShmWatcher watcher;
    Future<Ending> ending;
    final Events events = new Events();

    abstract WatcherHost newHost();

    @BeforeEach
    void setUp() {
        host = newHost();
        watches = host.openWatches();
        write("vm1", VM1);
        write("vm2", VM2);
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (watcher != null) {
                watcher.stop();
                ending.get(LIMIT_SECONDS, TimeUnit.SECONDS);
            }
        } finally {
            watches.close();
            host.close();
        }
    }

    /** Starts the watcher on its thread; returns what it said once it watches. */
    WatcherEvent.Watching start(WatcherSettings settings) {
        watcher = new StaticShmWatcher(host.hypervisor(), host.store(), watches, settings, events);
        ending = watcher.start();
        return events.await(WatcherEvent.Watching.class);
    }

    WatcherSettings settings() {
        return WatcherSettings.of(configs);
    }

    @Test
    void aPausedDomainIsAttachedUnpausedAndDetachedWhenDestroyed() {
        start(settings().withUnpause(true));

        host.createGuest(1, "vm1", RAM_PAGES, true);
        Attached owner = events.await(Attached.class);
        events.await(Unpaused.class, u -> u.guest().domid() == 1);
        host.createGuest(2, "vm2", RAM_PAGES, true);
        Attached borrower = events.await(Attached.class);
        events.await(Unpaused.class, u -> u.guest().domid() == 2);

        assertEquals("attached domain 1 (vm1): ID1 owner", owner.describe());
        assertEquals("attached domain 2 (vm2): ID1 borrower (240 pages of domain 1)", borrower.describe());
        assertFalse(paused(1));
        assertFalse(paused(2));
        assertTrue(host.samePage(1, 0x110, 2, 0x500) && host.samePage(1, 0x1ff, 2, 0x5ef), "vm2 maps vm1's pages");
        assertEquals(Map.of("ID1", 2), userCounts());

        host.destroyGuest(2);
        Detached gone = events.await(Detached.class);
        assertEquals(2, gone.guest().domid());
        assertEquals(DetachReport.Outcome.UNMAPPED, gone.report().regions().getFirst().outcome());
        assertEquals(Map.of("ID1", 1), userCounts());

        host.destroyGuest(1);
        assertEquals(DetachReport.Outcome.REMOVED, events.await(Detached.class).report().regions().getFirst().outcome());
        assertEquals(Map.of(), userCounts());
        events.assertNone(Failed.class);
    }

    /**
     * A borrower replaced under its domid while no watcher ran: the next watcher's reconcile tells
     * the new domain from the old one by its handle, drops the old entry without touching the new
     * domain's pages, and attaches the new domain.
     */
    @Test
    void aDomidReusedWhileNoWatcherRanIsToldApartByItsHandle() throws Exception {
        start(settings().withUnpause(true));
        host.createGuest(1, "vm1", RAM_PAGES, true);
        events.await(Attached.class, a -> a.guest().domid() == 1);
        host.createGuest(2, "vm2", RAM_PAGES, true);
        events.await(Attached.class, a -> a.guest().domid() == 2);
        watcher.stop();
        ending.get(LIMIT_SECONDS, TimeUnit.SECONDS);

        host.destroyGuest(2);
        host.createGuest(2, "vm2", RAM_PAGES, true);
        watcher = new StaticShmWatcher(host.hypervisor(), host.store(), watches, settings().withUnpause(true), events);
        ending = watcher.start();

        Reconciled reconciled = events.await(Reconciled.class);
        assertEquals(List.of(new ReconcileReport.DomainReplaced("ID1", 2, Role.BORROWER)),
                reconciled.report().actions(), reconciled.describe());
        events.await(Attached.class, a -> a.guest().domid() == 2);
        events.await(Unpaused.class, u -> u.guest().domid() == 2);
        events.await(WatcherEvent.Watching.class);
        assertTrue(host.samePage(1, 0x110, 2, 0x500), "the new vm2 maps vm1's pages");
        assertEquals(Map.of("ID1", 2), userCounts());
        events.assertNone(Failed.class);
    }

    @Test
    void withoutUnpauseTheDomainStaysPaused() {
        start(settings());

        host.createGuest(1, "vm1", RAM_PAGES, true);
        events.await(Attached.class);

        assertTrue(paused(1));
        assertEquals(Map.of("ID1", 1), userCounts());
    }

    @Test
    void aBorrowerCreatedBeforeItsOwnerWaitsThenIsAttached() {
        start(settings().withUnpause(true));

        host.createGuest(2, "vm2", RAM_PAGES, true);
        Waiting waiting = events.await(Waiting.class);
        assertEquals(2, waiting.guest().domid());
        assertTrue(waiting.describe().contains("ID1"), waiting.describe());
        assertTrue(paused(2), "a waiting borrower stays paused");
        assertEquals(Map.of(), userCounts());

        host.createGuest(1, "vm1", RAM_PAGES, true);
        assertEquals(1, events.await(Attached.class).guest().domid());
        assertEquals(2, events.await(Attached.class).guest().domid());
        events.await(Unpaused.class, u -> u.guest().domid() == 2);

        assertTrue(host.samePage(1, 0x110, 2, 0x500));
        assertEquals(Map.of("ID1", 2), userCounts());
        events.assertNone(Failed.class);
    }

    @Test
    void aRunningDomainIsRefusedAndLeftAsItIs() {
        start(settings().withUnpause(true));

        host.createGuest(1, "vm1", RAM_PAGES, false);
        Refused refused = events.await(Refused.class);

        assertEquals(1, refused.guest().domid());
        assertTrue(refused.describe().contains("xl create -p"), refused.describe());
        assertEquals(Map.of(), userCounts());
        assertFalse(paused(1));
    }

    @Test
    void aRunningDomainIsAttachedWhenAllowed() {
        start(settings().withAllowRunning(true).withUnpause(true));

        host.createGuest(1, "vm1", RAM_PAGES, false);
        events.await(Attached.class);

        assertEquals(Map.of("ID1", 1), userCounts());
        events.assertNone(Failed.class);
        events.assertNone(Unpaused.class);
    }

    @Test
    void anInvalidConfigIsReportedAndTheWatcherGoesOn() {
        write("vm3", """
                name = "vm3"
                static_shm = [ "id=ID3, begin=0x100001, size=0x1000, role=owner" ]
                """);
        write("vm4", "name = \"somebody-else\"\n");
        start(settings());

        host.createGuest(3, "vm3", RAM_PAGES, true);
        ConfigInvalid invalid = events.await(ConfigInvalid.class);
        host.createGuest(4, "vm4", RAM_PAGES, true);
        ConfigInvalid misnamed = events.await(ConfigInvalid.class);
        host.createGuest(5, "vm5", RAM_PAGES, true);
        Ignored unconfigured = events.await(Ignored.class);
        host.createGuest(1, "vm1", RAM_PAGES, true);
        events.await(Attached.class);

        assertEquals(configs.resolve("vm3.cfg"), invalid.config());
        assertTrue(invalid.problems().getFirst().contains("begin"), invalid.describe());
        assertTrue(misnamed.describe().contains("it configures domain 'somebody-else', not 'vm4'"), misnamed.describe());
        assertTrue(unconfigured.describe().contains("no config " + configs.resolve("vm5.cfg")), unconfigured.describe());
        assertEquals(Map.of("ID1", 1), userCounts());
        assertTrue(paused(3) && paused(4) && paused(5), "domains it could not set up are left paused");
    }

    @Test
    void anOwnerDestroyedWhileBorrowedIsOrphanedUntilItsBorrowerGoes() {
        start(settings());
        host.createGuest(1, "vm1", RAM_PAGES, true);
        events.await(Attached.class);
        host.createGuest(2, "vm2", RAM_PAGES, true);
        events.await(Attached.class);

        host.destroyGuest(1);
        Detached owner = events.await(Detached.class);

        assertEquals(DetachReport.Outcome.ORPHANED, owner.report().regions().getFirst().outcome());
        assertEquals(RegionStatus.State.ORPHANED, engine().status().regions().getFirst().state());

        host.destroyGuest(2);
        events.await(Detached.class);
        assertEquals(Map.of(), userCounts());
    }

    @Test
    void atStartItTakesOverAttachedDomainsAndSetsUpPausedOnes() {
        host.createGuest(1, "vm1", RAM_PAGES, false);
        engine().attach(1, SpecValidator.validate(XlConfigParser.parse(VM1, "vm1.cfg"), host.hypervisor().platform()));
        host.createGuest(2, "vm2", RAM_PAGES, true);

        WatcherEvent.Watching watching = start(settings().withUnpause(true));

        assertEquals(List.of(1, 2), watching.attached());
        assertEquals(Map.of("ID1", 2), userCounts());
        assertFalse(paused(2));

        host.destroyGuest(1);
        assertEquals(1, events.await(Detached.class).guest().domid());
    }

    /** A watcher that ended between an attach and its unpause: the next one unpauses the domain. */
    @Test
    void atStartItUnpausesAnAttachedDomainLeftPaused() {
        host.createGuest(1, "vm1", RAM_PAGES, true);
        engine().attach(1, SpecValidator.validate(XlConfigParser.parse(VM1, "vm1.cfg"), host.hypervisor().platform()));

        start(settings().withUnpause(true));

        assertFalse(paused(1));
        assertTrue(events.any(Unpaused.class), "unpaused at start");
        events.assertNone(Attached.class);
    }

    @Test
    void stopEndsTheRunBetweenOperations() throws Exception {
        start(settings());
        host.createGuest(1, "vm1", RAM_PAGES, true);
        events.await(Attached.class);

        watcher.stop();

        assertEquals(Ending.STOPPED, ending.get(LIMIT_SECONDS, TimeUnit.SECONDS));
        events.await(WatcherEvent.Stopped.class);
        watcher = null;
    }

    boolean paused(int domid) {
        return host.hypervisor().domainInfo(domid).map(DomainInfo::paused).orElseThrow();
    }

    StaticShmEngine engine() {
        return new StaticShmEngine(host.hypervisor(), host.store());
    }

    /** Each recorded region's user count. */
    Map<String, Integer> userCounts() {
        return engine().status().regions().stream().collect(Collectors.toMap(RegionStatus::id, RegionStatus::userCount));
    }

    Path write(String name, String text) {
        try {
            return Files.writeString(configs.resolve(name + ".cfg"), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The watcher's events as they come, for a test to wait on in order. */
    static final class Events implements Consumer<WatcherEvent> {
        private final BlockingQueue<WatcherEvent> queue = new LinkedBlockingQueue<>();
        private final List<WatcherEvent> seen = new ArrayList<>();

        @Override
        public void accept(WatcherEvent event) {
            queue.add(event);
        }

        <T extends WatcherEvent> T await(Class<T> type) {
            return await(type, event -> true);
        }

        /** The next event of this type that matches, skipping others; fails after the limit. */
        <T extends WatcherEvent> T await(Class<T> type, Predicate<T> matching) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LIMIT_SECONDS);
            while (true) {
                WatcherEvent event;
                try {
                    event = queue.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted", e);
                }
                if (event == null) {
                    throw new AssertionError("no " + type.getSimpleName() + " event; events so far:\n" + describe());
                }
                seen.add(event);
                if (type.isInstance(event) && matching.test(type.cast(event))) {
                    return type.cast(event);
                }
            }
        }

        /** Whether an event of this type has come so far (waited for or not). */
        boolean any(Class<? extends WatcherEvent> type) {
            queue.drainTo(seen);
            return seen.stream().anyMatch(type::isInstance);
        }

        /** Fails if an event of this type has come so far (waited for or not). */
        void assertNone(Class<? extends WatcherEvent> type) {
            queue.drainTo(seen);
            Optional<WatcherEvent> found = seen.stream().filter(type::isInstance).findFirst();
            found.ifPresent(event -> {
                throw new AssertionError("unexpected " + event.describe() + "; events:\n" + describe());
            });
        }

        private String describe() {
            return seen.stream().map(WatcherEvent::describe).collect(Collectors.joining("\n"));
        }
    }
}
