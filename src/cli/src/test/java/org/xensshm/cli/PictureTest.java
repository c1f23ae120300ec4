package org.xensshm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathExpressionException;
import javax.xml.xpath.XPathFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xensshm.spec.ArmGuestLayout;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * {@code check --svg} and {@code --dot}: the pictures are read back as XML (what is drawn, and
 * where), rendered by the real renderers (librsvg, Graphviz), and the rendered pixels looked at
 * where a problem must show in red.
 */
class PictureTest {

    /** Where the README's picture and its configs live, and the command that makes the picture. */
    static final Path DOCS = Cli.ROOT.resolve("docs");
    static final String DOCS_COMMAND = "cd docs/example && ../../xen-sshm check --svg ../host-map.svg"
            + " --dot ../host-map.dot vm1.cfg vm2.cfg vm3.cfg";

    @TempDir
    Path dir;

    @Test
    void drawsTheExampleAsThePlanSays() {
        Examples.write(dir);

        Cli.Run run = Cli.java().in(dir).run("--json", "check", "--svg", "map.svg", "--dot", "map.dot",
                "vm1.cfg", "vm2.cfg", "vm3.cfg");

        assertEquals(0, run.status(), run.describe());
        Map<String, Object> plan = JsonReader.object(run.out());
        Document svg = xml(dir.resolve("map.svg"));
        assertEquals(List.of("vm1", "vm2", "vm3"), attributes(svg, "//g[@class='column']", "data-domain"));
        int borrowings = 0;
        for (Object region : (List<?>) plan.get("regions")) {
            Map<?, ?> owner = (Map<?, ?>) region;
            Element band = only(svg, "//g[@data-domain='" + owner.get("owner") + "']//g[@class='band owner' and @data-id='"
                    + owner.get("id") + "']");
            assertEquals(owner.get("begin"), band.getAttribute("data-begin"));
            assertEquals(owner.get("end"), band.getAttribute("data-end"));
            for (Object borrowing : (List<?>) owner.get("borrowers")) {
                Map<?, ?> borrower = (Map<?, ?>) borrowing;
                Map<?, ?> ownerGfns = (Map<?, ?>) borrower.get("ownerGfns");
                Element arrow = only(svg, "//g[@class='arrow' and @data-from='" + borrower.get("domain") + "' and @data-id='"
                        + owner.get("id") + "']");
                assertEquals(owner.get("owner"), arrow.getAttribute("data-to"));
                assertEquals(borrower.get("offset"), arrow.getAttribute("data-offset"));
                assertEquals(borrower.get("begin"), arrow.getAttribute("data-window-begin"));
                assertEquals(borrower.get("end"), arrow.getAttribute("data-window-end"));
                assertEquals(pageAddress(ownerGfns.get("first")), arrow.getAttribute("data-target-begin"));
                assertEquals(pageAddress(ownerGfns.get("end")), arrow.getAttribute("data-target-end"));
                assertTrue(text(arrow).contains(owner.get("id") + " offset " + borrower.get("offset")), text(arrow));
                borrowings++;
            }
        }
        assertEquals(2, borrowings);
        assertEquals(borrowings, elements(svg, "//g[contains(@class, 'arrow')]").size());
        List<String> fixed = ArmGuestLayout.FIXED.stream().map(ArmGuestLayout.Area::name).toList();
        for (String domain : List.of("vm1", "vm2", "vm3")) {
            assertEquals(fixed.stream().sorted().toList(), attributes(svg, "//g[@data-domain='" + domain
                    + "']//g[@class='band xen']", "data-name").stream().sorted().toList(), domain);
            // The configs give no memory: where RAM starts is drawn, not how far it goes.
            assertEquals(1, elements(svg, "//g[@data-domain='" + domain + "']//line[@class='ram-start']").size());
        }
        assertTrue(elements(svg, "//g[contains(@class, 'mark')]").isEmpty(), "nothing to mark in the example");
        assertEquals("The check passed: no problems.", text(only(svg, "//text[@class='verdict']")));
        assertFalse(elements(svg, "//line[@class='axis to-scale']").isEmpty(), "the shared regions are drawn to scale");
        assertTrue(text(only(svg, "//text[@class='scale']")).matches("to scale: 1 MiB = \\d+ px"));
        assertTrue(String.join(" ", texts(svg, "//text[@class='scale-note']")).contains("logarithm"),
                "the picture says how it is scaled");

        BufferedImage png = Renderers.png(dir.resolve("map.svg"), dir.resolve("map.png"));
        assertEquals(Math.round(number(svg.getDocumentElement(), "width")), png.getWidth());
        assertEquals(Math.round(number(svg.getDocumentElement(), "height")), png.getHeight());
        // The owner's region is filled green near its bottom, below its text.
        Element region = only(svg, "//g[@data-domain='vm1']//g[@class='band owner' and @data-id='ID1']/rect");
        int fill = png.getRGB((int) (number(region, "x") + 30), (int) (number(region, "y") + number(region, "height") - 4));
        assertColour(0xd5ecd4, fill, "vm1's region ID1");
    }

    @Test
    void marksAnOverlapInRedWhereItIs() {
        Examples.write(dir);
        Examples.write(dir, "vm2", "name = \"vm2\"\n"
                + "static_shm = [ \"id=ID1, begin=0x500000, size=0x100000, role=borrower\",\n"
                + "               \"id=ID3, begin=0x580000, size=0x100000, role=owner\" ]\n");

        Cli.Run run = Cli.java().in(dir).run("check", "--svg", "map.svg", "vm1.cfg", "vm2.cfg", "vm3.cfg");

        assertEquals(2, run.status(), run.describe());
        assertEquals(1, run.errLines().size(), run.describe());
        String problem = run.errLines().getFirst();
        assertTrue(problem.startsWith("vm2.cfg:3: domain vm2, static_shm[1] (id ID3), begin: "), problem);
        Document svg = xml(dir.resolve("map.svg"));
        Element mark = only(svg, "//g[@class='mark error']");
        assertEquals("vm2", mark.getAttribute("data-domain"));
        assertEquals("0x580000", mark.getAttribute("data-begin"));
        assertEquals("0x600000", mark.getAttribute("data-end"));
        Element band = only(svg, "//g[@data-domain='vm2']//g[@data-spec='1']");
        assertEquals("band owner error", band.getAttribute("class"));
        assertEquals("1", only(band, ".//g[@class='badge error']").getAttribute("data-notes"));
        assertEquals("1  " + problem, text(only(svg, "//text[@class='note error']")));
        assertTrue(text(only(svg, "//text[@class='verdict']")).startsWith("The check failed (1 problem)"));
        // The other region of the domain is still drawn, and the borrowing still shown.
        only(svg, "//g[@data-domain='vm2']//g[@class='band borrower' and @data-spec='0']");
        only(svg, "//g[@class='arrow' and @data-from='vm2']");

        BufferedImage png = Renderers.png(dir.resolve("map.svg"), dir.resolve("map.png"));
        Element bar = only(mark, "rect");
        int pixel = png.getRGB((int) (number(bar, "x") + number(bar, "width") / 2),
                (int) (number(bar, "y") + number(bar, "height") / 2));
        assertColour(0xd62728, pixel, "the overlap's mark");
    }

    @Test
    void marksAWindowPastItsOwnersRegionInTheOwnersColumn() {
        Examples.write(dir);
        Examples.write(dir, "vm3", "name = \"vm3\"\n"
                + "static_shm = [ \"id=ID2, offset=0x80000, begin=0x690000, size=0xf0000\" ]\n");

        Cli.Run run = Cli.java().in(dir).run("check", "--svg", "map.svg", "vm1.cfg", "vm2.cfg", "vm3.cfg");

        assertEquals(2, run.status(), run.describe());
        Document svg = xml(dir.resolve("map.svg"));
        Element arrow = only(svg, "//g[@class='arrow error']");
        assertEquals("vm3", arrow.getAttribute("data-from"));
        assertEquals("0x380000", arrow.getAttribute("data-target-begin"));
        assertEquals("0x470000", arrow.getAttribute("data-target-end"));
        Element mark = only(svg, "//g[@class='mark error']");
        assertEquals(List.of("vm1", "0x400000", "0x470000"), List.of(mark.getAttribute("data-domain"),
                mark.getAttribute("data-begin"), mark.getAttribute("data-end")));
        assertEquals("band borrower error", only(svg, "//g[@data-domain='vm3']//g[@data-spec='0']").getAttribute("class"));

        BufferedImage png = Renderers.png(dir.resolve("map.svg"), dir.resolve("map.png"));
        Element bar = only(mark, "rect");
        assertColour(0xd62728, png.getRGB((int) (number(bar, "x") + number(bar, "width") / 2),
                (int) (number(bar, "y") + number(bar, "height") / 2)), "the part past the region's end");
    }

    @Test
    void drawsRamFromTheConfigsMemoryAndMarksAWindowOverIt() {
        Examples.write(dir);
        // 512 MiB of RAM from 1 GiB; the window lands in it, where Xen would silently replace the RAM page.
        Examples.write(dir, "vm2", "name = \"vm2\"\nmemory = 512\n"
                + "static_shm = [ \"id=ID1, begin=0x50000000, size=0x100000, role=borrower\" ]\n");

        // The check refuses such a window, and the picture shows where it lies.
        Cli.Run run = Cli.java().in(dir).run("check", "--svg", "map.svg", "vm1.cfg", "vm2.cfg", "vm3.cfg");

        assertEquals(2, run.status(), run.describe());
        Document svg = xml(dir.resolve("map.svg"));
        Element ram = only(svg, "//g[@data-domain='vm2']//g[@class='band ram']");
        assertEquals(List.of("0x40000000", "0x60000000"), List.of(ram.getAttribute("data-begin"),
                ram.getAttribute("data-end")));
        assertTrue(text(svg.getDocumentElement()).contains("memory = 512 MiB"));
        Element mark = only(svg, "//g[@class='mark error']");
        assertEquals(List.of("vm2", "0x50000000", "0x50100000"), List.of(mark.getAttribute("data-domain"),
                mark.getAttribute("data-begin"), mark.getAttribute("data-end")));
        assertTrue(texts(svg, "//text[@class='note error']").stream().anyMatch(note -> note.contains("overlaps RAM (bank 0)")),
                texts(svg, "//text[@class='note error']").toString());

        BufferedImage png = Renderers.png(dir.resolve("map.svg"), dir.resolve("map.png"));
        Element bar = only(mark, "rect");
        assertColour(0xd62728, png.getRGB((int) (number(bar, "x") + number(bar, "width") / 2),
                (int) (number(bar, "y") + number(bar, "height") / 2)), "the window over RAM");
    }

    @Test
    void theGraphvizDrawingHasADomainPerConfigAndAnEdgePerBorrowing() {
        Examples.write(dir);

        Cli.Run run = Cli.java().in(dir).run("check", "--dot", "map.dot", "vm1.cfg", "vm2.cfg", "vm3.cfg");

        assertEquals(0, run.status(), run.describe());
        Document graph = parse(Renderers.dotToSvg(dir.resolve("map.dot")));
        assertEquals(List.of("d0", "d1", "d2"), texts(graph, "//g[@class='node']/title"));
        List<String> edges = texts(graph, "//g[@class='edge']/title").stream().filter(title -> title.contains(":")).toList();
        // Graphviz names an edge by its nodes and compass points: from the borrower's west side to the owner's east.
        assertEquals(List.of("d1:w->d0:e", "d2:w->d0:e"), edges);
        List<String> texts = texts(graph, "//text");
        assertTrue(texts.containsAll(List.of("vm1", "vm2", "vm3", "ID1 offset 0x0", "ID2 offset 0x10000",
                "The check passed: no problems.")), texts.toString());
    }

    @Test
    void theGraphvizDrawingOfABrokenSetListsTheProblems() {
        Examples.write(dir);
        Examples.write(dir, "vm3", "name = \"vm3\"\n"
                + "static_shm = [ \"id=ID2, offset=0x80000, begin=0x690000, size=0xf0000\" ]\n");

        Cli.Run run = Cli.java().in(dir).run("check", "--dot", "map.dot", "vm1.cfg", "vm2.cfg", "vm3.cfg");

        assertEquals(2, run.status(), run.describe());
        // Graphviz keeps runs of spaces as no-break spaces.
        List<String> texts = texts(parse(Renderers.dotToSvg(dir.resolve("map.dot"))), "//text").stream()
                .map(text -> text.replace('\u00a0', ' ')).toList();
        assertTrue(texts.contains("The check failed (1 problem):"), texts.toString());
        assertTrue(texts.contains("1  " + run.errLines().getFirst()), texts.toString());
        assertTrue(texts.contains("error"), "the part past the region is marked: " + texts);
    }

    @Test
    void aPictureThatCannotBeWrittenIsBadInput() {
        Examples.write(dir);

        Cli.Run run = Cli.java().in(dir).run("check", "--svg", "no/such/dir/map.svg", "vm1.cfg", "vm2.cfg", "vm3.cfg");

        assertEquals(2, run.status(), run.describe());
        assertEquals(1, run.errLines().size(), run.describe());
        assertTrue(run.errLines().getFirst().startsWith("xen-sshm: cannot write no/such/dir/map.svg: "), run.describe());
    }

    @Test
    void theReadmesPictureIsCurrent() throws IOException {
        for (String domain : Examples.DOMAINS) {
            assertEquals(Examples.text(domain), Files.readString(DOCS.resolve("example").resolve(domain + ".cfg")),
                    "docs/example/" + domain + ".cfg must be the demo's config");
        }

        Cli.Run run = Cli.java().in(DOCS.resolve("example")).run("check", "--svg", dir.resolve("map.svg").toString(),
                "--dot", dir.resolve("map.dot").toString(), "vm1.cfg", "vm2.cfg", "vm3.cfg");

        assertEquals(0, run.status(), run.describe());
        String stale = "docs/host-map.* are stale; remake them: " + DOCS_COMMAND;
        assertEquals(Files.readString(dir.resolve("map.svg")), Files.readString(DOCS.resolve("host-map.svg")), stale);
        assertEquals(Files.readString(dir.resolve("map.dot")), Files.readString(DOCS.resolve("host-map.dot")), stale);
        assertTrue(Files.readString(Cli.ROOT.resolve("README.md")).contains(DOCS_COMMAND),
                "the README names the command that makes its picture");
    }

    private static String pageAddress(Object frame) {
        return "0x" + Long.toHexString(Long.decode((String) frame) << 12);
    }

    /** Each channel within a few steps of the colour: anti-aliasing and text stay off these spots. */
    private static void assertColour(int expected, int actual, String what) {
        for (int shift : new int[] {16, 8, 0}) {
            int want = (expected >> shift) & 0xff;
            int got = (actual >> shift) & 0xff;
            assertTrue(Math.abs(want - got) <= 12, what + ": expected #" + Integer.toHexString(expected)
                    + ", the picture has #" + Integer.toHexString(actual & 0xffffff));
        }
    }

    private static Document xml(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Strict XML: a picture that is not well-formed fails here, before any renderer sees it. */
    private static Document parse(String text) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            // Graphviz's SVG names its DTD; nothing is fetched.
            factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            return factory.newDocumentBuilder().parse(new InputSource(new StringReader(text)));
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new AssertionError("not well-formed XML: " + e.getMessage(), e);
        }
    }

    private static List<Element> elements(Object context, String path) {
        try {
            NodeList nodes = (NodeList) XPathFactory.newInstance().newXPath().evaluate(path, context, XPathConstants.NODESET);
            List<Element> elements = new ArrayList<>();
            for (int i = 0; i < nodes.getLength(); i++) {
                elements.add((Element) nodes.item(i));
            }
            return elements;
        } catch (XPathExpressionException e) {
            throw new IllegalArgumentException(path, e);
        }
    }

    private static Element only(Object context, String path) {
        List<Element> found = elements(context, path);
        assertEquals(1, found.size(), "exactly one " + path);
        return found.getFirst();
    }

    private static List<String> attributes(Document document, String path, String attribute) {
        return elements(document, path).stream().map(element -> element.getAttribute(attribute)).toList();
    }

    private static List<String> texts(Document document, String path) {
        return elements(document, path).stream().map(PictureTest::text).toList();
    }

    private static String text(Element element) {
        return element.getTextContent().strip();
    }

    private static double number(Element element, String attribute) {
        return Double.parseDouble(element.getAttribute(attribute));
    }
}
