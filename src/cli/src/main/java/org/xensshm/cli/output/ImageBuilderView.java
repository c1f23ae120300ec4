package org.xensshm.cli.output;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** ImageBuilder config lines for some domains: the lines themselves, or wrapped in JSON. */
public record ImageBuilderView(List<String> domains, String lines) implements View {

    @Override
    public String text() {
        return lines;
    }

    @Override
    public Object json() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ok", true);
        json.put("domains", domains);
        json.put("imagebuilder", lines);
        return json;
    }
}
