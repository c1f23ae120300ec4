package org.xensshm.cli.output;

/** What a command found or did, for a person ({@link #text()}) or a program ({@code --json}). */
public interface View {

    /** Lines for a terminal, each ending with a newline. */
    String text();

    /** The same facts as maps, lists, strings and numbers, for {@link Json}. */
    Object json();
}
