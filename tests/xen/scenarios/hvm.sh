# dom0 scenario "hvm": guest pmem devices.
#  h1  HVM (hvmloader, qemu-system-xen, direct kernel boot) with an iomem
#      range and acpi_firmware = NFIT + SSDT: /dev/pmem0, marker.
#  p1  PVH with an iomem range and memmap=SIZE!ADDR (legacy e820 pmem).
#  p2  PVH with an iomem range and the NFIT + SSDT as ACPI table upgrades
#      in an uncompressed cpio in front of its initramfs.
# Parameters: /xlnv/params.sh, tables in /xlnv/acpi/, nonce on the command line.
. /usr/lib/xlnv/guestlib.sh
. /xlnv/scenarios/common.sh
. /xlnv/params.sh
nonce=$(xlnv_arg nonce 0)

# Guests start together (each keeps a vCPU of the outer machine busy) and
# are waited for at the end.
start_pmem_guest() {            # NAME TYPE MFN EXTRA [CFG LINES...]
    name=$1 type=$2 mfn=$3 extra=$4
    shift 4
    cfg=$(xlnv_guest_cfg "$name" "$type" \
        "xlnv.role=pmem xlnv.off=$PMEM_MARK_OFF xlnv.text=XLNV-$name-$nonce $extra" \
        "$(xlnv_hex "$mfn"),$(xlnv_hex "$PMEM_NR")@$(xlnv_hex "$GUEST_GFN")" "$@")
    xlnv_result "$name.dom0_free_kib" "$(awk '/MemAvailable/ { print $2 }' /proc/meminfo)"
    xlnv_start_guest "$name" "$cfg" && started="$started $name"
}
started=
start=$(xlnv_now)

# PVH guests first: their kernels are unpacked by xl in dom0, before the
# HVM device model takes its share of dom0.
case " $HVM_GUESTS " in *" p1 "*)
    start_pmem_guest p1 pvh "$P1_MFN" "memmap=$P1_MEMMAP" ;;
esac

case " $HVM_GUESTS " in *" p2 "*)
    # Linux reads table upgrades from kernel/firmware/acpi/*.aml in an
    # uncompressed cpio that comes first in the initrd.
    mkdir -p /tmp/acpi-upgrade/kernel/firmware/acpi
    cp /xlnv/acpi/nfit.aml /xlnv/acpi/ssdt.aml /tmp/acpi-upgrade/kernel/firmware/acpi/
    # Explicit order (NFIT before SSDT): one run with find's order saw
    # only the SSDT picked up.
    (cd /tmp/acpi-upgrade && printf '%s\n' kernel kernel/firmware kernel/firmware/acpi \
        kernel/firmware/acpi/nfit.aml kernel/firmware/acpi/ssdt.aml \
        | cpio -o -H newc 2>/dev/null) > /tmp/p2-initrd
    cat /guest/initrd >> /tmp/p2-initrd
    XLNV_RAMDISK=/tmp/p2-initrd start_pmem_guest p2 pvh "$P2_MFN" "" ;;
esac

case " $HVM_GUESTS " in *" h1 "*)
    start_pmem_guest h1 hvm "$H1_MFN" "" "acpi_firmware = \"/xlnv/acpi/acpi.bin\"" ;;
esac


for name in $started; do
    xlnv_wait_guest_end "$name" "$GUEST_TIMEOUT"
done
xlnv_result guests.seconds $(( $(xlnv_now) - start ))
exit 0
