package org.xensshm.cli.command;

import org.xensshm.cli.output.DetachView;
import org.xensshm.engine.DetachReport;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Tears down a domain's regions. */
@Command(name = "detach", header = "Tear down a domain's regions.",
        description = "Unmaps what the domain borrows and releases what it owns; a region whose borrowers still "
                + "map it stays, orphaned, until they detach too. Also finishes an interrupted attach or "
                + "detach of the domain.")
final class DetachCommand extends CliCommand {

    @Option(names = "--domid", required = true, paramLabel = "N", description = "The domain's id.")
    int domid;

    @Override
    public Integer call() {
        checkDomid(domid);
        try (NativeHost host = openHost()) {
            String label = host.label(domid);
            DetachReport report = host.engine().detach(domid);
            report.warnings().forEach(output()::warn);
            output().report(new DetachView(label, report));
        }
        return ExitStatus.OK;
    }

}
