package org.xensshm.watch;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.Store;
import org.xensshm.host.StoreWatches;
import org.xensshm.host.WatchEvent;
import org.xensshm.host.XenCallException;

/**
 * Sets up static shared memory while domains are created and tears it down when they go, as the
 * seed did inside libxl, without patching xl: a service that watches xenstored.
 *
 * <ul>
 * <li>On {@code @introduceDomain} it compares the domains it knows with those that have a
 * directory under {@code /local/domain} and exist in the hypervisor. A new domain named
 * {@code vm1} is set up from {@code vm1.cfg} in the configured directory (parsed, then checked on
 * the hypervisor's platform) while it is still paused, as {@code xl create -p} leaves it; then,
 * if so configured, it is unpaused. A domain that already runs is refused unless configured
 * otherwise; a domain without a config is left alone; a config that cannot be used is reported
 * and the watcher goes on.
 * <li>Owners before borrowers: a borrower whose owner is not attached yet waits, paused, and is
 * tried again whenever a domain is attached, comes or goes.
 * <li>On {@code @releaseDomain} every domain that is gone or dying is detached: a borrower's
 * entries go and its region is counted down; an owner's region is removed, or orphaned while
 * borrowed. A domain replaced under its domid (another handle) is left to reconcile, which
 * tells the two apart.
 * <li>At start it reconciles what an interrupted run left (so a watcher killed in the middle of an
 * attach and started again leaves nothing half done), takes the domains that hold regions as its
 * own, unpauses those still paused (when unpausing), and looks for new domains.
 * </ul>
 *
 * <p>Everything happens on one thread, one operation at a time: {@link #run()} in the caller's
 * thread, or {@link #start()} on a thread of its own. {@link #stop()} ends it between two
 * operations. When the connection to xenstored is lost it ends too, with
 * {@link Ending#CONNECTION_LOST}, for a supervisor to start it again. Each event goes to the
 * listener and to the log ({@code org.xensshm.watch.StaticShmWatcher}).
 *
 * <pre>{@code
 * try (XenHost host = XenHost.open(); XenStore watches = XenStore.open()) {
 *     StaticShmWatcher watcher = new StaticShmWatcher(host.hypervisor(), host.store(), watches,
 *             WatcherSettings.of(Path.of("/etc/xen")).withUnpause(true), event -> ...);
 *     Future<StaticShmWatcher.Ending> ending = watcher.start();   // returns once it watches
 *     ...                                                          // xl create -p ...
 *     watcher.stop();
 *     ending.get();
 * }
 * }</pre>
 */
public final class StaticShmWatcher {

    /** How {@link #run()} ended. */
    public enum Ending {
        /** {@link #stop()} was called; the last operation was finished first. */
        STOPPED,
        /** The connection to xenstored was lost: nothing more can be heard. */
        CONNECTION_LOST
    }

    private static final Logger log = LoggerFactory.getLogger(StaticShmWatcher.class);

    /** The token of the watcher's two watches. */
    private static final String TOKEN = "xen-sshm-watch";

    private final StoreWatches watches;
    private final WatcherSettings settings;
    private final Consumer<WatcherEvent> listener;
    /** Touched by the running thread only. */
    private final DomainTracker domains;
    private final AtomicBoolean used = new AtomicBoolean();
    private final CountDownLatch watching = new CountDownLatch(1);
    private volatile boolean stopRequested;

    /**
     * A watcher, not yet running.
     *
     * @param hypervisor the hypervisor seam, for domain info and unpausing
     * @param store      the store the engine records regions in (a dom0 connection)
     * @param watches    a connection of its own for the two watches; the caller closes it after
     *                   the watcher has ended
     * @param settings   where the configs are and how domains are attached
     * @param listener   gets every event, on the watcher's thread; what it throws is logged
     */
    public StaticShmWatcher(Hypervisor hypervisor, Store store, StoreWatches watches, WatcherSettings settings,
                            Consumer<WatcherEvent> listener) {
        Objects.requireNonNull(hypervisor, "hypervisor");
        Objects.requireNonNull(store, "store");
        this.watches = Objects.requireNonNull(watches, "watches");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.domains = new DomainTracker(hypervisor, store, settings, this::emit, () -> stopRequested);
    }

    /**
     * A watcher whose events only go to the log.
     *
     * @param hypervisor the hypervisor seam, for domain info and unpausing
     * @param store      the store the engine records regions in (a dom0 connection)
     * @param watches    a connection of its own for the two watches
     * @param settings   where the configs are and how domains are attached
     */
    public StaticShmWatcher(Hypervisor hypervisor, Store store, StoreWatches watches, WatcherSettings settings) {
        this(hypervisor, store, watches, settings, event -> {
        });
    }

    /**
     * What this watcher was set up with.
     *
     * @return its settings
     */
    public WatcherSettings settings() {
        return settings;
    }

    /**
     * Watches in the calling thread until {@link #stop()} is called or the connection to xenstored
     * is lost. A watcher runs once.
     *
     * @return why it ended
     * @throws IllegalStateException when this watcher has run or runs already
     */
    public Ending run() {
        if (!used.compareAndSet(false, true)) {
            throw new IllegalStateException("a StaticShmWatcher runs once; create another one");
        }
        try {
            return watch();
        } finally {
            watching.countDown();
        }
    }

    /**
     * Runs the watcher on a new thread ({@code xen-sshm-watch}) and returns once it watches (its
     * start-up done: reconcile, the domains already there) or has ended. The thread is not a
     * daemon: {@link #stop()} it before the JVM is to exit.
     *
     * @return how the run ends; done once the thread has finished
     */
    public Future<Ending> start() {
        FutureTask<Ending> task = new FutureTask<>(this::run);
        Thread.ofPlatform().name("xen-sshm-watch").start(task);
        try {
            watching.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return task;
    }

    /**
     * Asks the watcher to end after the operation in progress; {@link #run()} then returns
     * {@link Ending#STOPPED} within one {@link WatcherSettings#pollInterval()}. Safe from any
     * thread, a signal handler or a shutdown hook.
     */
    public void stop() {
        stopRequested = true;
    }

    private Ending watch() {
        try {
            watches.watch(StoreWatches.INTRODUCE_DOMAIN, TOKEN);
            watches.watch(StoreWatches.RELEASE_DOMAIN, TOKEN);
        } catch (XenCallException e) {
            return lost(e);
        }
        domains.reconcile();
        domains.adoptAttached();
        domains.lookForNewDomains();
        emit(new WatcherEvent.Watching(settings.configDirectory(), domains.attachedDomids()));
        watching.countDown();
        while (!stopRequested) {
            boolean introduced = false;
            boolean released = false;
            try {
                Optional<WatchEvent> event = watches.awaitEvent(settings.pollInterval());
                // Take every event already queued: one look at the domains answers them all.
                while (event.isPresent()) {
                    introduced |= event.get().path().equals(StoreWatches.INTRODUCE_DOMAIN);
                    released |= event.get().path().equals(StoreWatches.RELEASE_DOMAIN);
                    event = watches.awaitEvent(Duration.ZERO);
                }
            } catch (XenCallException e) {
                return lost(e);
            }
            if (released) {
                domains.detachGoneDomains();
            }
            if (introduced) {
                domains.lookForNewDomains();
            } else if (released) {
                domains.retryWaiting();
            }
        }
        // The connection may serve another watcher after this one.
        for (String path : List.of(StoreWatches.INTRODUCE_DOMAIN, StoreWatches.RELEASE_DOMAIN)) {
            try {
                watches.unwatch(path, TOKEN);
            } catch (XenCallException e) {
                log.debug("removing the watch on {}: {}", path, e.getMessage());
            }
        }
        emit(new WatcherEvent.Stopped());
        return Ending.STOPPED;
    }

    private Ending lost(XenCallException e) {
        emit(new WatcherEvent.ConnectionLost(e));
        return Ending.CONNECTION_LOST;
    }

    private void emit(WatcherEvent event) {
        switch (event) {
            case WatcherEvent.Refused _, WatcherEvent.ConfigInvalid _, WatcherEvent.Failed _,
                 WatcherEvent.ConnectionLost _ -> log.warn("{}", event.describe());
            default -> log.info("{}", event.describe());
        }
        try {
            listener.accept(event);
        } catch (RuntimeException e) {
            log.error("the watcher's listener failed on '{}'", event.describe(), e);
        }
    }
}
