package org.xensshm.cli.picture;

import java.util.Locale;

/** Just enough of SVG's XML to write a picture: elements with escaped attributes and text. */
final class Svg {

    private final StringBuilder body = new StringBuilder();

    /** Opens an element; {@code attributes} are name, value pairs, values escaped here. */
    Svg open(String element, Object... attributes) {
        start(element, attributes);
        body.append(">\n");
        return this;
    }

    Svg close(String element) {
        body.append("</").append(element).append(">\n");
        return this;
    }

    /** An empty element. */
    Svg leaf(String element, Object... attributes) {
        start(element, attributes);
        body.append("/>\n");
        return this;
    }

    /** An element holding text only. */
    Svg text(String element, String text, Object... attributes) {
        start(element, attributes);
        body.append('>').append(escape(text)).append("</").append(element).append(">\n");
        return this;
    }

    /** A hover text for the element just opened. */
    Svg title(String text) {
        return text("title", text);
    }

    String content() {
        return body.toString();
    }

    private void start(String element, Object... attributes) {
        if (attributes.length % 2 != 0) {
            throw new IllegalArgumentException("attributes come in name, value pairs: " + element);
        }
        body.append('<').append(element);
        for (int i = 0; i < attributes.length; i += 2) {
            body.append(' ').append(attributes[i]).append("=\"").append(escape(value(attributes[i + 1])))
                    .append('"');
        }
    }

    /** Coordinates with at most one decimal, never in a locale's notation. */
    static String value(Object value) {
        if (value instanceof Double number) {
            String text = String.format(Locale.ROOT, "%.1f", number);
            return text.endsWith(".0") ? text.substring(0, text.length() - 2) : text;
        }
        return String.valueOf(value);
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&apos;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
