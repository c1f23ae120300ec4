package org.xensshm.cli.command;

import java.nio.file.Path;

import org.xensshm.cli.output.AttachView;
import org.xensshm.cli.output.Output;
import org.xensshm.cli.output.ProgressBar;
import org.xensshm.engine.AttachReport;
import org.xensshm.spec.DomainConfig;
import org.xensshm.spec.DomainSpecs;
import org.xensshm.spec.Role;
import org.xensshm.spec.SpecValidator;
import org.xensshm.spec.SshmSpec;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Sets up a running domain's regions from its config: owned ones offered, borrowed ones mapped. */
@Command(name = "attach", header = "Set up a running domain's regions from its xl config.",
        description = "Records the regions the domain owns and maps the ones it borrows from their owners, "
                + "which must be attached first. All or nothing: if it fails, nothing of it is left, unless "
                + "the message says to run 'reconcile'. On a terminal, a progress bar shows mappings that "
                + "take more than a moment.")
final class AttachCommand extends CliCommand {

    @Option(names = "--domid", required = true, paramLabel = "N", description = "The domain's id.")
    int domid;

    @Mixin
    MappingOptions mapping;

    @Parameters(paramLabel = "CFG", description = "The domain's xl config file.")
    Path config;

    @Override
    public Integer call() {
        checkDomid(domid);
        DomainConfig domain = Configs.read(config);
        Output output = output();
        try (NativeHost host = openHost()) {
            DomainSpecs specs = SpecValidator.validate(domain, host.hypervisor().platform());
            host.domainName(domid).filter(name -> !name.equals(domain.name())).ifPresent(name -> output.warn(
                    "domain " + domid + " is named " + name + " in xenstore, but " + config + " configures "
                            + domain.name()));
            // Named before the attach: once it has committed, nothing may turn it into a failure.
            String label = host.label(domid);
            long pages = specs.specs().stream().filter(s -> s.role() == Role.BORROWER)
                    .mapToLong(SshmSpec::pageCount).sum();
            boolean showProgress = pages > 0 && !output.json() && ProgressBar.terminalAttached();
            AttachReport report;
            try (ProgressBar bar = showProgress ? new ProgressBar(output.err(), "mapping " + domain.name(), pages,
                    ProgressBar.DELAY, ProgressBar.PERIOD) : null) {
                report = host.engine(bar == null ? host.hypervisor()
                        : new CountingHypervisor(host.hypervisor(), domid, bar::advance), mapping.settings())
                        .attach(domid, specs);
            }
            output.report(new AttachView(label, report));
        }
        return ExitStatus.OK;
    }
}
