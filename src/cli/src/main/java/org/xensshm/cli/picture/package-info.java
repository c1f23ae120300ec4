/**
 * Pictures of a host's static shared memory, drawn from the same configs {@code check} reads:
 * {@link org.xensshm.cli.picture.HostMap} works out what to show (each domain's guest-physical
 * map, the borrowers' mappings, the problems), {@link org.xensshm.cli.picture.SvgPicture} and
 * {@link org.xensshm.cli.picture.DotPicture} draw it as SVG and as a Graphviz graph. Plain text
 * output, no drawing library: the library modules know nothing of pictures.
 */
package org.xensshm.cli.picture;
