# Shared by the dom0 scenarios: write an xl config for a test guest.
#   xlnv_guest_cfg NAME TYPE EXTRA [IOMEM] [KEY=VALUE lines...]
# TYPE is pvh or hvm; EXTRA goes to the guest kernel command line; IOMEM is
# "MFN,NR@GFN" (hex, without 0x).
xlnv_guest_cfg() {
    name=$1 type=$2 extra=$3 iomem=$4
    shift 4
    cfg=/tmp/$name.cfg
    {
        echo "name = \"$name\""
        echo "type = \"$type\""
        echo "kernel = \"/guest/vmlinuz\""
        echo "ramdisk = \"${XLNV_RAMDISK:-/guest/initrd}\""
        echo "memory = ${XLNV_GUEST_MEMORY_MIB:-160}"
        echo "vcpus = 1"
        echo "on_poweroff = \"destroy\""
        echo "on_crash = \"preserve\""
        if [ "$type" = hvm ]; then
            echo "extra = \"console=ttyS0 $XLNV_GUEST_ARGS $extra\""
            echo "serial = \"file:/tmp/$name-serial.log\""
            echo "vnc = 0"
            echo "sdl = 0"
            echo "vga = \"none\""
        else
            echo "extra = \"console=hvc0 $XLNV_GUEST_ARGS $extra\""
        fi
        [ -n "$iomem" ] && echo "iomem = [ \"$iomem\" ]"
        for line in "$@"; do echo "$line"; done
    } > "$cfg"
    echo "$cfg"
}

xlnv_hex() {                    # 0x1234 -> 1234 (xl.cfg iomem wants bare hex)
    printf '%x' "$(($1))"
}

# A devdax namespace over the whole region that starts at SPA, the way a
# PV dom0 can have one (-M mem -a 4K, see docs/testbeds.rst).  Reports
# PREFIX.region, .create_namespace, .dax, .dax_resource, .dax_size and
# sets $XLNV_DAX (e.g. dax2.0).
xlnv_make_devdax() {            # PREFIX SPA
    XLNV_DAX=
    region=
    for r in /sys/bus/nd/devices/region*; do
        [ $(($(cat "$r/resource"))) -eq $(($2)) ] && region=${r##*/}
    done
    xlnv_result "$1.region" "$region"
    [ -n "$region" ] || return 1
    ns=$(cd "/sys/bus/nd/devices/$region" && ls -d namespace*.0 | head -n 1)
    ndctl create-namespace -f -e "$ns" -m devdax -M mem -a 4K > "/tmp/$1-ns.json" 2>&1
    xlnv_result "$1.create_namespace" "$?"
    XLNV_DAX=$(sed -n 's/.*"chardev":"\([^"]*\)".*/\1/p' "/tmp/$1-ns.json" | head -n 1)
    xlnv_result "$1.dax" "$XLNV_DAX"
    xlnv_result "$1.dax_resource" "$(cat "/sys/bus/dax/devices/$XLNV_DAX/resource" 2>/dev/null)"
    xlnv_result "$1.dax_size" "$(cat "/sys/bus/dax/devices/$XLNV_DAX/size" 2>/dev/null)"
    [ -n "$XLNV_DAX" ]
}

# The project's CLI on the real host, its state under /tmp.  Domains that
# `xl create` started have no maxMemory: the default (4 TiB) would put the
# NVDIMM window above 4 TiB, beyond the 40 physical address bits a guest
# has under QEMU TCG (such an attach is refused); 1 GiB puts it at 37 GiB.
xlnv_cli() {
    [ -f /tmp/xlnv-cli.conf ] || printf '%s\n' '[hypervisor]' \
        'default_memory_slots = 4' 'default_max_memory_kib = 1048576' > /tmp/xlnv-cli.conf
    LIBXL_NVDIMM_CONFIG=/tmp/xlnv-cli.conf LIBXL_NVDIMM_STATE_DIR=/tmp/xlnv-state \
        virt-xen-nvdimm -c xen:///system "$@"
}

# `xl list` as "ID:NAME" pairs of the domains that run (or are paused):
# a guest that powered off stays listed by xl until destroyed (no
# monitoring process with `xl create -e`), `list` shows running domains.
xlnv_xl_list_running() {
    xl list | awk 'NR > 1 && $5 !~ /[sd]/ { print $2 ":" $1 }' | sort | tr '\n' ' '
}

xlnv_oneline() {                # FILE: its lines joined by " | "
    sed ':a;N;$!ba;s/\n/ | /g' "$1"
}

# Xen logs every memory mapping call of a domain ("memory_map:add: dN
# gfn=.. mfn=.. nr=.."): the hypervisor's own account of what was mapped.
# (Only what is still in Xen's 16 KiB console ring, and guest messages may
# be rate limited: counts are for the record, the line at GFN is checked.)
xlnv_report_xen_mappings() {    # PREFIX DOMID [GUEST_ADDRESS]
    xl dmesg | grep -E "memory_map:(add|remove): d$2 " | sed 's/.*memory_map:/memory_map:/' > /tmp/xen-map.log
    xlnv_result "$1.xen_map_calls" "$(grep -c add /tmp/xen-map.log):$(grep -c remove /tmp/xen-map.log)"
    [ -n "$3" ] && xlnv_result "$1.xen_map_at_base" \
        "$(grep "gfn=$(printf '%x' $(($3 >> 12))) " /tmp/xen-map.log | head -n 1)"
}

# `virt-xen-nvdimm -c xen:///system domxml-to-native xen-xl` of
# /tmp/NAME.xml into /tmp/NAME.cfg, with the facts as RESULT NAME_cli.*.
convert_domain() {              # NAME
    xlnv_cli domxml-to-native xen-xl "/tmp/$1.xml" > "/tmp/$1.cfg" 2> "/tmp/$1-cli.err"
    xlnv_result "$1_cli.rc" "$?"
    xlnv_result "$1_cli.stderr" "$(xlnv_oneline "/tmp/$1-cli.err")"
    sed "s/^/$1.cfg: /" "/tmp/$1.cfg"
    xlnv_result "$1_cli.iomem" "$(sed -n 's/^iomem = \[ \(.*\) \]$/\1/p' "/tmp/$1.cfg" | tr -d '"')"
    fw=$(sed -n 's/^acpi_firmware = "\(.*\)"$/\1/p' "/tmp/$1.cfg")
    xlnv_result "$1_cli.acpi_firmware" "$fw"
    [ -n "$fw" ] && xlnv_result "$1_cli.acpi_firmware_bytes" "$(wc -c < "$fw")"
}

xlnv_nvdimm_xml() {             # DAX KIB: one <memory model='nvdimm'> on /dev/DAX
    cat <<XML
<memory model='nvdimm' access='shared'>
  <source>
    <path>/dev/$1</path>
  </source>
  <target>
    <size unit='KiB'>$2</size>
  </target>
</memory>
XML
}
