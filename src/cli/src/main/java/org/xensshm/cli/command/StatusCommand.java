package org.xensshm.cli.command;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.xensshm.cli.output.StatusView;
import org.xensshm.engine.HostStatus;
import org.xensshm.engine.RegionStatus;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Shows the regions recorded in xenstore. */
@Command(name = "status", header = "Show the regions recorded in xenstore.",
        description = "Each region's owner, range, user count and state, and each borrower's window and state.")
final class StatusCommand extends CliCommand {

    @Option(names = "--id", paramLabel = "ID", description = "Only this region.")
    String id;

    @Override
    public Integer call() {
        try (NativeHost host = openHost()) {
            HostStatus status = host.engine().status();
            List<RegionStatus> regions = status.regions().stream()
                    .filter(region -> id == null || region.id().equals(id)).toList();
            Map<String, String> unreadable = new LinkedHashMap<>(status.unreadable());
            unreadable.keySet().removeIf(other -> id != null && !other.equals(id));
            if (id != null && regions.isEmpty() && unreadable.isEmpty()) {
                throw new IllegalStateException("no region " + id + " is recorded in xenstore");
            }
            // Looked up now, while the host is open.
            Map<Integer, String> names = new HashMap<>();
            for (RegionStatus region : regions) {
                names.computeIfAbsent(region.owner(), host::label);
                region.borrowers().forEach(b -> names.computeIfAbsent(b.domid(), host::label));
            }
            output().report(new StatusView(regions, unreadable, names));
        }
        return ExitStatus.OK;
    }

}
