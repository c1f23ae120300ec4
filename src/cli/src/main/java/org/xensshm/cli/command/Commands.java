package org.xensshm.cli.command;

import picocli.CommandLine;

/** The subcommands of {@code xen-sshm}, in the order its help lists them. */
public final class Commands {

    private Commands() {
    }

    /** Adds every subcommand to the root command line. */
    public static void register(CommandLine root) {
        root.addSubcommand(new CheckCommand())
                .addSubcommand(new AttachCommand())
                .addSubcommand(new DetachCommand())
                .addSubcommand(new StatusCommand())
                .addSubcommand(new ReconcileCommand())
                .addSubcommand(new WatchCommand())
                .addSubcommand(new SelftestCommand())
                .addSubcommand(new DtCommand())
                .addSubcommand(new Dom0lessCommand())
                .addSubcommand(new TestbedCommand())
                .addSubcommand(new DemoCommand())
                .addSubcommand(new CommandLine.HelpCommand());
    }
}
