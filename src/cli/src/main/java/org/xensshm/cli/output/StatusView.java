package org.xensshm.cli.output;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.xensshm.engine.MappingKind;
import org.xensshm.engine.RegionStatus.BorrowerStatus;
import org.xensshm.engine.RegionStatus;
import org.xensshm.spec.SshmSpec;

/** @param names each domain's label, e.g. {@code 2 (vm2)} */
public record StatusView(List<RegionStatus> regions, Map<String, String> unreadable, Map<Integer, String> names)
        implements View {

    @Override
    public String text() {
        StringBuilder out = new StringBuilder(regions.isEmpty() ? "no region is recorded in xenstore\n"
                : PlanView.count(regions.size(), "region") + " recorded in xenstore\n");
        if (!regions.isEmpty()) {
            Table table = new Table("REGION", "LAYOUT", "OWNER", "RANGE", "PAGES", "PROT", "CACHE POLICY", "USERS",
                    "BORROWERS", "STATE");
            regions.forEach(r -> table.row(r.id(), r.layout().label(), names.get(r.owner()), Hex.range(r.begin(), r.end()),
                    (r.end() - r.begin()) >>> SshmSpec.PAGE_SHIFT, r.prot(), r.cachePolicy(),
                    r.userCount() < 0 ? "?" : r.userCount(), r.borrowers().size(), state(r.state())));
            out.append('\n').append(table.render(""));
        }
        Table borrowers = new Table("BORROWER", "REGION", "RANGE", "OFFSET", "PAGES", "MAPPED WITH", "STATE");
        regions.forEach(r -> r.borrowers().forEach(b -> borrowers.row(names.get(b.domid()), r.id(),
                Hex.range(b.begin(), b.end()), Hex.of(b.offset()), (b.end() - b.begin()) >>> SshmSpec.PAGE_SHIFT,
                mapping(b.mapping()), state(b.state()))));
        if (!borrowers.isEmpty()) {
            out.append('\n').append(borrowers.render(""));
        }
        unreadable.forEach((region, reason) -> out.append("\nregion ").append(region)
                .append(": unreadable record: ").append(reason).append('\n'));
        return out.toString();
    }

    @Override
    public Object json() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ok", true);
        json.put("regions", regions.stream().map(StatusView::regionJson).toList());
        json.put("unreadable", new LinkedHashMap<String, Object>(unreadable));
        return json;
    }

    private static Map<String, Object> regionJson(RegionStatus region) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", region.id());
        json.put("layout", region.layout().label());
        json.put("owner", region.owner());
        region.ownerHandle().ifPresent(handle -> json.put("ownerHandle", handle.toString()));
        json.put("begin", Hex.of(region.begin()));
        json.put("end", Hex.of(region.end()));
        json.put("prot", region.prot().toString());
        json.put("cachePolicy", region.cachePolicy().configName());
        json.put("userCount", region.userCount());
        json.put("state", state(region.state()));
        json.put("borrowers", region.borrowers().stream().map(StatusView::borrowerJson).toList());
        return json;
    }

    private static Map<String, Object> borrowerJson(BorrowerStatus borrower) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("domid", borrower.domid());
        borrower.handle().ifPresent(handle -> json.put("handle", handle.toString()));
        json.put("begin", Hex.of(borrower.begin()));
        json.put("end", Hex.of(borrower.end()));
        json.put("offset", Hex.of(borrower.offset()));
        json.put("mapping", borrower.mapping().name().toLowerCase(Locale.ROOT));
        json.put("state", state(borrower.state()));
        return json;
    }

    /** How a borrower's pages were mapped; a trusted borrower's price is spelled out. */
    private static String mapping(MappingKind kind) {
        return switch (kind) {
            case SHARE -> "gmfn_share";
            case SHARE_UNREFERENCED -> "gmfn_share, NO page reference (frees the owner's pages at detach)";
            case FOREIGN -> "gmfn_foreign";
            case FOREIGN_TRUSTED -> "gmfn_foreign, trusted (owner is its target)";
            case UNKNOWN -> "? (another toolstack)";
        };
    }

    private static String state(Enum<?> state) {
        return state.name().toLowerCase(Locale.ROOT);
    }
}
