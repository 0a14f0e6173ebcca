# dom0 scenario "smoke": dom0 facts, PVH guests with and without an iomem
# range over NVDIMM 0, live map/unmap into a running PVH guest, fsdax +
# ext4 -o dax + FIEMAP on NVDIMM 1.  Parameters: /xlnv/params.sh (written
# by the GoogleTest driver), the nonce from the dom0 command line.
. /usr/lib/xlnv/guestlib.sh
. /xlnv/scenarios/common.sh
. /xlnv/params.sh
nonce=$(xlnv_arg nonce 0)

# --- a. dom0 is up ----------------------------------------------------------
xl info > /tmp/xl-info 2>&1
xlnv_result xl_info.virt_caps "$(sed -n 's/^virt_caps *: *//p' /tmp/xl-info)"
xlnv_result xl_info.xen_version "$(sed -n 's/^xen_version *: *//p' /tmp/xl-info)"
xlnv_result xl_info.xen_caps "$(sed -n 's/^xen_caps *: *//p' /tmp/xl-info)"
xlnv_report_iomem dom0
xlnv_report_ndctl dom0
if [ -x /usr/bin/virt-xen-nvdimm ]; then
    xlnv_result cli.version "$(virt-xen-nvdimm --version 2>&1 | head -n 1)"
fi

# --- b + c. PVH guests, started together: each keeps a vCPU of the outer
# machine busy, which is what makes them finish sooner under emulation.
# g1: iomem range over NVDIMM 0 from creation; g2: no range;
# g3: no range until dom0 maps one while it runs, then removes it.
start=$(xlnv_now)
cfg=$(xlnv_guest_cfg g1 pvh \
    "xlnv.role=markers xlnv.nonce=$nonce xlnv.addrs=$MARK_ADDRS xlnv.read=$HOST_PATTERN_ADDR" \
    "$(xlnv_hex "$PVH_MFN"),$(xlnv_hex "$PVH_NR")@$(xlnv_hex "$GUEST_GFN")")
xlnv_start_guest g1 "$cfg"
cfg=$(xlnv_guest_cfg g2 pvh \
    "xlnv.role=probe xlnv.nonce=$nonce xlnv.addr=$PROBE_ADDR xlnv.index=$PROBE_INDEX" "")
xlnv_start_guest g2 "$cfg"
cfg=$(xlnv_guest_cfg g3 pvh \
    "xlnv.role=live xlnv.nonce=$nonce xlnv.addr=$LIVE_ADDR xlnv.read=$LIVE_READ xlnv.index=$LIVE_INDEX" "")
if xlnv_start_guest g3 "$cfg"; then
    domid=$(xl domid g3)
    if xlnv_dom0_xs_wait "$domid" data/xlnv-state ready "$GUEST_TIMEOUT"; then
        xen-map-helper map "$domid" "$LIVE_MFN" "$LIVE_NR" "$GUEST_GFN" | sed 's/helper\./live.map./'
        xenstore-write "/local/domain/$domid/data/xlnv-go" mapped
        xlnv_dom0_xs_wait "$domid" data/xlnv-state written "$GUEST_TIMEOUT" ||
            xlnv_result live.dom0 "guest did not write"
        xen-map-helper unmap "$domid" "$LIVE_MFN" "$LIVE_NR" "$GUEST_GFN" | sed 's/helper\./live.unmap./'
        xenstore-write "/local/domain/$domid/data/xlnv-go" unmapped
    else
        xlnv_result live.dom0 "guest not ready"
    fi
fi
for g in g1 g2 g3; do
    xlnv_wait_guest_end "$g" "$GUEST_TIMEOUT"
done
xlnv_result guests.seconds $(( $(xlnv_now) - start ))

# --- f. fsdax (-M mem -a 4K) + ext4 -o dax + FIEMAP on NVDIMM 1 -------------
region=
for r in /sys/bus/nd/devices/region*; do
    [ $(($(cat "$r/resource"))) -eq $((NVDIMM1_SPA)) ] && region=${r##*/}
done
xlnv_result fs.region "$region"
if [ -n "$region" ]; then
    ns=$(cd "/sys/bus/nd/devices/$region" && ls -d namespace*.0 | head -n 1)
    ndctl create-namespace -f -e "$ns" -m fsdax -M mem -a 4K > /tmp/ns.json 2>&1
    xlnv_result fs.create_namespace "$?"
    blk=$(sed -n 's/.*"blockdev":"\([^"]*\)".*/\1/p' /tmp/ns.json | head -n 1)
    xlnv_result fs.blockdev "$blk"
    for p in /sys/bus/nd/devices/pfn*; do
        [ "$(cat "$p/namespace" 2>/dev/null)" = "$ns" ] &&
            xlnv_result fs.pfn_resource "$(cat "$p/resource")"
    done
    xlnv_result fs.region_resource "$(cat "/sys/bus/nd/devices/$region/resource")"
    mkfs.ext4 -q -b 4096 -F "/dev/$blk" > /tmp/mkfs.log 2>&1
    xlnv_result fs.mkfs "$?"
    mkdir -p /mnt/pmem
    mount -t ext4 -o dax "/dev/$blk" /mnt/pmem
    xlnv_result fs.mount "$?"
    xlnv_result fs.mount_options "$(awk '$2 == "/mnt/pmem" { print $4 }' /proc/mounts)"
    dd if=/dev/zero of=/mnt/pmem/data bs=1M count="$FS_FILE_MIB" 2>/dev/null
    sync
    xlnv_write_dev_marker /mnt/pmem/data "$FS_MARK_OFF" "XLNV-FS-$nonce"
    xlnv_result fs.marker_readback "$(xlnv_read_dev /mnt/pmem/data "$FS_MARK_OFF" 18)"
    xlnv_result fs.block_size "$(stat -f -c %S /mnt/pmem)"
    # Extents as "logical_block:physical_block:length_blocks:flags".
    filefrag -v /mnt/pmem/data > /tmp/filefrag.log 2>&1
    awk '/^ *[0-9]+:/ { gsub(/\.\./, " "); gsub(/:/, " "); \
        print "RESULT fs.extent." $1 "=" $2 ":" $4 ":" $6 ":" $7 }' /tmp/filefrag.log
    umount /mnt/pmem
fi
exit 0
