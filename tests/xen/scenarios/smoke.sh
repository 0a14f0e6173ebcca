# dom0 scenario "smoke": dom0 facts, PVH guests with and without an iomem
# range over NVDIMM 0, live map/unmap into a running PVH guest, fsdax +
# ext4 -o dax + FIEMAP on NVDIMM 1.  Parameters: /xlnv/params.sh (written
# by the GoogleTest driver), the nonce from the dom0 command line.
. /usr/lib/xlnv/guestlib.sh
. /xlnv/scenarios/common.sh
. /xlnv/params.sh
nonce=$(xlnv_arg nonce 0)

# Issue 7 on real Xen: the project's CLI attaches an NVDIMM (the devdax
# namespace made earlier, $XLNV_DAX) to the running PVH guest g4 and
# detaches it again; the guest learns the guest address our layout chose
# through xenstore.  `list` is compared with `xl list` before and after.
cli_live_attach_detach() {
    xl domid g4 > /dev/null || { xlnv_result live_cli.dom0 "g4 not running"; return; }
    xlnv_cli list > /tmp/cli-list.txt 2>&1
    xlnv_result live_cli.list_rc "$?"
    xlnv_result live_cli.list "$(awk 'NR > 2 && NF >= 2 { print $1 ":" $2 }' /tmp/cli-list.txt | sort | tr '\n' ' ')"
    xlnv_result live_cli.xl_list "$(xlnv_xl_list_running)"
    if ! xlnv_wait_guest_ready g4 "$GUEST_TIMEOUT"; then
        xlnv_result live_cli.dom0 "guest not ready"
        return
    fi
    domid=$XLNV_DOMID
    cat > /tmp/g4-nvdimm.xml <<XML
<memory model='nvdimm' access='shared'>
  <source>
    <path>/dev/$XLNV_DAX</path>
  </source>
  <target>
    <size unit='KiB'>$CLI_LIVE_KIB</size>
  </target>
</memory>
XML
    # With the default limits (no <maxMemory>: 4 TiB) our layout would put
    # the window above 4 TiB, beyond the guest's physical address width
    # (40 bits under TCG): the attach must be refused before anything is
    # granted or mapped (Xen's log then shows the one mapping below only).
    printf '%s\n' '[hypervisor]' 'default_memory_slots = 4' > /tmp/xlnv-cli-4t.conf
    LIBXL_NVDIMM_CONFIG=/tmp/xlnv-cli-4t.conf LIBXL_NVDIMM_STATE_DIR=/tmp/xlnv-state \
        virt-xen-nvdimm -c xen:///system attach-device g4 /tmp/g4-nvdimm.xml --live \
        > /tmp/cli-attach-4t.txt 2>&1
    xlnv_result live_cli.attach_4t_rc "$?"
    xlnv_result live_cli.attach_4t_out "$(xlnv_oneline /tmp/cli-attach-4t.txt)"
    xlnv_report_xen_mappings live_cli.after_4t "$domid"
    xlnv_cli attach-device g4 /tmp/g4-nvdimm.xml --live > /tmp/cli-attach.txt 2>&1
    xlnv_result live_cli.attach_rc "$?"
    xlnv_result live_cli.attach_out "$(xlnv_oneline /tmp/cli-attach.txt)"
    xlnv_cli dumpxml g4 > /tmp/g4-live.xml 2>&1
    base=$(sed -n "s/.*<address type='dimm' slot='[0-9]*' base='\(0x[0-9a-f]*\)'.*/\1/p" /tmp/g4-live.xml | head -n 1)
    xlnv_result live_cli.base "$base"
    xlnv_result live_cli.alias "$(sed -n "s/.*<alias name='\([^']*\)'.*/\1/p" /tmp/g4-live.xml | head -n 1)"
    [ -n "$base" ] && xlnv_report_xen_mappings live_cli.attached "$domid" "$base"
    if [ -z "$base" ]; then
        xl destroy g4           # nothing mapped: the guest would wait in vain
        return
    fi
    xlnv_xs_write "/local/domain/$domid/data/xlnv-addr" "$(printf '0x%x' $((base + CLI_LIVE_OFF)))"
    xlnv_dom0_xs_tell live_cli.go_mapped "$domid" data/xlnv-go mapped \
        data/xlnv-state written "$GUEST_TIMEOUT" ||
        xlnv_result live_cli.dom0 "guest did not write"
    # Real Xen has no way to ask a guest to let go: refused without --force.
    xlnv_cli detach-device g4 /tmp/g4-nvdimm.xml --live > /tmp/cli-detach0.txt 2>&1
    xlnv_result live_cli.detach_unforced_rc "$?"
    xlnv_result live_cli.detach_unforced_out "$(xlnv_oneline /tmp/cli-detach0.txt)"
    xlnv_cli detach-device g4 /tmp/g4-nvdimm.xml --live --force > /tmp/cli-detach.txt 2>&1
    xlnv_result live_cli.detach_rc "$?"
    xlnv_result live_cli.detach_out "$(xlnv_oneline /tmp/cli-detach.txt)"
    xlnv_cli dumpxml g4 > /tmp/g4-after.xml 2>&1
    xlnv_result live_cli.nvdimms_after "$(grep -c "model='nvdimm'" /tmp/g4-after.xml)"
    xlnv_report_xen_mappings live_cli.detached "$domid"
    # Both listings while g4 still waits for the go-ahead: once told, it
    # checks the range and powers off, and the two would race its exit.
    xlnv_cli list > /tmp/cli-list2.txt 2>&1
    xlnv_result live_cli.list_after "$(awk 'NR > 2 && NF >= 2 { print $1 ":" $2 }' /tmp/cli-list2.txt | sort | tr '\n' ' ')"
    xlnv_result live_cli.xl_list_after "$(xlnv_xl_list_running)"
    xlnv_dom0_xs_tell live_cli.go_unmapped "$domid" data/xlnv-go unmapped \
        data/xlnv-state done "$GUEST_TIMEOUT" ||
        xlnv_result live_cli.dom0 "guest did not finish"
}

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
if [ -n "$CLI_LIVE" ] && [ -x /usr/bin/virt-xen-nvdimm ]; then
    # The devdax namespace first: creating it must not race the guests.
    xlnv_make_devdax live_cli "$NVDIMM2_SPA"
    cfg=$(xlnv_guest_cfg g4 pvh \
        "xlnv.role=live xlnv.nonce=$nonce xlnv.addr=xs xlnv.index=$CLI_LIVE_INDEX" "")
    xlnv_start_guest g4 "$cfg"
fi
cfg=$(xlnv_guest_cfg g3 pvh \
    "xlnv.role=live xlnv.nonce=$nonce xlnv.addr=$LIVE_ADDR xlnv.read=$LIVE_READ xlnv.index=$LIVE_INDEX" "")
if xlnv_start_guest g3 "$cfg"; then
    if xlnv_wait_guest_ready g3 "$GUEST_TIMEOUT"; then
        domid=$XLNV_DOMID
        xen-map-helper map "$domid" "$LIVE_MFN" "$LIVE_NR" "$GUEST_GFN" | sed 's/helper\./live.map./'
        xlnv_dom0_xs_tell live.go_mapped "$domid" data/xlnv-go mapped \
            data/xlnv-state written "$GUEST_TIMEOUT" ||
            xlnv_result live.dom0 "guest did not write"
        xen-map-helper unmap "$domid" "$LIVE_MFN" "$LIVE_NR" "$GUEST_GFN" | sed 's/helper\./live.unmap./'
        xlnv_dom0_xs_tell live.go_unmapped "$domid" data/xlnv-go unmapped \
            data/xlnv-state done "$GUEST_TIMEOUT" ||
            xlnv_result live.dom0 "guest did not finish"
    else
        xlnv_result live.dom0 "guest not ready"
    fi
fi
# --- d. the project's live engine on xen:///system (issue 7): g4 gets a
# devdax NVDIMM (namespace on NVDIMM 2) by `attach-device --live` while it
# runs; `detach-device --live --force` takes it away again.
if [ -n "$CLI_LIVE" ] && [ -x /usr/bin/virt-xen-nvdimm ]; then
    cli_live_attach_detach
fi
for g in g1 g2 g3 g4; do
    xl domid "$g" >/dev/null 2>&1 || continue
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
    if [ -n "$CLI_LIVE" ] && [ -x /usr/bin/virt-xen-nvdimm ]; then
        # The project's view of the same host (issue 4 on real Xen's dom0):
        # the namespaces libndctl reports, and the file's SPA extents.
        xlnv_cli pmem-list --json > /tmp/cli-pmem-list.json 2>&1
        xlnv_result cli_pmem.list_rc "$?"
        xlnv_result cli_pmem.list "$(tr '\n' ' ' < /tmp/cli-pmem-list.json)"
        xlnv_cli pmem-extents --json /mnt/pmem/data > /tmp/cli-extents.json 2>&1
        xlnv_result cli_pmem.extents_rc "$?"
        xlnv_result cli_pmem.extents "$(tr '\n' ' ' < /tmp/cli-extents.json)"
    fi
    # Extents as "logical_block:physical_block:length_blocks:flags".
    filefrag -v /mnt/pmem/data > /tmp/filefrag.log 2>&1
    awk '/^ *[0-9]+:/ { gsub(/\.\./, " "); gsub(/:/, " "); \
        print "RESULT fs.extent." $1 "=" $2 ":" $4 ":" $6 ":" $7 }' /tmp/filefrag.log
    umount /mnt/pmem
fi
exit 0
