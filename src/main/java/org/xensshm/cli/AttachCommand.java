package org.xensshm.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.xensshm.engine.HostStatus;
import org.xensshm.engine.RegionStatus;
import org.xensshm.engine.StaticShmEngine;
import org.xensshm.spec.DomainConfig;
import org.xensshm.spec.PageRange;
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

    @Parameters(paramLabel = "CFG", description = "The domain's xl config file.")
    Path config;

    @Override
    public Integer call() {
        checkDomid(domid);
        DomainConfig domain = Configs.read(config);
        Output output = output();
        try (NativeHost host = NativeHost.open()) {
            List<SshmSpec> specs = SpecValidator.validate(domain, host.hypervisor().platform());
            host.domainName(domid).filter(name -> !name.equals(domain.name())).ifPresent(name -> output.warn(
                    "domain " + domid + " is named " + name + " in xenstore, but " + config + " configures "
                            + domain.name()));
            long pages = specs.stream().filter(s -> s.role() == Role.BORROWER).mapToLong(SshmSpec::pageCount).sum();
            boolean showProgress = pages > 0 && !output.json() && ProgressBar.terminalAttached();
            StaticShmEngine engine;
            try (ProgressBar bar = showProgress ? new ProgressBar(output.err(), "mapping " + domain.name(), pages,
                    ProgressBar.DELAY, ProgressBar.PERIOD) : null) {
                engine = host.engine(bar == null ? host.hypervisor()
                        : new CountingHypervisor(host.hypervisor(), bar::advance), mapSpace.space());
                engine.attach(domid, specs);
            }
            output.report(new AttachReport(host.label(domid), domid, shared(specs, engine.status())));
        }
        return ExitStatus.OK;
    }

    /** A region the domain now shares; for a borrower, whose frames it maps, read back from the records. */
    record Shared(SshmSpec spec, Optional<Integer> owner, Optional<PageRange> ownerPages) {
    }

    static List<Shared> shared(List<SshmSpec> specs, HostStatus status) {
        return specs.stream().map(spec -> {
            if (spec.role() == Role.OWNER) {
                return new Shared(spec, Optional.empty(), Optional.empty());
            }
            Optional<RegionStatus> region = status.regions().stream()
                    .filter(r -> r.id().equals(spec.id())).findFirst();
            return new Shared(spec, region.map(RegionStatus::owner), region.flatMap(r -> spec.ownerPagesWithin(
                    new PageRange(r.begin() >>> SshmSpec.PAGE_SHIFT, (r.end() - r.begin()) >>> SshmSpec.PAGE_SHIFT))));
        }).toList();
    }

    record AttachReport(String domain, int domid, List<Shared> regions) implements Report {

        @Override
        public String text() {
            StringBuilder out = new StringBuilder("domain " + domain + ": attached "
                    + PlanReport.count(regions.size(), "region") + "\n");
            if (regions.isEmpty()) {
                return out.toString();
            }
            Table table = new Table("REGION", "ROLE", "RANGE", "PAGES", "MAPPING");
            for (Shared shared : regions) {
                SshmSpec spec = shared.spec();
                table.row(spec.id(), spec.role(), Hex.range(spec.begin(), spec.end()), spec.pageCount(),
                        spec.role() == Role.OWNER ? "offered to borrowers"
                                : "maps domain " + shared.owner().map(String::valueOf).orElse("?") + "'s gfns "
                                + shared.ownerPages().map(String::valueOf).orElse("?") + " at its gfns " + spec.pages());
            }
            return out.append(table.render("  ")).toString();
        }

        @Override
        public Object json() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("ok", true);
            json.put("domid", domid);
            json.put("regions", regions.stream().map(AttachReport::sharedJson).toList());
            return json;
        }

        private static Map<String, Object> sharedJson(Shared shared) {
            SshmSpec spec = shared.spec();
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("id", spec.id());
            json.put("role", spec.role().toString());
            json.put("begin", Hex.of(spec.begin()));
            json.put("end", Hex.of(spec.end()));
            if (spec.role() == Role.BORROWER) {
                json.put("offset", Hex.of(spec.offset()));
                shared.owner().ifPresent(owner -> json.put("owner", owner));
                shared.ownerPages().ifPresent(pages -> json.put("ownerGfns", PlanReport.pagesJson(pages)));
                json.put("gfns", PlanReport.pagesJson(spec.pages()));
            }
            return json;
        }
    }
}
