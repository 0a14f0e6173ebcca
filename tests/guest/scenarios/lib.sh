# Helpers for host-pmem test bed scenarios (busybox sh, in the guest).
# Results are console lines "RESULT key=value" the GoogleTest driver reads.

# This machine's own persistent memory: a machine without Xen would
# otherwise get the simulated host (virt-xen-nvdimm(1), CONNECTION URIS).
V="virt-xen-nvdimm -c xen:///system"

result() {                      # result KEY VALUE...
    local rkey=$1; shift
    echo "RESULT $rkey=$*"
}

# cli KEY ARGS...: run the CLI; report KEY.rc, KEY.out, KEY.err (one line each).
cli() {
    local ckey=$1 rc; shift
    $V "$@" >/tmp/cli.out 2>/tmp/cli.err
    rc=$?
    result "$ckey.rc" "$rc"
    result "$ckey.out" "$(tr '\n' ' ' < /tmp/cli.out)"
    result "$ckey.err" "$(tr '\n' ' ' < /tmp/cli.err)"
    return $rc
}

# markers KEY PATH OFFSET...: write a distinct marker at each backing offset
# through a shared mapping; report KEY.marker.N=OFFSET:TEXT.
markers() {
    local mkey=$1 path=$2 n=0 off text; shift 2
    for off in "$@"; do
        text="XLNV<$mkey#$n@$off>"
        if pmem-poke write "$path" "$off" "$text"; then
            result "$mkey.marker.$n" "$off:$text"
        else
            result "$mkey.marker.$n" "$off:POKE-FAILED"
        fi
        n=$((n + 1))
    done
}

# snap DIR: one checksum over names, sizes and contents (nothing changed?).
snap() {
    ( cd "$1" 2>/dev/null && ls -la | awk '{print $1, $5, $NF}' && md5sum * 2>/dev/null ) | md5sum | cut -d' ' -f1
}

exists() {
    [ -e "$1" ] && echo yes || echo no
}

le32() {                        # 4 little-endian bytes of $1
    local v=$1 s
    for s in 0 8 16 24; do
        printf "\\$(printf %03o $(( (v >> s) & 255 )))"
    done
}

# mbr_partition DEV START_SECTOR: one Linux partition from START to the end.
mbr_partition() {
    local dev=$1 start=$2 total
    total=$(cat /sys/class/block/${dev#/dev/}/size)
    { printf '\000\000\000\000\203\000\000\000'; le32 "$start"; le32 $((total - start)); } |
        dd of="$dev" bs=1 seek=446 conv=notrunc 2>/dev/null
    printf '\125\252' | dd of="$dev" bs=1 seek=510 conv=notrunc 2>/dev/null
    blockdev --rereadpt "$dev"
    sleep 0.2
}

# region_of INDEX: the region number of NVDIMM INDEX (QEMU places NVDIMM i
# at 0x100000000 + i * 0x80000000, tests/lib/beds.py); the kernel numbers
# regions in its own order.
region_of() {
    local want=$((0x100000000 + $1 * 0x80000000)) r res
    for r in /sys/bus/nd/devices/region*; do
        res=$(cat "$r/resource" 2>/dev/null) || continue
        if [ $((res)) -eq $want ]; then
            echo "${r##*/region}"
            return 0
        fi
    done
    echo "none"
    return 1
}
