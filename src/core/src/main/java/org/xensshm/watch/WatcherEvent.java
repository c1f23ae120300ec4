package org.xensshm.watch;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

import org.xensshm.engine.AttachReport;
import org.xensshm.engine.DetachReport;
import org.xensshm.engine.ReconcileReport;
import org.xensshm.host.XenCallException;

/**
 * One thing a {@link StaticShmWatcher} did or decided, as it happened. {@link #describe()} is one
 * line for a log or a terminal.
 */
public sealed interface WatcherEvent {

    /**
     * One line, naming the domain and what happened to it.
     *
     * @return the line
     */
    String describe();

    /**
     * A domain as the watcher knows it.
     *
     * @param domid its id
     * @param name the domain's name in xenstore, when it has one (a domain already torn down may
     *             have lost it)
     */
    record Guest(int domid, Optional<String> name) {

        /** Checks that the name is given, present or not. */
        public Guest {
            Objects.requireNonNull(name, "name");
        }

        /**
         * How messages name the domain.
         *
         * @return {@code domain 3 (vm3)}, or {@code domain 3}
         */
        public String label() {
            return "domain " + domid + name.map(n -> " (" + n + ")").orElse("");
        }
    }

    /**
     * At start: what reconcile found and did after an earlier run.
     *
     * @param report what it did
     */
    record Reconciled(ReconcileReport report) implements WatcherEvent {
        @Override
        public String describe() {
            if (report.isEmpty()) {
                return "reconciled: every record was consistent";
            }
            return "reconciled: " + report.actions().size() + (report.actions().size() == 1 ? " action" : " actions")
                    + (report.hasFailures() ? ", some work could not be finished" : "") + " ("
                    + report.actions().stream().map(a -> a.getClass().getSimpleName() + " " + a.regionId())
                    .collect(Collectors.joining(", ")) + ")";
        }
    }

    /**
     * The watcher is set up and waits for domains.
     *
     * @param configDirectory where it looks for configs
     * @param attached the domains that hold regions now
     */
    record Watching(Path configDirectory, List<Integer> attached) implements WatcherEvent {
        /** Keeps a copy of the list. */
        public Watching {
            attached = List.copyOf(attached);
        }

        @Override
        public String describe() {
            return "watching for domains with configs in " + configDirectory + "; "
                    + (attached.isEmpty() ? "no domain holds regions" : "domains holding regions: " + attached);
        }
    }

    /**
     * A new domain's regions are set up.
     *
     * @param guest  the domain
     * @param report what the attach did
     */
    record Attached(Guest guest, AttachReport report) implements WatcherEvent {
        @Override
        public String describe() {
            if (report.regions().isEmpty()) {
                return "attached " + guest.label() + ": its config has no static_shm regions";
            }
            return "attached " + guest.label() + ": " + report.regions().stream().map(region -> switch (region) {
                case AttachReport.Offered offered -> offered.spec().id() + " owner";
                case AttachReport.Mapped mapped -> mapped.spec().id() + " borrower (" + mapped.pagesMapped()
                        + " pages of domain " + mapped.owner() + ")";
            }).collect(Collectors.joining(", "));
        }
    }

    /**
     * The domain was unpaused once its regions were attached.
     *
     * @param guest the domain
     */
    record Unpaused(Guest guest) implements WatcherEvent {
        @Override
        public String describe() {
            return "unpaused " + guest.label();
        }
    }

    /**
     * The domain borrows from an owner that is not attached (or is leaving): it stays paused and
     * is tried again whenever a domain is attached, comes or goes.
     *
     * @param guest  the domain
     * @param reason why it cannot be attached yet
     */
    record Waiting(Guest guest, String reason) implements WatcherEvent {
        @Override
        public String describe() {
            return guest.label() + " waits: " + reason;
        }
    }

    /**
     * The domain already runs: its regions are not set up under a running guest.
     *
     * @param guest the domain
     */
    record Refused(Guest guest) implements WatcherEvent {
        @Override
        public String describe() {
            return "refused " + guest.label() + ": it is already running, and regions are set up before a guest"
                    + " runs; create it with 'xl create -p' (or let the watcher attach running domains)";
        }
    }

    /**
     * Nothing to do for the domain: it has no name, or no config in the directory.
     *
     * @param guest  the domain
     * @param reason which of the two
     */
    record Ignored(Guest guest, String reason) implements WatcherEvent {
        @Override
        public String describe() {
            return "ignored " + guest.label() + ": " + reason;
        }
    }

    /**
     * The domain's config cannot be used: unreadable, invalid, or for another domain. The domain
     * is left alone; the watcher goes on.
     *
     * @param guest    the domain
     * @param config   the config file
     * @param problems one line per problem
     */
    record ConfigInvalid(Guest guest, Path config, List<String> problems) implements WatcherEvent {
        /** Keeps a copy of the list. */
        public ConfigInvalid {
            problems = List.copyOf(problems);
        }

        @Override
        public String describe() {
            return "skipped " + guest.label() + ": " + config + " cannot be used: " + String.join("; ", problems);
        }
    }

    /**
     * An operation on the domain failed; the engine left nothing of it behind (or reconcile
     * finishes it, when the error says so).
     *
     * @param guest     the domain, when the operation concerned one
     * @param operation what failed: {@code attach}, {@code detach}, {@code unpause}, or a read of
     *                  xenstore or the hypervisor
     * @param error     why
     */
    record Failed(Optional<Guest> guest, String operation, RuntimeException error) implements WatcherEvent {
        /** Checks that nothing is missing. */
        public Failed {
            Objects.requireNonNull(guest, "guest");
            Objects.requireNonNull(operation, "operation");
            Objects.requireNonNull(error, "error");
        }

        @Override
        public String describe() {
            String message = error.getMessage() == null ? error.getClass().getName()
                    : error.getMessage().strip().replaceAll("\\s*\\R\\s*", "; ");
            return operation + guest.map(g -> " of " + g.label()).orElse("") + " failed: " + message;
        }
    }

    /**
     * The domain is gone (or dying): its regions are released and counted down.
     *
     * @param guest  the domain
     * @param report what the detach did
     */
    record Detached(Guest guest, DetachReport report) implements WatcherEvent {
        @Override
        public String describe() {
            String regions = report.regions().isEmpty() ? "it held no regions" : report.regions().stream()
                    .map(r -> r.id() + " " + r.outcome().name().toLowerCase(java.util.Locale.ROOT))
                    .collect(Collectors.joining(", "));
            return "detached " + guest.label() + " (gone): " + regions
                    + (report.warnings().isEmpty() ? "" : "; " + String.join("; ", report.warnings()));
        }
    }

    /**
     * The connection to xenstored is gone: the watcher has ended, a supervisor should restart it.
     *
     * @param error the failure that told
     */
    record ConnectionLost(XenCallException error) implements WatcherEvent {
        @Override
        public String describe() {
            return "lost the connection to xenstored: " + error.getMessage();
        }
    }

    /** The watcher stopped as asked, between two operations. */
    record Stopped() implements WatcherEvent {
        @Override
        public String describe() {
            return "stopped";
        }
    }
}
