# Truth checks: NVDIMMs 0 devdax, 1 fsdax block device, 2 ext4-DAX,
# 3 XFS-DAX, 4 ext4-DAX on a partition. Markers written through mappings;
# the driver finds them in the outer backing files at SPA - NVDIMM base.
. /xlnv/lib.sh
MiB=1048576

# NVDIMM i is region R$i (the kernel numbers regions its own way).
for i in 0 1 2 3 4; do
    r=$(region_of $i)
    eval R$i=$r
    result region.$i "$r"
    mode=fsdax; [ $i = 0 ] && mode=devdax
    ndctl create-namespace -f -e namespace$r.0 -m $mode -a 2M >/dev/null 2>/tmp/nd.err ||
        result ndctl.$i.err "$(cat /tmp/nd.err)"
done

# --- devdax: the whole device, first SIZE bytes used ---
cli devdax pmem-extents /dev/dax$R0.0 --size 64M --json
markers devdax /dev/dax$R0.0 0 4097 $((33 * MiB + 5)) $((64 * MiB - 64))
cli devdax_small pmem-extents /dev/dax$R0.0 --size 1G

# --- fsdax block device: its data area ---
cli blk pmem-extents /dev/pmem$R1 --size 64M --json
markers blk /dev/pmem$R1 0 12345 $((40 * MiB + 3)) $((64 * MiB - 64))

# --- ext4 with DAX ---
mkfs.ext4 -q -b 4096 -E stride=512,stripe_width=512 -F /dev/pmem$R2
mkdir -p /mnt/ext4 && mount -o dax /dev/pmem$R2 /mnt/ext4 || result ext4.mount failed
cli ext4new.prov pmem-provision /mnt/ext4/new.img --size 32M --json
cli ext4new pmem-extents /mnt/ext4/new.img --json
markers ext4new /mnt/ext4/new.img 0 8191 $((17 * MiB + 1)) $((32 * MiB - 64))

# An existing file: unwritten ranges (fallocate), some data, shorter than the target.
fallocate -l 16M /mnt/ext4/old.img
printf 'KEEP-ME-ONE' | dd of=/mnt/ext4/old.img bs=1 seek=$((1 * MiB)) conv=notrunc 2>/dev/null
printf 'KEEP-ME-TWO' | dd of=/mnt/ext4/old.img bs=1 seek=$((9 * MiB + 5)) conv=notrunc 2>/dev/null
sync
cli ext4old.unprovisioned pmem-extents /mnt/ext4/old.img --size 16M
cli ext4old.prov pmem-provision /mnt/ext4/old.img --size 24M --json
result ext4old.keep1 "$(dd if=/mnt/ext4/old.img bs=1 skip=$((1 * MiB)) count=11 2>/dev/null)"
result ext4old.keep2 "$(dd if=/mnt/ext4/old.img bs=1 skip=$((9 * MiB + 5)) count=11 2>/dev/null)"
result ext4old.size "$(stat -c %s /mnt/ext4/old.img)"
cli ext4old pmem-extents /mnt/ext4/old.img --json
markers ext4old /mnt/ext4/old.img 4096 $((5 * MiB)) $((12 * MiB + 7)) $((20 * MiB + 9)) $((24 * MiB - 64))
result ext4old.keep1.after "$(dd if=/mnt/ext4/old.img bs=1 skip=$((1 * MiB)) count=11 2>/dev/null)"

# Not enough space: refused, and the half-made file is gone.
cli ext4enospc pmem-provision /mnt/ext4/huge.img --size 1G
result ext4enospc.exists "$(exists /mnt/ext4/huge.img)"

# --- XFS with DAX: one contiguous file, one fragmented on purpose ---
mkfs.xfs -q -f -d su=2m,sw=1,agcount=2 -l su=32k -m reflink=0 /dev/pmem$R3 >/dev/null
mkdir -p /mnt/xfs && mount -o dax /dev/pmem$R3 /mnt/xfs || result xfs.mount failed
cli xfsnew.prov pmem-provision /mnt/xfs/new.img --size 64M --json
cli xfsnew pmem-extents /mnt/xfs/new.img --json
markers xfsnew /mnt/xfs/new.img 0 $((2 * MiB + 1)) $((50 * MiB + 3)) $((64 * MiB - 64))
# Interleaved writes to two files, highest offset first, so no extent of
# frag.img continues the previous one.
i=15
while [ $i -ge 0 ]; do
    dd if=/dev/zero of=/mnt/xfs/frag.img bs=1M count=1 seek=$i conv=notrunc,fsync 2>/dev/null
    dd if=/dev/zero of=/mnt/xfs/other.img bs=1M count=1 seek=$i conv=notrunc,fsync 2>/dev/null
    i=$((i - 1))
done
cli xfsfrag.prov pmem-provision /mnt/xfs/frag.img --size 16M --json
cli xfsfrag pmem-extents /mnt/xfs/frag.img --json
markers xfsfrag /mnt/xfs/frag.img 0 $((1 * MiB + 4)) $((3 * MiB + 100)) $((6 * MiB)) $((8 * MiB - 11)) $((11 * MiB + 4095)) $((14 * MiB + 1)) $((16 * MiB - 64))

# --- ext4 with DAX on a partition starting 2 MiB into the device ---
mbr_partition /dev/pmem$R4 4096
result part.start "$(cat /sys/class/block/pmem${R4}p1/start 2>/dev/null)"
mkfs.ext4 -q -b 4096 -F /dev/pmem${R4}p1
mkdir -p /mnt/part && mount -o dax /dev/pmem${R4}p1 /mnt/part || result part.mount failed
cli part.prov pmem-provision /mnt/part/p.img --size 16M --json
cli part pmem-extents /mnt/part/p.img --json
markers part /mnt/part/p.img 0 $((3 * MiB + 3)) $((10 * MiB + 1)) $((16 * MiB - 64))

cli list pmem-list --json
sync
