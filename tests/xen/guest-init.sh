#!/bin/sh
# /init of a test guest (PVH or HVM): run the role named by xlnv.role= on
# the kernel command line (/xlnv/roles/ROLE.sh), then power off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
. /usr/lib/xlnv/guestlib.sh
xlnv_mount_basics
role=$(xlnv_arg role none)
echo "XLNV-GUEST-INIT role=$role uptime=$(cut -d' ' -f1 /proc/uptime)"
if [ -f "/xlnv/roles/$role.sh" ]; then
    . "/xlnv/roles/$role.sh"
else
    xlnv_result role.missing "$role"
fi
echo "XLNV-GUEST-DONE uptime=$(cut -d' ' -f1 /proc/uptime)"
sync
poweroff -f
