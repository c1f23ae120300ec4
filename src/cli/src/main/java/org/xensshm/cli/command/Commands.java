package org.xensshm.cli.command;

import java.util.List;

import picocli.CommandLine;

/** The subcommands of {@code xen-sshm}, in the order its help lists them. */
public final class Commands {

    /** Each subcommand by the name its {@code @Command} gives it, in help order. */
    private static final List<String> NAMES = List.of("check", "attach", "detach", "status", "reconcile", "watch",
            "selftest", "dt", "dom0less", "testbed", "demo", "help");

    private Commands() {
    }

    /** The names of every subcommand, in help order. */
    public static List<String> names() {
        return NAMES;
    }

    /**
     * A new instance of the named subcommand. A switch rather than a table of constructor
     * references: the launcher's AOT cache is made from a run of this code, and the JDK 25 cache
     * writer fails on lambdas kept in a static field (archiveHeapWriter "Metadata should have
     * been archived").
     */
    public static Object create(String name) {
        return switch (name) {
            case "check" -> new CheckCommand();
            case "attach" -> new AttachCommand();
            case "detach" -> new DetachCommand();
            case "status" -> new StatusCommand();
            case "reconcile" -> new ReconcileCommand();
            case "watch" -> new WatchCommand();
            case "selftest" -> new SelftestCommand();
            case "dt" -> new DtCommand();
            case "dom0less" -> new Dom0lessCommand();
            case "testbed" -> new TestbedCommand();
            case "demo" -> new DemoCommand();
            case "help" -> new CommandLine.HelpCommand();
            default -> throw new IllegalArgumentException("no subcommand " + name);
        };
    }

    /**
     * Adds the subcommands to the root command line. When the arguments name one (other than
     * {@code help}), only that one: picocli builds each command's model by reflection when it is
     * added, a good part of a short command's start-up. Help, the bare usage and a mistyped
     * name get them all, so the usage and the suggestions list every command.
     */
    public static void register(CommandLine root, String[] arguments) {
        String named = commandNamed(arguments);
        if (named != null && !named.equals("help")) {
            root.addSubcommand(named, create(named));
            return;
        }
        for (String name : NAMES) {
            root.addSubcommand(name, create(name));
        }
    }

    /**
     * The first argument that is not an option (nor the value of the root's one option that
     * takes a value), when it names a subcommand; else null.
     */
    private static String commandNamed(String[] arguments) {
        for (int i = 0; i < arguments.length; i++) {
            String argument = arguments[i];
            if (argument.equals("--store-deadline")) {
                i++;
            } else if (!argument.startsWith("-")) {
                return NAMES.contains(argument) ? argument : null;
            }
        }
        return null;
    }
}
