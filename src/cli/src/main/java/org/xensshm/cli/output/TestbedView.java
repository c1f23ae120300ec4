package org.xensshm.cli.output;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.xensshm.testkit.testbed.DetachedTestBed.Domain;
import org.xensshm.testkit.testbed.DetachedTestBed;

/** What 'testbed status' and 'testbed start' print. */
public record TestbedView(Path envFile, Optional<DetachedTestBed> bed, boolean alive, String headline) implements View {

    public static TestbedView of(Path envFile, String running) {
        Optional<DetachedTestBed> bed = DetachedTestBed.read(envFile);
        boolean alive = bed.map(DetachedTestBed::alive).orElse(false);
        String headline = bed.isEmpty() ? "no test bed (no env file " + envFile + ")"
                : alive ? running
                : "stale test bed: its xenstored (pid " + bed.get().pid() + ") is gone; 'xen-sshm testbed stop'"
                + " removes what is left";
        return new TestbedView(envFile, bed, alive, headline);
    }

    @Override
    public String text() {
        StringBuilder out = new StringBuilder(headline).append('\n');
        bed.filter(b -> alive).ifPresent(b -> {
            out.append("  xenstored pid   ").append(b.pid()).append('\n')
                    .append("  socket          ").append(b.socket()).append('\n')
                    .append("  hypervisor      ").append(b.stateFile()).append('\n')
                    .append("  env file        ").append(envFile).append('\n');
            Table domains = new Table("DOMAIN", "DOMID");
            b.domains().forEach(d -> domains.row(d.name(), d.domid()));
            out.append('\n').append(domains.render("  "));
        });
        return out.toString();
    }

    @Override
    public Object json() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ok", true);
        json.put("envFile", envFile.toString());
        json.put("state", bed.isEmpty() ? "none" : alive ? "running" : "stale");
        bed.ifPresent(b -> {
            json.put("pid", b.pid());
            json.put("home", b.home().toString());
            json.put("socket", b.socket().toString());
            json.put("hypervisorState", b.stateFile().toString());
            json.put("domains", b.domains().stream().map(TestbedView::domainJson).toList());
        });
        return json;
    }

    private static Map<String, Object> domainJson(Domain domain) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", domain.name());
        json.put("domid", domain.domid());
        return json;
    }
}
