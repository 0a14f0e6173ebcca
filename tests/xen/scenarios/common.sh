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
