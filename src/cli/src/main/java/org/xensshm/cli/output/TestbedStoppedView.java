package org.xensshm.cli.output;

import java.util.LinkedHashMap;
import java.util.Map;

/** @param stopped whether there was a bed, running or stale, to remove */
public record TestbedStoppedView(boolean stopped, String message) implements View {
    @Override
    public String text() {
        return message + "\n";
    }

    @Override
    public Object json() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ok", true);
        json.put("stopped", stopped);
        json.put("message", message);
        return json;
    }
}
