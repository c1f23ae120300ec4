package org.xensshm.cli.command;

import java.util.Optional;

import org.xensshm.cli.output.SelfTestView;
import org.xensshm.engine.HypervisorSelfTest;
import org.xensshm.engine.SelfTestReport;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Tests what this hypervisor does with shared pages. */
@Command(name = "selftest", header = "Test what this hypervisor does with shared pages.",
        description = "On two scratch domains it creates and destroys itself (paused, never run; no other domain is "
                + "touched): for each map space, whether a one-page batch maps and whether the mapping holds a "
                + "reference on the owner's page; whether batched removals are taken; and the hypervisor's version, "
                + "changeset and build id. The answer is kept in xenstore for this hypervisor boot, and attach "
                + "consults it before sharing with gmfn_share. Exit status 0 whatever the answer, 1 if the test "
                + "could not run.")
final class SelftestCommand extends CliCommand {

    @Option(names = "--rerun", description = "Test again even if this boot's answer is known.")
    boolean rerun;

    @Override
    public Integer call() {
        try (NativeHost host = openHost()) {
            HypervisorSelfTest test = new HypervisorSelfTest(host.hypervisor(), host.host().store());
            Optional<SelfTestReport> known = rerun ? Optional.empty() : test.cached();
            output().report(new SelfTestView(known.orElseGet(test::run), known.isPresent()));
        }
        return ExitStatus.OK;
    }
}
