package org.xensshm.cli.command;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.xensshm.cli.output.PlanView;
import org.xensshm.cli.picture.DotPicture;
import org.xensshm.cli.picture.HostMap;
import org.xensshm.cli.picture.SvgPicture;
import org.xensshm.spec.DomainConfig;
import org.xensshm.spec.InvalidSpecException;
import org.xensshm.spec.Plan;
import org.xensshm.spec.PlanChecker;
import org.xensshm.spec.Platform;
import org.xensshm.spec.SpecProblem;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Checks a set of domain configs together, offline, prints the plan and, if asked, draws it. */
@Command(name = "check", header = "Check domain configs together, offline, and print the plan.",
        description = "Reads the static_shm settings of a set of xl domain configs and checks them together, as "
                + "one host would see them. Prints each region's owner and borrowers, the owner pages each "
                + "borrower maps and where, and the order in which the domains must be created. Every "
                + "problem found is listed, one line each, naming the file, domain, spec and field (exit "
                + "status 2).%n%n"
                + "--svg and --dot draw each domain's guest-physical address map (its RAM, Xen's fixed areas, "
                + "its shared regions) with an arrow from each borrower window to the owner's pages it maps. "
                + "They are drawn also when the check fails, with the problems in red; a config that cannot "
                + "be read at all is not drawn.")
final class CheckCommand extends CliCommand {

    @Option(names = "--platform", paramLabel = "arm|x86", defaultValue = "arm",
            description = "The host's platform (default: ${DEFAULT-VALUE}).")
    Platform platform;

    @Option(names = "--svg", paramLabel = "FILE",
            description = "Also draw the address maps as an SVG picture into FILE.")
    Path svg;

    @Option(names = "--dot", paramLabel = "FILE",
            description = "Also write them as a Graphviz graph into FILE (render it with: dot -Tsvg FILE).")
    Path dot;

    @Parameters(paramLabel = "CFG", arity = "1..*", description = "xl domain config files.")
    List<Path> configs;

    @Override
    public Integer call() {
        List<DomainConfig> domains = Configs.read(configs);
        Plan plan;
        try {
            plan = PlanChecker.check(domains, platform);
        } catch (InvalidSpecException e) {
            draw(domains, e.problems());
            throw e;
        }
        draw(domains, List.of());
        output().report(new PlanView(plan, platform));
        return ExitStatus.OK;
    }

    private void draw(List<DomainConfig> domains, List<SpecProblem> problems) {
        if (svg == null && dot == null) {
            return;
        }
        HostMap map = HostMap.of(domains, platform, problems);
        if (svg != null) {
            write(svg, SvgPicture.render(map));
        }
        if (dot != null) {
            write(dot, DotPicture.render(map));
        }
    }

    private static void write(Path file, String content) {
        try {
            Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new InputException("cannot write " + file + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
    }
}
