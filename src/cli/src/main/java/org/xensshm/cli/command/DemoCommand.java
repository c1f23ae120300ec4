package org.xensshm.cli.command;

import picocli.CommandLine.Command;

/** Shows the whole job on a private user-space Xen, with an embedded three-domain example. */
@Command(name = "demo", header = "Show the whole job on a private user-space Xen.",
        description = "Three domains with an example config each: the plan, attach, a message written by the "
                + "owner and read by each borrower, the xenstore records, detach, and proof that nothing is "
                + "left. It runs a test bed of its own and leaves a running one alone.")
final class DemoCommand extends CliCommand {

    @Override
    public Integer call() {
        output().report(new Demo(output()).run());
        return ExitStatus.OK;
    }
}
