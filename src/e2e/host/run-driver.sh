#!/bin/sh
# run-driver.sh - /e2e/run.sh of the end-to-end tier's dom0 (EmulatedHosts puts it there): the
# driver's scenarios for the hypervisor this boot is on (E2E_KIND, from the kernel command line),
# in one JVM, with the library's jars and the driver's classes.
exec java --enable-native-access=ALL-UNNAMED -cp "/e2e/classes:/sshm/lib/*" \
    org.xensshm.e2e.dom0.Dom0Driver "${E2E_KIND:?E2E_KIND is not set on the dom0 command line}"
