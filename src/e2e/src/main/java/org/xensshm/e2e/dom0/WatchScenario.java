package org.xensshm.e2e.dom0;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.xensshm.engine.EngineSettings;
import org.xensshm.watch.StaticShmWatcher;
import org.xensshm.watch.WatcherEvent;
import org.xensshm.watch.WatcherSettings;
import org.xensshm.xen.XenStore;

/**
 * The watcher on a real host: {@code xl create -p} is all the operator does; xenstored announces
 * the domain, the watcher attaches it from its config and unpauses it, the guest reads the
 * owner's bytes, and {@code xl destroy} makes the watcher take the entries away.
 */
final class WatchScenario {

    private static final Duration PATIENCE = Duration.ofSeconds(120);
    private static final int PAGES = 4;

    private WatchScenario() {
    }

    static Scenario followsDomains(EngineSettings settings) {
        return Scenario.of("watch-service", lab -> {
            Path configs = configs();
            BlockingQueue<WatcherEvent> events = new LinkedBlockingQueue<>();
            try (XenStore watches = XenStore.open()) {
                StaticShmWatcher watcher = new StaticShmWatcher(lab.hypervisor(), lab.host.store(), watches,
                        WatcherSettings.of(configs).withUnpause(true).withEngine(settings), events::add);
                Future<StaticShmWatcher.Ending> ending = watcher.start();
                try {
                    Lab.Guest owner = lab.create("w-owner", 16);
                    lab.report.check("owner-attached", await(events, WatcherEvent.Attached.class, owner),
                            "after xl create -p");
                    lab.report.check("owner-unpaused", await(events, WatcherEvent.Unpaused.class, owner), "");
                    lab.markRunning(owner);
                    long base = Regions.gfn(Regions.OWNER_BASE);
                    lab.stamp(owner, base, PAGES);

                    Lab.Guest borrower = lab.create("w-borrower", 16);
                    lab.report.check("borrower-attached", await(events, WatcherEvent.Attached.class, borrower),
                            "after xl create -p");
                    lab.report.check("borrower-unpaused", await(events, WatcherEvent.Unpaused.class, borrower), "");
                    lab.markRunning(borrower);
                    lab.report.equal("guest-reads", lab.ownerBytes(owner, base), lab.guestSees(borrower,
                            Regions.window(0)));

                    lab.destroy(borrower);
                    lab.report.check("borrower-detached", await(events, WatcherEvent.Detached.class, borrower),
                            "after xl destroy");
                    lab.report.check("borrower-entry-gone", !XenstoreTree.exists("/libxl/static_shm/watched/slaves/"
                            + borrower.domid()), XenstoreTree.below("/libxl/static_shm").toString());
                    lab.destroy(owner);
                    lab.report.check("owner-detached", await(events, WatcherEvent.Detached.class, owner),
                            "after xl destroy");
                    lab.report.check("records-gone", !XenstoreTree.exists("/libxl/static_shm"),
                            XenstoreTree.below("/libxl/static_shm").toString());
                } finally {
                    watcher.stop();
                    lab.report.equal("watcher-stopped", StaticShmWatcher.Ending.STOPPED,
                            ending.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
                }
            } catch (Exception e) {
                throw new IllegalStateException("the watcher scenario failed: " + e, e);
            }
        });
    }

    /** Whether the watcher reports an event of this type for the guest in time; other events go by. */
    private static boolean await(BlockingQueue<WatcherEvent> events, Class<? extends WatcherEvent> type,
                                 Lab.Guest guest) throws InterruptedException {
        Predicate<WatcherEvent> about = event -> event.describe().contains("domain " + guest.domid() + " ");
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (System.nanoTime() < deadline) {
            WatcherEvent event = events.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (event != null && type.isInstance(event) && about.test(event)) {
                return true;
            }
        }
        return false;
    }

    /** The watched domains' configs, named after them as the watcher looks them up. */
    private static Path configs() {
        try {
            Path directory = Files.createTempDirectory("e2e-watch-");
            Files.writeString(directory.resolve("w-owner.cfg"), "name = \"w-owner\"\nmemory = 16\nstatic_shm = [ \""
                    + Regions.owner("watched", PAGES) + "\" ]\n");
            Files.writeString(directory.resolve("w-borrower.cfg"), "name = \"w-borrower\"\nmemory = 16\nstatic_shm = [ \""
                    + Regions.borrower("watched", 0, PAGES) + "\" ]\n");
            return directory;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
