package org.xensshm.cli.output;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;

import org.xensshm.engine.ReconcileReport.Action;
import org.xensshm.engine.ReconcileReport.AttachUndone;
import org.xensshm.engine.ReconcileReport.CountRepaired;
import org.xensshm.engine.ReconcileReport.DetachFinished;
import org.xensshm.engine.ReconcileReport.DomainGone;
import org.xensshm.engine.ReconcileReport.DomainReplaced;
import org.xensshm.engine.ReconcileReport.Failed;
import org.xensshm.engine.ReconcileReport.Skipped;
import org.xensshm.engine.ReconcileReport;

public record ReconcileView(ReconcileReport report) implements View {

    @Override
    public String text() {
        if (report.isEmpty()) {
            return "nothing to reconcile: every record is consistent\n";
        }
        Table table = new Table("REGION", "DOMAIN", "ACTION");
        report.actions().forEach(action -> table.row(action.regionId(), domain(action), describe(action)));
        return PlanView.count(report.actions().size(), "action") + "\n" + table.render("  ");
    }

    @Override
    public Object json() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ok", !report.hasFailures());
        json.put("actions", report.actions().stream().map(action -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("kind", action.getClass().getSimpleName());
            entry.put("id", action.regionId());
            domid(action).ifPresent(domid -> entry.put("domid", domid));
            entry.put("description", describe(action));
            return entry;
        }).toList());
        return json;
    }

    private static OptionalInt domid(Action action) {
        return switch (action) {
            case AttachUndone a -> OptionalInt.of(a.domid());
            case DetachFinished d -> OptionalInt.of(d.domid());
            case DomainGone g -> OptionalInt.of(g.domid());
            case DomainReplaced r -> OptionalInt.of(r.domid());
            case Skipped s -> s.domid() < 0 ? OptionalInt.empty() : OptionalInt.of(s.domid());
            case Failed f -> f.error().domid();
            case CountRepaired _ -> OptionalInt.empty();
        };
    }

    private static String domain(Action action) {
        OptionalInt domid = domid(action);
        return domid.isPresent() ? Integer.toString(domid.getAsInt()) : "-";
    }

    private static String describe(Action action) {
        return switch (action) {
            case AttachUndone a -> "undid the interrupted attach of this " + a.role();
            case DetachFinished _ -> "finished the interrupted detach of this borrower";
            case DomainGone g -> "dropped this " + g.role() + ": the domain no longer exists";
            case DomainReplaced r -> "dropped this " + r.role() + ": its domid now belongs to another domain"
                    + " (the handle changed), whose pages were left alone";
            case CountRepaired c -> "repaired usercnt: was '" + c.was() + "', now " + c.now();
            case Skipped s -> "left alone: " + s.reason();
            case Failed f -> "could not finish: " + f.error().getMessage();
        };
    }
}
