package org.xensshm.cli.command;

import java.nio.file.Path;
import java.util.Optional;

import org.xensshm.cli.output.TestbedStoppedView;
import org.xensshm.testkit.testbed.DetachedTestBed;

import picocli.CommandLine.Command;

/** Stops the long-lived test bed and removes everything it left. */
@Command(name = "stop", header = "Stop the test bed and remove what it left.",
        description = "Kills its xenstored and removes its directory, hypervisor state and env file; also "
                + "cleans up after a test bed whose daemon died.")
final class TestbedStopCommand extends CliCommand {

    @Override
    public Integer call() {
        Path envFile = TestbedCommand.envFile();
        Optional<DetachedTestBed> bed = DetachedTestBed.read(envFile);
        String done = bed.map(b -> {
            String what = b.alive() ? "test bed stopped (xenstored pid " + b.pid() + ")"
                    : "stale test bed removed";
            b.stop();
            return what;
        }).orElse("no test bed to stop (no env file " + envFile + ")");
        output().report(new TestbedStoppedView(bed.isPresent(), done));
        return ExitStatus.OK;
    }

}
