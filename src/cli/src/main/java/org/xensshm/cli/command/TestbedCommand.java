package org.xensshm.cli.command;

import java.nio.file.Path;
import java.util.List;

import org.xensshm.testkit.testbed.DetachedTestBed.Domain;

import picocli.CommandLine.Command;

/** {@code testbed start|stop|status|create|destroy}: the user-space Xen as an environment that stays up. */
@Command(name = "testbed", header = "Run the user-space Xen as a long-lived test bed.",
        description = "A simulated hypervisor and a real xenstored that stay up between commands: after "
                + "'testbed start' the launcher points every command at them, until 'testbed stop'. "
                + "'testbed create' and 'testbed destroy' add and remove domains as xl does.",
        subcommands = {TestbedStartCommand.class, TestbedStopCommand.class, TestbedStatusCommand.class,
                TestbedCreateCommand.class, TestbedDestroyCommand.class})
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

    static List<Domain> defaultDomains() {
        return List.of(new Domain("vm1", 1), new Domain("vm2", 2), new Domain("vm3", 3));
    }
}
