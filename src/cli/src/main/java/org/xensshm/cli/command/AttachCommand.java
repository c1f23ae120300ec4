package org.xensshm.cli.command;

import java.nio.file.Path;

import org.xensshm.cli.output.AttachView;
import org.xensshm.cli.output.Output;
import org.xensshm.cli.output.ProgressBar;
import org.xensshm.engine.AttachReport;
import org.xensshm.engine.EngineSettings;
import org.xensshm.engine.RecordLayout;
import org.xensshm.spec.DomainConfig;
import org.xensshm.spec.DomainSpecs;
import org.xensshm.spec.Role;
import org.xensshm.spec.SpecValidator;
import org.xensshm.spec.SshmSpec;

import picocli.CommandLine.Command;
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

    @Option(names = "--map-space", paramLabel = "share|foreign", defaultValue = "share",
            description = "How borrowed pages are mapped: share (XENMAPSPACE_gmfn_share, from the static "
                    + "shm series; default) or foreign (XENMAPSPACE_gmfn_foreign, upstream).")
    MapSpaceOption mapSpace;

    @Option(names = "--trust-borrower",
            description = "Map with foreign after making each owner this borrower's target, which stock Xen "
                    + "needs. The price: the borrower becomes a device model of the owner, with rights over ALL "
                    + "the owner's memory, for the rest of the borrower's life (a target can never be changed "
                    + "or cleared), and it can borrow from that one owner only.")
    boolean trustBorrower;

    @Option(names = "--allow-unreferenced-share",
            description = "Map with share even on a hypervisor whose share mappings hold no page reference (the "
                    + "static shm series as its vendor ships it): every later detach or death of this borrower "
                    + "frees pages its owner still uses. Only for hosts that never detach or destroy a borrower.")
    boolean allowUnreferencedShare;

    @Option(names = "--layout", paramLabel = "seed|owner-borrower", converter = LayoutConverter.class,
            description = "How a region this domain owns is recorded in xenstore: seed (master/slaves, as libxl "
                    + "with the seed patch writes it) or owner-borrower (as the vendor xl that ships static shm "
                    + "writes it). Default: the layout the host's records already use, seed on a host without any. "
                    + "A borrower's entry always follows its region's layout.")
    RecordLayout layout;

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
                        : new CountingHypervisor(host.hypervisor(), domid, bar::advance), settings()).attach(domid, specs);
            }
            output.report(new AttachView(label, report));
        }
        return ExitStatus.OK;
    }

    private EngineSettings settings() {
        if (trustBorrower && mapSpace == MapSpaceOption.SHARE && spec.commandLine().getParseResult()
                .hasMatchedOption("--map-space")) {
            throw new InputException("--trust-borrower maps with foreign; it does not go with --map-space share");
        }
        EngineSettings settings = EngineSettings.defaults().withMapSpace(mapSpace.space())
                .withUnreferencedShareAllowed(allowUnreferencedShare);
        if (layout != null) {
            settings = settings.withLayout(layout);
        }
        return trustBorrower ? settings.withTrustedBorrowers() : settings;
    }
}
