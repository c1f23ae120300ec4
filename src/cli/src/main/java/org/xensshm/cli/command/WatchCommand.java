package org.xensshm.cli.command;

import java.nio.file.Files;
import java.nio.file.Path;

import org.xensshm.cli.output.Output;
import org.xensshm.cli.output.WatcherEventView;
import org.xensshm.watch.StaticShmWatcher;
import org.xensshm.watch.StaticShmWatcher.Ending;
import org.xensshm.watch.WatcherSettings;
import org.xensshm.xen.XenStore;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * Runs {@link StaticShmWatcher} until it is told to stop (SIGTERM, SIGINT) or loses xenstored,
 * printing each event as it happens.
 */
@Command(name = "watch", header = "Set up regions as domains are created, tear them down as they go.",
        description = {"A service: when xenstored announces a new domain (@introduceDomain), sets up its regions "
                + "from <name>.cfg in the config directory while it is still paused (created with 'xl create -p'), "
                + "and with --unpause lets it run; a borrower whose owner is not attached yet waits. A domain that "
                + "already runs is refused. When a domain is gone (@releaseDomain), detaches it. Starts with "
                + "'reconcile'. One line per event on stdout (--json: one JSON object per line).",
                "",
                "Exit status 0 when stopped by SIGTERM or SIGINT (after the operation in progress), 1 when the "
                        + "connection to xenstored is lost, so that a supervisor (systemd: Restart=on-failure) "
                        + "starts it again."})
final class WatchCommand extends CliCommand {

    @Option(names = "--config-dir", required = true, paramLabel = "DIR",
            description = "Where the domains' xl configs are: a domain named vm1 is set up from DIR/vm1.cfg.")
    Path configDir;

    @Option(names = "--unpause", description = "Unpause a domain once its regions are attached.")
    boolean unpause;

    @Option(names = "--allow-running",
            description = "Also attach a domain that already runs (its guest sees the regions appear under it).")
    boolean allowRunning;

    @Mixin
    MappingOptions mapping;

    @Override
    public Integer call() {
        if (!Files.isDirectory(configDir)) {
            throw new InputException("--config-dir " + configDir + " is not a directory");
        }
        WatcherSettings settings = WatcherSettings.of(configDir.toAbsolutePath()).withEngine(mapping.settings())
                .withUnpause(unpause).withAllowRunning(allowRunning);
        Output output = output();
        Ending ending;
        try (NativeHost host = NativeHost.open(); XenStore watches = XenStore.open()) {
            StaticShmWatcher watcher = new StaticShmWatcher(host.hypervisor(), host.host().store(), watches, settings,
                    event -> output.event(new WatcherEventView(event)));
            // Instead of the JVM's exit on these signals: the watcher finishes what it does first.
            Signal.handle(new Signal("TERM"), signal -> watcher.stop());
            Signal.handle(new Signal("INT"), signal -> watcher.stop());
            ending = watcher.run();
        }
        if (ending == Ending.CONNECTION_LOST) {
            output.err().println("xen-sshm: watch: lost the connection to xenstored; exiting for a supervisor to"
                    + " start it again");
            return ExitStatus.FAILURE;
        }
        return ExitStatus.OK;
    }
}
