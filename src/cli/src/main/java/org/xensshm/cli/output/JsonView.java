package org.xensshm.cli.output;

import java.util.Map;

/** The demo's text went out step by step; at the end only --json has something to add. */
public record JsonView(Map<String, Object> facts) implements View {
    @Override
    public String text() {
        return "";
    }

    @Override
    public Object json() {
        return facts;
    }
}
