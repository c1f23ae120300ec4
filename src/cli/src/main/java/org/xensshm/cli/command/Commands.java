package org.xensshm.cli.command;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import java.util.function.Supplier;

import picocli.CommandLine;

/** The subcommands of {@code xen-sshm}, in the order its help lists them. */
public final class Commands {

    /** Each subcommand by the name its {@code @Command} gives it. */
    private static final SequencedMap<String, Supplier<Object>> BY_NAME = byName();

    private Commands() {
    }

    private static SequencedMap<String, Supplier<Object>> byName() {
        SequencedMap<String, Supplier<Object>> commands = new LinkedHashMap<>();
        commands.put("check", CheckCommand::new);
        commands.put("attach", AttachCommand::new);
        commands.put("detach", DetachCommand::new);
        commands.put("status", StatusCommand::new);
        commands.put("reconcile", ReconcileCommand::new);
        commands.put("watch", WatchCommand::new);
        commands.put("selftest", SelftestCommand::new);
        commands.put("dt", DtCommand::new);
        commands.put("dom0less", Dom0lessCommand::new);
        commands.put("testbed", TestbedCommand::new);
        commands.put("demo", DemoCommand::new);
        commands.put("help", CommandLine.HelpCommand::new);
        return commands;
    }

    /** Every subcommand by name, in help order. */
    public static Map<String, Supplier<Object>> all() {
        return Collections.unmodifiableSequencedMap(BY_NAME);
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
            root.addSubcommand(named, BY_NAME.get(named).get());
            return;
        }
        BY_NAME.forEach((name, command) -> root.addSubcommand(name, command.get()));
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
                return BY_NAME.containsKey(argument) ? argument : null;
            }
        }
        return null;
    }
}
