#!/bin/sh
# /init of the NFIT/SSDT guest: Linux under QEMU that gets our ACPI tables
# through -acpitable. Loads the NVDIMM modules, reports what the kernel
# made of the tables, writes a marker into each /dev/pmemN, powers off.
# Report lines (parsed by nfit_guest_test.cc):
#   REGION <name> <resource> <size> <numa_node> <read_only>
#   IOMEM <line of /proc/iomem naming persistent memory>
#   PMEM <dev> <region> <size-bytes> <ro>
#   READ <dev> <first 16 bytes at MARK_OFFSET, as text>
#   WRITE <dev> <exit status of the marker write>
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
MARK_OFFSET_BLOCKS=291          # 0x123 blocks of 4 KiB = offset 0x123000
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
while read -r mod; do
    insmod "$mod" 2>/dev/null || echo "XLNV-INSMOD-FAILED $mod"
done < /etc/modules.order
# The nfit driver registers regions asynchronously; wait up to ~20 s.
i=0
while [ $i -lt 200 ]; do
    n=$(ls -d /sys/block/pmem* 2>/dev/null | wc -l)
    [ "$n" -ge "${XLNV_EXPECT_PMEM:-1}" ] && break
    sleep 0.1; i=$((i + 1))
done
echo "XLNV-BEGIN"
for r in /sys/bus/nd/devices/region*; do
    [ -e "$r/resource" ] || continue
    echo "REGION $(basename $r) $(cat $r/resource) $(cat $r/size) $(cat $r/numa_node) $(cat $r/read_only)"
done
grep -i "persistent memory" /proc/iomem | sed 's/^/IOMEM /'
for b in /sys/block/pmem*; do
    [ -e "$b" ] || continue
    dev=$(basename $b)
    ns=$(readlink -f $b/device)
    region=$(basename $(dirname $ns))
    echo "PMEM $dev $region $(( $(cat $b/size) * 512 )) $(cat $b/ro)"
    echo "READ $dev $(dd if=/dev/$dev bs=4096 skip=$MARK_OFFSET_BLOCKS count=1 2>/dev/null | head -c 16)"
    printf 'XLNV-MARK-%s' "$dev" > /tmp/mark
    dd if=/tmp/mark of=/dev/$dev bs=4096 seek=$MARK_OFFSET_BLOCKS conv=notrunc,fsync 2>/dev/null
    echo "WRITE $dev $?"
done
sync
echo "XLNV-END"
poweroff -f
