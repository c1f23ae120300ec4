package org.xensshm.cli.command;

import org.xensshm.cli.output.Output;

/** What every subcommand takes from the root command: where and how to print. */
public interface GlobalOptions {

    Output output();
}
