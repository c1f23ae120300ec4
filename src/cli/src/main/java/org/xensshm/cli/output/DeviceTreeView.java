package org.xensshm.cli.output;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Device-tree source for some domains: the .dts text itself, or wrapped in JSON. */
public record DeviceTreeView(List<String> domains, String dts) implements View {

    @Override
    public String text() {
        return dts;
    }

    @Override
    public Object json() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ok", true);
        json.put("domains", domains);
        json.put("dts", dts);
        return json;
    }
}
