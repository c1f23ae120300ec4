package org.xensshm.cli.output;

import java.util.LinkedHashMap;
import java.util.Map;

import org.xensshm.engine.AttachReport;
import org.xensshm.spec.SshmSpec;

/**
 * What an attach did, from the engine's own report.
 *
 * @param domain the domain's label, e.g. {@code 2 (vm2)}
 */
public record AttachView(String domain, AttachReport report) implements View {

    @Override
    public String text() {
        StringBuilder out = new StringBuilder("domain " + domain + ": attached "
                + PlanView.count(report.regions().size(), "region") + "\n");
        if (report.regions().isEmpty()) {
            return out.toString();
        }
        Table table = new Table("REGION", "ROLE", "RANGE", "PAGES", "MAPPING");
        for (AttachReport.Region region : report.regions()) {
            SshmSpec spec = region.spec();
            table.row(spec.id(), spec.role(), Hex.range(spec.begin(), spec.end()), spec.pageCount(),
                    switch (region) {
                        case AttachReport.Offered _ -> "offered to borrowers";
                        case AttachReport.Mapped mapped -> "maps domain " + mapped.owner() + "'s gfns "
                                + mapped.ownerPages() + " at its gfns " + spec.pages();
                    });
        }
        return out.append(table.render("  ")).toString();
    }

    @Override
    public Object json() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ok", true);
        json.put("domid", report.domid());
        json.put("mapSpace", report.mapSpace().name().toLowerCase(java.util.Locale.ROOT));
        json.put("pagesMapped", report.pagesMapped());
        json.put("regions", report.regions().stream().map(AttachView::regionJson).toList());
        return json;
    }

    private static Map<String, Object> regionJson(AttachReport.Region region) {
        SshmSpec spec = region.spec();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", spec.id());
        json.put("role", spec.role().toString());
        json.put("begin", Hex.of(spec.begin()));
        json.put("end", Hex.of(spec.end()));
        if (region instanceof AttachReport.Mapped mapped) {
            json.put("offset", Hex.of(spec.offset()));
            json.put("owner", mapped.owner());
            json.put("ownerGfns", PlanView.pagesJson(mapped.ownerPages()));
            json.put("gfns", PlanView.pagesJson(spec.pages()));
        }
        return json;
    }
}
