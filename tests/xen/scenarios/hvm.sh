# dom0 scenario "hvm": guest pmem devices.
#  h1  HVM (hvmloader, qemu-system-xen, direct kernel boot) with an iomem
#      range and acpi_firmware = NFIT + SSDT: /dev/pmem0, marker.
#  p1  PVH with an iomem range and memmap=SIZE!ADDR (legacy e820 pmem).
#  p2  PVH with an iomem range and the NFIT + SSDT as ACPI table upgrades
#      in an uncompressed cpio in front of its initramfs.
#  h2  HVM from the project's `domxml-to-native xen-xl` output (devdax
#      namespace on NVDIMM 1): /dev/pmem0 at our base, marker.
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

# h2: the project end to end (issue 6): a libvirt domain XML with an
# NVDIMM on a devdax namespace of NVDIMM 1, turned into xl.cfg by
# `virt-xen-nvdimm -c xen:///system domxml-to-native xen-xl`, given to
# `xl create` unmodified.  Only the bed's console and display settings
# come on xl's command line (the converter leaves <serial>/<graphics> to
# libvirt): serial to a file, no VNC, no VGA.
case " $HVM_GUESTS " in *" h2 "*)
    if xlnv_make_devdax h2_cli "$NVDIMM1_SPA"; then
        cat > /tmp/h2.xml <<XML
<domain type='xen'>
  <name>h2</name>
  <uuid>6b1f0c52-3a4e-4e0b-9d43-7f5a2c1e8d90</uuid>
  <maxMemory slots='2' unit='KiB'>1048576</maxMemory>
  <memory unit='KiB'>$(( (${XLNV_GUEST_MEMORY_MIB:-160} << 10) + H2_NVDIMM_KIB ))</memory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='xenfv'>hvm</type>
    <kernel>/guest/vmlinuz</kernel>
    <initrd>/guest/initrd</initrd>
    <cmdline>console=ttyS0 $XLNV_GUEST_ARGS xlnv.role=pmem xlnv.off=$PMEM_MARK_OFF xlnv.text=XLNV-h2-$nonce</cmdline>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>preserve</on_crash>
  <devices>
    <memory model='nvdimm' access='shared'>
      <source>
        <path>/dev/$XLNV_DAX</path>
      </source>
      <target>
        <size unit='KiB'>$H2_NVDIMM_KIB</size>
      </target>
    </memory>
  </devices>
</domain>
XML
        xlnv_cli domxml-to-native xen-xl /tmp/h2.xml > /tmp/h2.cfg 2> /tmp/h2-cli.err
        xlnv_result h2_cli.rc "$?"
        xlnv_result h2_cli.stderr "$(xlnv_oneline /tmp/h2-cli.err)"
        sed 's/^/h2.cfg: /' /tmp/h2.cfg
        xlnv_result h2_cli.iomem "$(sed -n 's/^iomem = \[ \(.*\) \]$/\1/p' /tmp/h2.cfg | tr -d '"')"
        xlnv_result h2_cli.acpi_firmware "$(sed -n 's/^acpi_firmware = "\(.*\)"$/\1/p' /tmp/h2.cfg)"
        xlnv_result h2_cli.acpi_firmware_bytes "$(wc -c < "$(sed -n 's/^acpi_firmware = "\(.*\)"$/\1/p' /tmp/h2.cfg)")"
        xlnv_start_guest h2 /tmp/h2.cfg 'serial="file:/tmp/h2-serial.log"' 'vnc=0' 'vga="none"' &&
            started="$started h2"
    fi ;;
esac


for name in $started; do
    xlnv_wait_guest_end "$name" "$GUEST_TIMEOUT"
done
xlnv_result guests.seconds $(( $(xlnv_now) - start ))
exit 0
