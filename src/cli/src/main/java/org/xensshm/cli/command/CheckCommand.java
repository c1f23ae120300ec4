package org.xensshm.cli.command;

import java.nio.file.Path;
import java.util.List;

import org.xensshm.cli.output.PlanView;
import org.xensshm.spec.Plan;
import org.xensshm.spec.PlanChecker;
import org.xensshm.spec.Platform;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Checks a set of domain configs together, offline, and prints the plan. */
@Command(name = "check", header = "Check domain configs together, offline, and print the plan.",
        description = "Reads the static_shm settings of a set of xl domain configs and checks them together, as "
                + "one host would see them. Prints each region's owner and borrowers, the owner pages each "
                + "borrower maps and where, and the order in which the domains must be created. Every "
                + "problem found is listed, one line each, naming the file, domain, spec and field (exit "
                + "status 2).")
final class CheckCommand extends CliCommand {

    @Option(names = "--platform", paramLabel = "arm|x86", defaultValue = "arm",
            description = "The host's platform (default: ${DEFAULT-VALUE}).")
    Platform platform;

    @Parameters(paramLabel = "CFG", arity = "1..*", description = "xl domain config files.")
    List<Path> configs;

    @Override
    public Integer call() {
        Plan plan = PlanChecker.check(Configs.read(configs), platform);
        output().report(new PlanView(plan, platform));
        return ExitStatus.OK;
    }
}
