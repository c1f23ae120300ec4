package org.xensshm.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.xensshm.testbed.DetachedTestBed;
import org.xensshm.testbed.DetachedTestBed.Domain;

import picocli.CommandLine.Command;

/** {@code testbed start|stop|status}: the user-space Xen as an environment that stays up. */
@Command(name = "testbed", header = "Run the user-space Xen as a long-lived test bed.",
        description = "A simulated hypervisor and a real xenstored that stay up between commands: after "
                + "'testbed start' the launcher points every command at them, until 'testbed stop'.",
        subcommands = {TestbedStartCommand.class, TestbedStopCommand.class, TestbedStatusCommand.class})
final class TestbedCommand extends CliCommand {

    /** Set by the launcher; the same default as the launcher's for a JVM started by hand. */
    static final String ENV_FILE_VARIABLE = "XEN_SSHM_TESTBED_ENV";

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return ExitStatus.OK;
    }

    static Path envFile() {
        String configured = System.getenv(ENV_FILE_VARIABLE);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        return Path.of(runtime == null || runtime.isBlank() ? "/tmp" : runtime, "xen-sshm-testbed.env");
    }

    /** What 'testbed status' and 'testbed start' print. */
    record BedReport(Path envFile, Optional<DetachedTestBed> bed, boolean alive, String headline) implements Report {

        static BedReport of(Path envFile, String running) {
            Optional<DetachedTestBed> bed = DetachedTestBed.read(envFile);
            boolean alive = bed.map(DetachedTestBed::alive).orElse(false);
            String headline = bed.isEmpty() ? "no test bed (no env file " + envFile + ")"
                    : alive ? running
                    : "stale test bed: its xenstored (pid " + bed.get().pid() + ") is gone; 'xen-sshm testbed stop'"
                    + " removes what is left";
            return new BedReport(envFile, bed, alive, headline);
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
                json.put("domains", b.domains().stream().map(BedReport::domainJson).toList());
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

    static List<Domain> defaultDomains() {
        return List.of(new Domain("vm1", 1), new Domain("vm2", 2), new Domain("vm3", 3));
    }
}
