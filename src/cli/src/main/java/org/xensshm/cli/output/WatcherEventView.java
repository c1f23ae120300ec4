package org.xensshm.cli.output;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.xensshm.engine.AttachReport;
import org.xensshm.watch.WatcherEvent;
import org.xensshm.watch.WatcherEvent.Attached;
import org.xensshm.watch.WatcherEvent.ConfigInvalid;
import org.xensshm.watch.WatcherEvent.ConnectionLost;
import org.xensshm.watch.WatcherEvent.Detached;
import org.xensshm.watch.WatcherEvent.Failed;
import org.xensshm.watch.WatcherEvent.Guest;
import org.xensshm.watch.WatcherEvent.Ignored;
import org.xensshm.watch.WatcherEvent.Reconciled;
import org.xensshm.watch.WatcherEvent.Refused;
import org.xensshm.watch.WatcherEvent.Stopped;
import org.xensshm.watch.WatcherEvent.Unpaused;
import org.xensshm.watch.WatcherEvent.Waiting;
import org.xensshm.watch.WatcherEvent.Watching;

/**
 * One event of {@code xen-sshm watch}: the watcher's own line, or a JSON object with the event's
 * kind ({@code attached}, {@code detached}, ...), the domain, the facts of the event and the same
 * line as {@code message}.
 */
public record WatcherEventView(WatcherEvent event) implements View {

    @Override
    public String text() {
        return event.describe() + "\n";
    }

    @Override
    public Object json() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("event", kind(event));
        switch (event) {
            case Reconciled r -> {
                json.put("actions", r.report().actions().size());
                json.put("failures", r.report().hasFailures());
            }
            case Watching w -> {
                json.put("configDir", w.configDirectory().toString());
                json.put("attached", w.attached());
            }
            case Attached a -> {
                guest(json, a.guest());
                json.put("regions", a.report().regions().stream().map(WatcherEventView::region).toList());
            }
            case Unpaused u -> guest(json, u.guest());
            case Waiting w -> guest(json, w.guest());
            case Refused r -> guest(json, r.guest());
            case Ignored i -> guest(json, i.guest());
            case ConfigInvalid c -> {
                guest(json, c.guest());
                json.put("config", c.config().toString());
                json.put("problems", c.problems());
            }
            case Failed f -> {
                f.guest().ifPresent(g -> guest(json, g));
                json.put("operation", f.operation());
            }
            case Detached d -> {
                guest(json, d.guest());
                json.put("regions", d.report().regions().stream().map(r -> {
                    Map<String, Object> region = new LinkedHashMap<>();
                    region.put("id", r.id());
                    region.put("role", r.role().toString());
                    region.put("outcome", r.outcome().name().toLowerCase(Locale.ROOT));
                    return region;
                }).toList());
                json.put("warnings", d.report().warnings());
            }
            case ConnectionLost _, Stopped _ -> {
            }
        }
        json.put("message", event.describe());
        return json;
    }

    /** {@code config_invalid} for {@link ConfigInvalid}, ... */
    static String kind(WatcherEvent event) {
        return event.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    private static void guest(Map<String, Object> json, Guest guest) {
        json.put("domid", guest.domid());
        guest.name().ifPresent(name -> json.put("name", name));
    }

    private static Map<String, Object> region(AttachReport.Region region) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", region.spec().id());
        json.put("role", region.spec().role().toString());
        json.put("pages", region.spec().pageCount());
        if (region instanceof AttachReport.Mapped mapped) {
            json.put("owner", mapped.owner());
        }
        return json;
    }
}
