package org.xensshm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xensshm.cli.command.Commands;

import picocli.CommandLine.Command;

/** The command line itself: help everywhere, and one clear line with status 2 for a wrong one. */
class UsageTest {

    @ParameterizedTest
    @ValueSource(strings = {"check", "attach", "detach", "status", "reconcile", "dt", "dom0less", "testbed",
            "testbed start", "testbed stop", "testbed status", "demo"})
    void everyCommandHasHelp(String command) {
        List<String> arguments = new java.util.ArrayList<>(List.of(command.split(" ")));
        arguments.add("--help");

        Cli.Run run = Cli.java().run(arguments.toArray(String[]::new));

        assertEquals(0, run.status(), run.describe());
        assertTrue(run.out().contains("\nUsage: xen-sshm " + command + " "), run.describe());
        assertTrue(run.out().contains("--json"), "the global options are listed too:\n" + run.out());
        assertEquals("", run.err());
    }

    @Test
    void withoutACommandItListsThem() {
        Cli.Run run = Cli.java().run();

        assertEquals(0, run.status(), run.describe());
        for (String command : List.of("check", "attach", "detach", "status", "reconcile", "dt", "dom0less",
                "testbed", "demo")) {
            assertTrue(run.out().lines().anyMatch(line -> line.strip().startsWith(command + " ")),
                    command + " missing from\n" + run.out());
        }
    }

    /** The command line registers a subcommand by the name it is typed as; it must be the command's own. */
    @Test
    void eachCommandIsRegisteredUnderItsOwnName() {
        for (String name : Commands.names()) {
            Class<?> command = Commands.create(name).getClass();
            assertEquals(name, command.getAnnotation(Command.class).name(), command.getName());
        }
    }

    @Test
    void aCommandNamedAfterTheRootOptionsStillRuns() {
        Cli.Run run = Cli.java().run("--store-deadline", "5s", "--json", "check", "--help");

        assertEquals(0, run.status(), run.describe());
        assertTrue(run.out().contains("\nUsage: xen-sshm check "), run.describe());
    }

    @Test
    void reportsItsVersion() {
        Cli.Run run = Cli.java().run("--version");

        assertEquals(0, run.status(), run.describe());
        assertTrue(run.out().startsWith("xen-sshm "), run.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"frobnicate", "check", "check --platform ppc vm1.cfg", "attach vm1.cfg",
            "attach --domid two vm1.cfg", "attach --domid 1 --map-space grant vm1.cfg", "detach",
            "dom0less --host-base 4Q vm1.cfg", "testbed start --domain vm1", "status --id"})
    void aWrongCommandLineIsOneLineAndStatusTwo(String commandLine) {
        Cli.Run run = Cli.java().run(commandLine.split(" "));

        assertEquals(2, run.status(), run.describe());
        assertEquals("", run.out(), run.describe());
        assertEquals(1, run.errLines().size(), run.describe());
        assertTrue(run.err().startsWith("xen-sshm"), run.describe());
        assertTrue(run.err().contains("--help"), "points at the help: " + run.describe());
    }

    @ParameterizedTest
    @ValueSource(strings = {"attach --domid 32752 vm1.cfg", "detach --domid -1"})
    void aDomidOutsideXensRangeIsBadInput(String commandLine) {
        Cli.Run run = Cli.java().run(commandLine.split(" "));

        assertEquals(2, run.status(), run.describe());
        assertEquals(1, run.errLines().size(), run.describe());
        assertTrue(run.err().contains("is not a domain's id"), run.describe());
    }

    @Test
    void aWrongCommandLineIsAJsonFailureWithJson() {
        Cli.Run run = Cli.java().run("--json", "check");

        assertEquals(2, run.status(), run.describe());
        Map<String, Object> failure = JsonReader.object(run.out());
        assertEquals(false, failure.get("ok"));
        assertEquals(2L, failure.get("exitStatus"));
        assertEquals(run.errLines(), failure.get("errors"));
    }
}
