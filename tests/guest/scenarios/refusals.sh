# Refusals: NVDIMMs 0 ext4 without DAX (+ tmpfs), 1 XFS reflink=1 with DAX,
# 2 raw namespace, 3 sector namespace, 4 ext4-DAX (roots, symlink, mounted
# device, directory). Each: the specific error, exit 1, nothing changed.
. /xlnv/lib.sh

for i in 0 1 2 3 4; do
    r=$(region_of $i)
    eval R$i=$r
    result region.$i "$r"
done
for i in 0 1; do
    eval r=\$R$i
    ndctl create-namespace -f -e namespace$r.0 -m fsdax -a 2M >/dev/null 2>/tmp/nd.err ||
        result ndctl.$i.err "$(cat /tmp/nd.err)"
done
# As a Xen PV dom0 needs it: struct pages in RAM (-M mem), 4 KiB alignment.
ndctl create-namespace -f -e namespace$R4.0 -m fsdax -M mem -a 4K >/dev/null 2>/tmp/nd.err ||
    result ndctl.4.err "$(cat /tmp/nd.err)"
ndctl create-namespace -f -e namespace$R3.0 -m sector >/dev/null 2>/tmp/nd.err ||
    result ndctl.3.err "$(cat /tmp/nd.err)"

# --- a filesystem mounted without DAX ---
mkfs.ext4 -q -b 4096 -F /dev/pmem$R0
mkdir -p /mnt/nodax && mount -o dax=never /dev/pmem$R0 /mnt/nodax
printf 'precious' > /mnt/nodax/keep.img
result nodax.before "$(snap /mnt/nodax)"
cli nodax_new pmem-provision /mnt/nodax/new.img --size 16M --pmem-root /mnt/nodax
cli nodax_old pmem-provision /mnt/nodax/keep.img --size 16M --pmem-root /mnt/nodax
result nodax.after "$(snap /mnt/nodax)"

# --- tmpfs ---
mkdir -p /mnt/tmpfs && mount -t tmpfs t /mnt/tmpfs
printf 'precious' > /mnt/tmpfs/keep.img
result tmpfs.before "$(snap /mnt/tmpfs)"
cli tmpfs_new pmem-provision /mnt/tmpfs/new.img --size 16M --pmem-root /mnt/tmpfs
cli tmpfs_old pmem-provision /mnt/tmpfs/keep.img --size 16M --pmem-root /mnt/tmpfs
result tmpfs.after "$(snap /mnt/tmpfs)"

# --- a reflinked file on XFS ---
mkfs.xfs -q -f -m reflink=1 /dev/pmem$R1 >/dev/null
mkdir -p /mnt/rl
if mount -o dax /dev/pmem$R1 /mnt/rl 2>/tmp/mount.err; then
    result reflink.mount dax
else
    result reflink.mount "nodax: $(cat /tmp/mount.err)"
    mount /dev/pmem$R1 /mnt/rl
fi
dd if=/dev/urandom of=/mnt/rl/a.img bs=1M count=8 2>/dev/null
xfs_io -f -c "reflink /mnt/rl/a.img 0 0 8m" /mnt/rl/b.img >/dev/null 2>/tmp/rl.err ||
    result reflink.xfs_io "$(cat /tmp/rl.err)"
sync
result reflink.before "$(snap /mnt/rl)"
cli reflink pmem-provision /mnt/rl/b.img --size 8M --pmem-root /mnt/rl
cli reflink_ext pmem-extents /mnt/rl/b.img --pmem-root /mnt/rl
result reflink.after "$(snap /mnt/rl)"

# --- raw and sector namespaces ---
result raw.before "$(dd if=/dev/pmem$R2 bs=1M count=4 2>/dev/null | md5sum | cut -d' ' -f1)"
cli raw pmem-extents /dev/pmem$R2 --size 16M
cli raw_prov pmem-provision /dev/pmem$R2 --size 16M
result raw.after "$(dd if=/dev/pmem$R2 bs=1M count=4 2>/dev/null | md5sum | cut -d' ' -f1)"
cli sector pmem-extents /dev/pmem${R3}s --size 16M
mkfs.ext4 -q -b 4096 -F /dev/pmem${R3}s
mkdir -p /mnt/sect && mount /dev/pmem${R3}s /mnt/sect
result sector.before "$(snap /mnt/sect)"
cli sector_file pmem-provision /mnt/sect/s.img --size 8M --pmem-root /mnt/sect
result sector.after "$(snap /mnt/sect)"

# --- outside the roots, symlinks, directories, mounted devices ---
mkfs.ext4 -q -b 4096 -F /dev/pmem$R4
mkdir -p /mnt/dax && mount -o dax /dev/pmem$R4 /mnt/dax
$V pmem-provision /mnt/dax/real.img --size 8M >/dev/null 2>&1
ln -s real.img /mnt/dax/link.img
result dax.before "$(snap /mnt/dax)"
cli outside pmem-provision /mnt/dax/o.img --size 8M --pmem-root /mnt/other
cli outside_default pmem-provision /root/r.img --size 8M
result outside_default.exists "$(exists /root/r.img)"
cli symlink pmem-provision /mnt/dax/link.img --size 8M
cli directory pmem-extents /mnt/dax
cli mounted pmem-extents /dev/pmem$R4 --size 8M
cli proc pmem-extents /proc/cpuinfo --pmem-root /proc
result dax.after "$(snap /mnt/dax)"
cli real pmem-extents /mnt/dax/real.img --json
markers real /mnt/dax/real.img 0 $((1048576 + 7)) $((5 * 1048576 + 4093)) $((8 * 1048576 - 64))
sync
