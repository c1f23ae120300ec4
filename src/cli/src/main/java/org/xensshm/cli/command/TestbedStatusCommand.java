package org.xensshm.cli.command;

import org.xensshm.cli.output.TestbedView;

import picocli.CommandLine.Command;

/** Tells whether a long-lived test bed runs, and what it holds. */
@Command(name = "status", header = "Tell whether the test bed runs.",
        description = "Its daemon, files and domains; a test bed whose daemon died is reported as stale.")
final class TestbedStatusCommand extends CliCommand {

    @Override
    public Integer call() {
        output().report(TestbedView.of(TestbedCommand.envFile(), "test bed running"));
        return ExitStatus.OK;
    }
}
