package org.xensshm.cli.output;

import java.io.PrintStream;

/**
 * Where a command's results and messages go: the result on stdout (text, or JSON with
 * {@code --json}), everything else on stderr, so that stdout stays parseable.
 */
public final class Output {

    private final PrintStream out;
    private final PrintStream err;
    private final boolean json;

    public Output(PrintStream out, PrintStream err, boolean json) {
        this.out = out;
        this.err = err;
        this.json = json;
    }

    public boolean json() {
        return json;
    }

    public PrintStream err() {
        return err;
    }

    public void report(View view) {
        out.print(json ? Json.write(view.json()) : view.text());
        out.flush();
    }

    /**
     * One event of a command that reports as it goes: its text line, or with --json its JSON on one
     * line (JSON Lines); flushed at once, for a log that follows it.
     */
    public void event(View view) {
        out.print(json ? Json.line(view.json()) : view.text());
        out.flush();
    }

    /** Progress for a person; silent with --json, where stdout holds only the result. */
    public void say(String line) {
        if (!json) {
            out.println(line);
            out.flush();
        }
    }

    public void warn(String line) {
        err.println("xen-sshm: warning: " + line);
    }
}
