package org.xensshm.cli.command;

import org.xensshm.cli.output.ReconcileView;
import org.xensshm.engine.ReconcileReport;

import picocli.CommandLine.Command;

/** Finishes or undoes what interrupted runs left in xenstore and the physmaps. */
@Command(name = "reconcile", header = "Finish or undo what interrupted runs left.",
        description = "Undoes attaches and finishes detaches that were interrupted, drops the entries of "
                + "domains that no longer exist and repairs user counts. Work of a live xen-sshm process is "
                + "left alone. Exit status 1 if something could not be finished.")
final class ReconcileCommand extends CliCommand {

    @Override
    public Integer call() {
        ReconcileReport report;
        try (NativeHost host = openHost()) {
            report = host.engine().reconcile();
        }
        output().report(new ReconcileView(report));
        return report.hasFailures() ? ExitStatus.FAILURE : ExitStatus.OK;
    }

}
