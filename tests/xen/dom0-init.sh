#!/bin/sh
# /init of the Xen test bed's dom0: bring up Xen's userland, run the test
# script (/xlnv/test.sh), hand the guests' console logs to the serial
# console, power off.  The harness (xenbed.py) parses what it prints.
export PATH=/usr/lib/xen-4.17/bin:/usr/sbin:/usr/bin:/sbin:/bin
. /usr/lib/xlnv/guestlib.sh

xlnv_mount_basics
echo "XLNV-DOM0-INIT"
mount -t tmpfs run /var/run
mkdir -p /var/run/xen /var/run/xenstored /var/log/xen/console /var/lib/xen /etc/xen
touch /etc/xen/xl.conf          # defaults are fine; xl complains without it
xlnv_load_modules
mount -t xenfs xenfs /proc/xen
xenstored --pid-file /var/run/xenstored.pid
xen-init-dom0 >/tmp/xen-init-dom0.log 2>&1 || cat /tmp/xen-init-dom0.log
xenconsoled --log=guest --log-dir=/var/log/xen/console &
echo "XLNV-DOM0-READY"

[ -f /xlnv/params.sh ] && . /xlnv/params.sh
export XLNV_GUEST_ARGS="$(cat /xlnv/guest-args 2>/dev/null)"
xlnv_progress 30 &              # a hung guest shows where it hangs
progress=$!
rc=0
if [ -f /xlnv/test.sh ]; then
    sh /xlnv/test.sh
    rc=$?
fi

kill "$progress" 2>/dev/null
# Guests the script left running, and logs not handed over yet.
for name in $(xl list 2>/dev/null | awk 'NR > 2 { print $1 }'); do
    xl destroy "$name" 2>/dev/null
done
sleep 1                         # let xenconsoled write the last lines
for log in /var/log/xen/console/guest-*.log /tmp/*-serial.log; do
    [ -f "$log" ] || continue
    name=${log##*/}; name=${name#guest-}; name=${name%.log}; name=${name%-serial}
    xlnv_dump_guest_log "$name"
done
echo "XLNV-EXIT $rc"
poweroff -f
