package org.xensshm.cli;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.xensshm.engine.DetachReport;
import org.xensshm.engine.DetachReport.Released;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Tears down a domain's regions. */
@Command(name = "detach", header = "Tear down a domain's regions.",
        description = "Unmaps what the domain borrows and releases what it owns; a region whose borrowers still "
                + "map it stays, orphaned, until they detach too. Also finishes an interrupted attach or "
                + "detach of the domain.")
final class DetachCommand extends CliCommand {

    @Option(names = "--domid", required = true, paramLabel = "N", description = "The domain's id.")
    int domid;

    @Override
    public Integer call() {
        checkDomid(domid);
        try (NativeHost host = NativeHost.open()) {
            String label = host.label(domid);
            output().report(new Detached(label, host.engine().detach(domid)));
        }
        return ExitStatus.OK;
    }

    record Detached(String domain, DetachReport report) implements Report {

        @Override
        public String text() {
            if (report.regions().isEmpty()) {
                return "domain " + domain + ": no region to detach\n";
            }
            Table table = new Table("REGION", "ROLE", "OUTCOME");
            report.regions().forEach(region -> table.row(region.id(), region.role(), outcome(region)));
            return "domain " + domain + ": detached " + PlanReport.count(report.regions().size(), "region") + "\n"
                    + table.render("  ");
        }

        @Override
        public Object json() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("ok", true);
            json.put("domid", report.domid());
            json.put("regions", report.regions().stream().map(region -> {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("id", region.id());
                entry.put("role", region.role().toString());
                entry.put("outcome", region.outcome().name().toLowerCase(Locale.ROOT));
                return entry;
            }).toList());
            return json;
        }

        private static String outcome(Released region) {
            return switch (region.outcome()) {
                case UNMAPPED -> "unmapped";
                case REMOVED -> "released; no borrower left, so its record is gone";
                case ORPHANED -> "released; borrowers still map it, so it stays (orphaned) until they detach";
            };
        }
    }
}
