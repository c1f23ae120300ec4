package org.xensshm.cli.output;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.xensshm.engine.DetachReport.Released;
import org.xensshm.engine.DetachReport;

/**
 * What a detach did, region by region; its warnings go to stderr, and into the JSON.
 *
 * @param domain the domain's label, e.g. {@code 2 (vm2)}
 */
public record DetachView(String domain, DetachReport report) implements View {

    @Override
    public String text() {
        if (report.regions().isEmpty()) {
            return "domain " + domain + ": no region to detach\n";
        }
        Table table = new Table("REGION", "ROLE", "OUTCOME");
        report.regions().forEach(region -> table.row(region.id(), region.role(), outcome(region)));
        return "domain " + domain + ": detached " + PlanView.count(report.regions().size(), "region") + "\n"
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
        json.put("warnings", report.warnings());
        return json;
    }

    private static String outcome(Released region) {
        return switch (region.outcome()) {
            case UNMAPPED -> "unmapped";
            case REMOVED -> "released; no borrower left, so its record is gone";
            case ORPHANED -> "released; borrowers still map it, so it stays (orphaned) until they detach";
            case DROPPED -> "dropped: the entry was an earlier domain's with the same domid; nothing unmapped";
        };
    }
}
