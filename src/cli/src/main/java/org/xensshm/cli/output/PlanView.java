package org.xensshm.cli.output;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.xensshm.spec.PageRange;
import org.xensshm.spec.Plan;
import org.xensshm.spec.Platform;
import org.xensshm.spec.SshmSpec;

/**
 * A checked plan: each region with its owner, each borrower with the owner frames it maps, and
 * the order in which the domains must be created.
 */
public record PlanView(Plan plan, Platform platform) implements View {

    @Override
    public String text() {
        StringBuilder out = new StringBuilder();
        out.append(count(plan.regions().size(), "region")).append(" among ")
                .append(count(plan.domains().size(), "domain")).append(" (platform ")
                .append(platformName()).append(")\n");
        if (!plan.regions().isEmpty()) {
            out.append('\n').append(regions().render(""));
        }
        Table borrowers = borrowers();
        if (!borrowers.isEmpty()) {
            out.append('\n').append(borrowers.render(""));
        }
        out.append("\nCreation order: ").append(String.join(", ", plan.creationOrder()))
                .append(plan.regions().isEmpty() ? "\n" : " (owners before their borrowers)\n");
        return out.toString();
    }

    /** One row per region: who owns it and where, and who borrows it. */
    private Table regions() {
        Table table = new Table("REGION", "OWNER", "OWNER RANGE", "SIZE", "PROT", "CACHE POLICY", "BORROWERS");
        for (Plan.Region region : plan.regions()) {
            SshmSpec owner = region.ownerSpec();
            List<String> names = region.borrowers().stream().map(Plan.Borrower::domain).toList();
            table.row(region.id(), region.owner(), Hex.range(owner.begin(), owner.end()), Hex.of(owner.size()),
                    owner.prot(), owner.cachePolicy(), names.isEmpty() ? "-" : String.join(", ", names));
        }
        return table;
    }

    /** One row per borrowing: the owner's frames and the borrower's frames they appear at. */
    private Table borrowers() {
        Table table = new Table("BORROWER", "REGION", "ITS RANGE", "OFFSET", "OWNER GFNS", "", "ITS GFNS",
                "PAGES", "PROT");
        for (Plan.Region region : plan.regions()) {
            for (Plan.Borrower borrower : region.borrowers()) {
                SshmSpec spec = borrower.spec();
                table.row(borrower.domain(), region.id(), Hex.range(spec.begin(), spec.end()), Hex.of(spec.offset()),
                        borrower.ownerPages(), "->", borrower.pages(),
                        borrower.pages().count(), spec.prot());
            }
        }
        return table;
    }

    @Override
    public Object json() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ok", true);
        json.put("platform", platformName());
        json.put("creationOrder", plan.creationOrder());
        json.put("regions", plan.regions().stream().map(PlanView::regionJson).toList());
        return json;
    }

    private String platformName() {
        return platform.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static Map<String, Object> regionJson(Plan.Region region) {
        SshmSpec owner = region.ownerSpec();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", region.id());
        json.put("owner", region.owner());
        json.put("begin", Hex.of(owner.begin()));
        json.put("end", Hex.of(owner.end()));
        json.put("size", Hex.of(owner.size()));
        json.put("prot", owner.prot().toString());
        json.put("cachePolicy", owner.cachePolicy().configName());
        json.put("borrowers", region.borrowers().stream().map(PlanView::borrowerJson).toList());
        return json;
    }

    private static Map<String, Object> borrowerJson(Plan.Borrower borrower) {
        SshmSpec spec = borrower.spec();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("domain", borrower.domain());
        json.put("begin", Hex.of(spec.begin()));
        json.put("end", Hex.of(spec.end()));
        json.put("offset", Hex.of(spec.offset()));
        json.put("prot", spec.prot().toString());
        json.put("ownerGfns", pagesJson(borrower.ownerPages()));
        json.put("gfns", pagesJson(borrower.pages()));
        return json;
    }

    public static Map<String, Object> pagesJson(PageRange pages) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("first", Hex.of(pages.first()));
        json.put("end", Hex.of(pages.end()));
        json.put("count", pages.count());
        return json;
    }

    public static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
