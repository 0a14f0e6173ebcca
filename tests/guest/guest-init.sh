#!/bin/sh
# /init of the host-pmem test bed guest: a plain Linux with emulated
# NVDIMMs. Loads the modules, runs the scenario (/xlnv/test.sh), powers off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp /run /mnt && mount -t tmpfs tmp /tmp
while read -r mod; do
    insmod "$mod" 2>/dev/null || echo "xlnv: insmod $mod failed"
done < /etc/modules.order
# Wait (up to ~10 s) for the NVDIMM regions to appear.
i=0
while [ $i -lt 100 ] && ! ls /sys/bus/nd/devices/region* >/dev/null 2>&1; do
    sleep 0.1; i=$((i + 1))
done
echo "XLNV-INIT"
sh /xlnv/test.sh 2>&1
echo "XLNV-EXIT $?"
echo "XLNV-DONE"
sync
poweroff -f
