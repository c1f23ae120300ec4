package org.xensshm.cli.output;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.xensshm.engine.SelfTestReport.MapSpaceFinding;
import org.xensshm.engine.SelfTestReport;
import org.xensshm.host.Errno;
import org.xensshm.host.HypervisorIdentity;
import org.xensshm.host.MapSpace;

/**
 * What the hypervisor self-test found, and what it means for attaching.
 *
 * @param cached whether the answer was kept from an earlier run in this boot
 */
public record SelfTestView(SelfTestReport report, boolean cached) implements View {

    @Override
    public String text() {
        StringBuilder out = new StringBuilder(report.identity().toString())
                .append(cached ? " (known since an earlier run in this boot)" : "").append("\n\n");
        Table table = new Table("MAP SPACE", "MAPS", "PAGE REFERENCE");
        for (MapSpaceFinding finding : report.mapSpaces()) {
            table.row(name(finding.space()), finding.maps() ? "yes" : "no (" + Errno.name(finding.errno()) + ")",
                    finding.holdsReference().map(held -> held ? "held" : "NOT held").orElse("-"));
        }
        out.append(table.render("  "))
                .append("  batched removals: ").append(report.batchedRemovals() ? "taken" : "refused").append("\n\n")
                .append(verdict()).append('\n');
        return out.toString();
    }

    private String verdict() {
        MapSpaceFinding share = report.finding(MapSpace.GMFN_SHARE).orElseThrow();
        if (!share.maps()) {
            return "gmfn_share is not offered here (" + Errno.name(share.errno()) + "): attach with --trust-borrower"
                    + " (gmfn_foreign, at its price) or use a Xen carrying the static shm series.";
        }
        if (report.shareFreesOwnerPages()) {
            return "gmfn_share holds NO page reference here: every detach or death of a borrower would free pages"
                    + " its owner still uses. attach refuses it; use a fixed hypervisor or --trust-borrower"
                    + " (or --allow-unreferenced-share on a host that never detaches or destroys a borrower).";
        }
        return "gmfn_share maps and keeps its page references: attach uses it.";
    }

    @Override
    public Object json() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ok", true);
        HypervisorIdentity identity = report.identity();
        Map<String, Object> hypervisor = new LinkedHashMap<>();
        hypervisor.put("version", identity.version());
        hypervisor.put("extraVersion", identity.extraVersion());
        hypervisor.put("changeset", identity.changeset().strip());
        hypervisor.put("buildId", identity.buildId());
        json.put("hypervisor", hypervisor);
        json.put("cached", cached);
        json.put("mapSpaces", report.mapSpaces().stream().map(finding -> {
            Map<String, Object> space = new LinkedHashMap<>();
            space.put("space", name(finding.space()));
            space.put("maps", finding.maps());
            if (!finding.maps()) {
                space.put("errno", Errno.name(finding.errno()));
            }
            finding.holdsReference().ifPresent(held -> space.put("holdsReference", held));
            return space;
        }).toList());
        json.put("batchedRemovals", report.batchedRemovals());
        json.put("shareFreesOwnerPages", report.shareFreesOwnerPages());
        return json;
    }

    private static String name(MapSpace space) {
        return space.name().toLowerCase(Locale.ROOT);
    }
}
