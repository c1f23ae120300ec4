/*
 * The one header jextract reads: the two Debian libxen-dev headers the project binds, plus
 * stdlib.h for free(), which releases the strings and arrays libxenstore hands back.
 * What gets generated from it is selected by headers/xen.jextract.
 */
#include <stdlib.h>
#include <xenctrl.h>
#include <xenstore.h>
