package org.xensshm.cli.command;

import org.xensshm.cli.output.TestbedView;
import org.xensshm.testkit.testbed.DetachedTestBed;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Tears a guest of the running test bed down, as {@code xl destroy} does. */
@Command(name = "destroy", header = "Destroy a domain of the test bed, as xl destroy does.",
        description = "Removes the domain's xenstore directory, destroys it (it stays dying while its pages are "
                + "mapped elsewhere) and releases it from xenstored, which fires @releaseDomain for 'xen-sshm watch'.")
final class TestbedDestroyCommand extends CliCommand {

    @Option(names = "--domid", required = true, paramLabel = "N", description = "The domain's id.")
    int domid;

    @Override
    public Integer call() {
        checkDomid(domid);
        DetachedTestBed bed = DetachedTestBed.read(TestbedCommand.envFile()).orElseThrow(() -> new InputException(
                "no test bed runs (no env file " + TestbedCommand.envFile() + "): 'xen-sshm testbed start' first"));
        bed.destroyDomain(domid);
        output().report(TestbedView.of(TestbedCommand.envFile(), "domain " + domid + " destroyed"));
        return ExitStatus.OK;
    }
}
