#!/bin/sh
# run-driver.sh - /e2e/run.sh of the end-to-end tier's dom0 (EmulatedHosts puts it there): the
# driver's scenarios for the hypervisor this boot is on (E2E_KIND, from the kernel command line),
# in one JVM, with the library's jars and the driver's classes. The client compiler alone and the
# serial collector, as the launcher runs the command: under emulation the server compiler's
# threads cost more than the code they make saves.
exec java --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "/e2e/classes:/sshm/lib/*" \
    org.xensshm.e2e.dom0.Dom0Driver "${E2E_KIND:?E2E_KIND is not set on the dom0 command line}"
