package org.xensshm.watch;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import org.xensshm.engine.AttachReport;
import org.xensshm.engine.RegionRefusedException;
import org.xensshm.engine.RegionStatus;
import org.xensshm.engine.SshmException;
import org.xensshm.engine.StaticShmEngine;
import org.xensshm.host.DomainInfo;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.Store;
import org.xensshm.host.StoreTransaction;
import org.xensshm.host.XenCallException;
import org.xensshm.spec.DomainConfig;
import org.xensshm.spec.DomainSpecs;
import org.xensshm.spec.InvalidSpecException;
import org.xensshm.spec.SpecProblem;
import org.xensshm.spec.SpecValidator;
import org.xensshm.spec.XlConfigParser;
import org.xensshm.watch.WatcherEvent.Guest;

/**
 * What {@link StaticShmWatcher} does with the domains as they come and go, and what it remembers
 * of each: a new domain is attached from its config, or waits for its owner, or is left alone; a
 * gone one is detached. The watcher's loop says when to look; this decides what to do, on the
 * watcher's thread, and reports each step as a {@link WatcherEvent}.
 */
final class DomainTracker {

    /** Names a config file can have: no path separators, no hidden files. */
    private static final Pattern CONFIG_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

    /** Where the watcher stands with a domain it has seen. */
    private enum State {
        /** Its regions are attached (by this watcher or, found at start, by anyone). */
        ATTACHED,
        /** A borrower whose owner is not there yet; tried again later. */
        WAITING,
        /** No name in xenstore yet: looked at again with the next domain event. */
        UNNAMED,
        /** Nothing to do, or refused, or failed: not tried again while this domain lives. */
        LEFT_ALONE
    }

    /** A domain the watcher has seen, told from a later one under the same domid by its handle. */
    private record Known(Guest guest, UUID handle, State state, Optional<DomainSpecs> specs) {
    }

    private final Hypervisor hypervisor;
    private final Store store;
    private final WatcherSettings settings;
    private final StaticShmEngine engine;
    private final Consumer<WatcherEvent> events;
    private final BooleanSupplier stopRequested;
    private final Map<Integer, Known> known = new TreeMap<>();

    /**
     * @param events        gets every event, for the log and the listener
     * @param stopRequested asked between two domains: once true, the others are left for the next run
     */
    DomainTracker(Hypervisor hypervisor, Store store, WatcherSettings settings, Consumer<WatcherEvent> events,
                  BooleanSupplier stopRequested) {
        this.hypervisor = hypervisor;
        this.store = store;
        this.settings = settings;
        this.events = events;
        this.stopRequested = stopRequested;
        this.engine = new StaticShmEngine(hypervisor, store, settings.engine());
    }

    void reconcile() {
        try {
            emit(new WatcherEvent.Reconciled(engine.reconcile()));
        } catch (RuntimeException e) {
            emit(new WatcherEvent.Failed(Optional.empty(), "reconcile", e));
        }
    }

    /**
     * Takes the domains that hold regions as attached, so that their end detaches them; those
     * still paused are unpaused when unpausing (a run that ended between attach and unpause).
     */
    void adoptAttached() {
        for (int domid : domainsWithRegions()) {
            Optional<DomainInfo> info = domainInfo(domid);
            if (info.isEmpty() || !info.get().alive()) {
                continue;
            }
            Guest guest = new Guest(domid, name(domid));
            known.put(domid, new Known(guest, info.get().handle(), State.ATTACHED, Optional.empty()));
            if (settings.unpause() && info.get().paused() && hasConfig(guest)) {
                unpause(guest);
            }
        }
    }

    /** New domains: listed under /local/domain, alive in the hypervisor, unknown or with a new handle. */
    void lookForNewDomains() {
        for (int domid : listedDomains()) {
            if (stopRequested.getAsBoolean()) {
                return;
            }
            Optional<DomainInfo> info = domainInfo(domid);
            if (info.isEmpty() || !info.get().alive()) {
                continue;
            }
            Known seen = known.get(domid);
            boolean sameDomain = seen != null && seen.handle().equals(info.get().handle());
            if (sameDomain && seen.state() != State.UNNAMED) {
                continue;
            }
            if (seen != null && !sameDomain) {
                forgetReplaced(domid);
            }
            consider(domid, info.get(), sameDomain);
        }
        retryWaiting();
    }

    /**
     * Decides what to do with a domain seen for the first time, or seen before without a name
     * ({@code seenUnnamed}: xl writes the name before it introduces a domain, another toolstack may
     * not), and does it.
     */
    private void consider(int domid, DomainInfo info, boolean seenUnnamed) {
        Optional<String> name = name(domid);
        Guest guest = new Guest(domid, name);
        if (name.isEmpty()) {
            known.put(domid, new Known(guest, info.handle(), State.UNNAMED, Optional.empty()));
            if (!seenUnnamed) {
                emit(new WatcherEvent.Ignored(guest, "it has no name in xenstore (yet)"));
            }
            return;
        }
        if (!CONFIG_NAME.matcher(name.get()).matches()) {
            leaveAlone(guest, info, new WatcherEvent.Ignored(guest, "its name cannot name a config file"));
            return;
        }
        Path config = configOf(name.get());
        if (!Files.exists(config)) {
            leaveAlone(guest, info, new WatcherEvent.Ignored(guest, "no config " + config + ": nothing to set up"));
            return;
        }
        Optional<DomainSpecs> specs = read(guest, info, config);
        if (specs.isEmpty()) {
            return;
        }
        if (!info.paused() && !settings.allowRunning()) {
            leaveAlone(guest, info, new WatcherEvent.Refused(guest));
            return;
        }
        attach(new Known(guest, info.handle(), State.WAITING, specs));
    }

    /** The config, parsed and checked on the host's platform; empty (and reported) when unusable. */
    private Optional<DomainSpecs> read(Guest guest, DomainInfo info, Path config) {
        try {
            DomainConfig parsed = XlConfigParser.parse(config);
            if (!parsed.name().equals(guest.name().orElseThrow())) {
                leaveAlone(guest, info, new WatcherEvent.ConfigInvalid(guest, config, List.of(
                        "it configures domain '" + parsed.name() + "', not '" + guest.name().orElseThrow() + "'")));
                return Optional.empty();
            }
            return Optional.of(SpecValidator.validate(parsed, hypervisor.platform()));
        } catch (InvalidSpecException e) {
            leaveAlone(guest, info, new WatcherEvent.ConfigInvalid(guest, config,
                    e.problems().stream().map(SpecProblem::describe).toList()));
        } catch (IOException e) {
            leaveAlone(guest, info, new WatcherEvent.ConfigInvalid(guest, config, List.of("cannot read it: "
                    + (e instanceof CharacterCodingException ? "not UTF-8 text"
                    : e instanceof NoSuchFileException ? "no such file" : e.toString()))));
        }
        return Optional.empty();
    }

    /**
     * Attaches a domain that is to be attached; a borrower whose owner is missing waits.
     *
     * @return whether it is attached now
     */
    private boolean attach(Known domain) {
        int domid = domain.guest().domid();
        AttachReport report;
        try {
            report = engine.attach(domid, domain.specs().orElseThrow());
        } catch (RegionRefusedException e) {
            if (ownerMissing(e.reason())) {
                boolean first = known.get(domid) == null || known.get(domid).state() != State.WAITING;
                known.put(domid, domain);
                if (first) {
                    emit(new WatcherEvent.Waiting(domain.guest(), e.getMessage()));
                }
                return false;
            }
            known.put(domid, leftAlone(domain));
            emit(new WatcherEvent.Failed(Optional.of(domain.guest()), "attach", e));
            return false;
        } catch (SshmException | InvalidSpecException | XenCallException e) {
            known.put(domid, leftAlone(domain));
            emit(new WatcherEvent.Failed(Optional.of(domain.guest()), "attach", e));
            return false;
        }
        known.put(domid, new Known(domain.guest(), domain.handle(), State.ATTACHED, Optional.empty()));
        emit(new WatcherEvent.Attached(domain.guest(), report));
        if (settings.unpause() && domainInfo(domid).filter(DomainInfo::paused).isPresent()) {
            unpause(domain.guest());
        }
        return true;
    }

    /** Refusals that another domain's attach or end can lift. */
    private static boolean ownerMissing(RegionRefusedException.Reason reason) {
        return switch (reason) {
            case NO_OWNER, OWNER_GONE, ORPHANED -> true;
            default -> false;
        };
    }

    /**
     * Tries the waiting borrowers again, over and over while one of them gets attached (it may be
     * the owner another one waits for). A waiting domain that has gone, or started to run, is
     * dropped.
     */
    void retryWaiting() {
        boolean progress = true;
        while (progress && !stopRequested.getAsBoolean()) {
            progress = false;
            for (Known domain : List.copyOf(known.values())) {
                if (domain.state() != State.WAITING || stopRequested.getAsBoolean()) {
                    continue;
                }
                int domid = domain.guest().domid();
                Optional<DomainInfo> info = domainInfo(domid);
                if (info.isEmpty() || !info.get().alive() || !info.get().handle().equals(domain.handle())) {
                    known.remove(domid);
                    continue;
                }
                if (!info.get().paused() && !settings.allowRunning()) {
                    leaveAlone(domain.guest(), info.get(), new WatcherEvent.Refused(domain.guest()));
                    continue;
                }
                progress |= attach(domain);
            }
        }
    }

    /** Detaches every domain that holds regions, or that the watcher knows, and is no more. */
    void detachGoneDomains() {
        Set<Integer> withRegions = domainsWithRegions();
        Set<Integer> candidates = new TreeSet<>(known.keySet());
        candidates.addAll(withRegions);
        for (int domid : candidates) {
            if (stopRequested.getAsBoolean()) {
                return;
            }
            Known seen = known.get(domid);
            Optional<DomainInfo> info = domainInfo(domid);
            if (info.isPresent() && !info.get().dying()) {
                if (seen != null && !seen.handle().equals(info.get().handle())) {
                    forgetReplaced(domid);
                }
                continue;
            }
            known.remove(domid);
            if (seen == null || seen.state() == State.ATTACHED || withRegions.contains(domid)) {
                detach(domid, seen == null ? new Guest(domid, Optional.empty()) : seen.guest());
            }
        }
    }

    /**
     * The domain the watcher knew under this domid is gone and another has the domid: its entries
     * are left to reconcile, which tells the domains apart by handle, where a detach by domid
     * would unmap pages of the new domain.
     */
    private void forgetReplaced(int domid) {
        known.remove(domid);
        reconcile();
    }

    private void detach(int domid, Guest guest) {
        known.remove(domid);
        try {
            emit(new WatcherEvent.Detached(guest, engine.detach(domid)));
        } catch (SshmException | XenCallException e) {
            // Whatever is left stays recorded: the next @releaseDomain, or reconcile, finishes it.
            emit(new WatcherEvent.Failed(Optional.of(guest), "detach", e));
        }
    }

    private void unpause(Guest guest) {
        try {
            hypervisor.unpause(guest.domid());
            emit(new WatcherEvent.Unpaused(guest));
        } catch (XenCallException e) {
            emit(new WatcherEvent.Failed(Optional.of(guest), "unpause", e));
        }
    }

    private void leaveAlone(Guest guest, DomainInfo info, WatcherEvent why) {
        known.put(guest.domid(), new Known(guest, info.handle(), State.LEFT_ALONE, Optional.empty()));
        emit(why);
    }

    private static Known leftAlone(Known domain) {
        return new Known(domain.guest(), domain.handle(), State.LEFT_ALONE, Optional.empty());
    }

    private boolean hasConfig(Guest guest) {
        return guest.name().filter(n -> CONFIG_NAME.matcher(n).matches()).map(this::configOf).filter(Files::exists)
                .isPresent();
    }

    private Path configOf(String name) {
        return settings.configDirectory().resolve(name + ".cfg");
    }

    List<Integer> attachedDomids() {
        return known.values().stream().filter(k -> k.state() == State.ATTACHED).map(k -> k.guest().domid()).toList();
    }

    /** Guest domids with a directory under /local/domain; empty (and reported) when unreadable. */
    private List<Integer> listedDomains() {
        String root = "/local/domain";
        try (StoreTransaction tx = store.begin()) {
            List<Integer> domids = new ArrayList<>();
            for (String entry : tx.list(root)) {
                try {
                    int domid = Integer.parseInt(entry);
                    if (domid > 0) {
                        domids.add(domid);
                    }
                } catch (NumberFormatException e) {
                    // Not a domain's directory: nothing of ours.
                }
            }
            return domids.stream().sorted().toList();
        } catch (XenCallException e) {
            emit(new WatcherEvent.Failed(Optional.empty(), "listing " + root, e));
            return List.of();
        }
    }

    /** Domains that own or borrow a recorded region (an orphaned region's old owner excluded). */
    private Set<Integer> domainsWithRegions() {
        Set<Integer> domids = new TreeSet<>();
        try {
            for (RegionStatus region : engine.status().regions()) {
                if (region.state() != RegionStatus.State.ORPHANED) {
                    domids.add(region.owner());
                }
                region.borrowers().forEach(borrower -> domids.add(borrower.domid()));
            }
        } catch (SshmException e) {
            emit(new WatcherEvent.Failed(Optional.empty(), "reading the region records", e));
        }
        domids.remove(0);
        return domids;
    }

    private Optional<DomainInfo> domainInfo(int domid) {
        try {
            return hypervisor.domainInfo(domid);
        } catch (XenCallException e) {
            emit(new WatcherEvent.Failed(Optional.of(new Guest(domid, Optional.empty())), "reading domain info", e));
            return Optional.empty();
        }
    }

    private Optional<String> name(int domid) {
        try (StoreTransaction tx = store.begin()) {
            return tx.read(store.domainPath(domid) + "/name");
        } catch (XenCallException e) {
            emit(new WatcherEvent.Failed(Optional.of(new Guest(domid, Optional.empty())), "reading its name", e));
            return Optional.empty();
        }
    }

    private void emit(WatcherEvent event) {
        events.accept(event);
    }
}
