# dom0 scenario "hvm": guest pmem devices.
#  h1  HVM (hvmloader, qemu-system-xen, direct kernel boot) with an iomem
#      range and acpi_firmware = NFIT + SSDT: /dev/pmem0, marker.
#  p1  PVH with an iomem range and memmap=SIZE!ADDR (legacy e820 pmem).
#  p2  PVH with an iomem range and the NFIT + SSDT as ACPI table upgrades
#      in an uncompressed cpio in front of its initramfs.
#  h2  HVM from the project's `domxml-to-native xen-xl` output (devdax
#      namespace on NVDIMM 1): /dev/pmem0 at our base, marker.
#  p3  PVH from the project's output (devdax namespace on NVDIMM 2) with
#      the project's table-upgrade cpio in front of its initramfs.
# Parameters: /xlnv/params.sh, tables in /xlnv/acpi/, nonce on the command line.
. /usr/lib/xlnv/guestlib.sh
. /xlnv/scenarios/common.sh
. /xlnv/params.sh
nonce=$(xlnv_arg nonce 0)

# A PVH or HVM guest over a slice of NVDIMM 0 (iomem range at GUEST_GFN).
start_pmem_guest() {            # NAME TYPE MFN EXTRA [CFG LINES...]
    name=$1 type=$2 mfn=$3 extra=$4
    shift 4
    cfg=$(xlnv_guest_cfg "$name" "$type" \
        "xlnv.role=pmem xlnv.off=$PMEM_MARK_OFF xlnv.text=XLNV-$name-$nonce $extra" \
        "$(xlnv_hex "$mfn"),$(xlnv_hex "$PMEM_NR")@$(xlnv_hex "$GUEST_GFN")" "$@")
    xlnv_result "$name.dom0_free_kib" "$(awk '/MemAvailable/ { print $2 }' /proc/meminfo)"
    xlnv_start_guest "$name" "$cfg" && started="$started $name"
}

# A libvirt domain XML for the project's converter, with one NVDIMM of
# KIB on /dev/$XLNV_DAX.  The bed's console, display and kernel command
# line come in as arguments.
write_domain_xml() {            # NAME UUID OS_TYPE MACHINE KIB CMDLINE INITRD FEATURES
    cat <<XML
<domain type='xen'>
  <name>$1</name>
  <uuid>$2</uuid>
  <maxMemory slots='2' unit='KiB'>1048576</maxMemory>
  <memory unit='KiB'>$(( (${XLNV_GUEST_MEMORY_MIB:-160} << 10) + $5 ))</memory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='$4'>$3</type>
    <kernel>/guest/vmlinuz</kernel>
    <initrd>$7</initrd>
    <cmdline>$6</cmdline>
  </os>
  $8
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>preserve</on_crash>
  <devices>
    <memory model='nvdimm' access='shared'>
      <source>
        <path>/dev/$XLNV_DAX</path>
      </source>
      <target>
        <size unit='KiB'>$5</size>
      </target>
    </memory>
  </devices>
</domain>
XML
}

# --- First everything that changes dom0's view of the NVDIMMs, while no
# guest runs (guest crashes were seen while dom0 made a namespace).

# p2: Linux reads table upgrades from kernel/firmware/acpi/*.aml in an
# uncompressed cpio that comes first in the initrd.  Explicit order (NFIT
# before SSDT): one run with find's order saw only the SSDT picked up.
case " $HVM_GUESTS " in *" p2 "*)
    mkdir -p /tmp/acpi-upgrade/kernel/firmware/acpi
    cp /xlnv/acpi/nfit.aml /xlnv/acpi/ssdt.aml /tmp/acpi-upgrade/kernel/firmware/acpi/
    (cd /tmp/acpi-upgrade && printf '%s\n' kernel kernel/firmware kernel/firmware/acpi \
        kernel/firmware/acpi/nfit.aml kernel/firmware/acpi/ssdt.aml \
        | cpio -o -H newc 2>/dev/null) > /tmp/p2-initrd
    cat /guest/initrd >> /tmp/p2-initrd ;;
esac

# h2: the project end to end (issue 6): a libvirt domain XML with an
# NVDIMM on a devdax namespace of NVDIMM 1, turned into xl.cfg by our
# converter, given to `xl create` unmodified.  Only the bed's console and
# display settings come on xl's command line (the converter leaves
# <serial>/<graphics> to libvirt): serial to a file, no VNC, no VGA.
h2_ready=
case " $HVM_GUESTS " in *" h2 "*)
    if xlnv_make_devdax h2_cli "$NVDIMM1_SPA"; then
        write_domain_xml h2 6b1f0c52-3a4e-4e0b-9d43-7f5a2c1e8d90 hvm xenfv "$H2_NVDIMM_KIB" \
            "console=ttyS0 $XLNV_GUEST_ARGS xlnv.role=pmem xlnv.off=$PMEM_MARK_OFF xlnv.text=XLNV-h2-$nonce" \
            /guest/initrd '<features><acpi/><apic/></features>' > /tmp/h2.xml
        convert_domain h2
        h2_ready=1
    fi ;;
esac

# p3: the PVH route with the project's own pieces: a xenpvh domain XML
# with an NVDIMM on a devdax namespace of NVDIMM 2; the converter's
# xl.cfg as it is, and its table-upgrade cpio (our NFIT + SSDT) in front
# of the guest's initrd.
p3_ready=
case " $HVM_GUESTS " in *" p3 "*)
    if xlnv_make_devdax p3_cli "$NVDIMM2_SPA"; then
        cp /guest/initrd /tmp/p3-initrd
        write_domain_xml p3 0d6c3e1a-58b2-4f6e-a1c7-2e9b4d7f3a15 xenpvh xenpvh "$P3_NVDIMM_KIB" \
            "console=hvc0 $XLNV_GUEST_ARGS xlnv.role=pmem xlnv.off=$PMEM_MARK_OFF xlnv.text=XLNV-p3-$nonce" \
            /tmp/p3-initrd '' > /tmp/p3.xml
        convert_domain p3
        upgrade=/tmp/xlnv-state/domains/p3/nvdimm-acpi-upgrade.cpio
        xlnv_result p3_cli.upgrade_cpio_bytes "$(wc -c < "$upgrade" 2>/dev/null || echo 0)"
        cat "$upgrade" /guest/initrd > /tmp/p3-initrd && p3_ready=1
    fi ;;
esac

# --- Then the guests, started together (each keeps a vCPU of the outer
# machine busy) and waited for at the end.  PVH guests first: their
# kernels are unpacked by xl in dom0, before the HVM device model takes
# its share of dom0.
started=
start=$(xlnv_now)
case " $HVM_GUESTS " in *" p1 "*)
    start_pmem_guest p1 pvh "$P1_MFN" "memmap=$P1_MEMMAP" ;;
esac
case " $HVM_GUESTS " in *" p2 "*)
    XLNV_RAMDISK=/tmp/p2-initrd start_pmem_guest p2 pvh "$P2_MFN" "" ;;
esac
[ -n "$p3_ready" ] && xlnv_start_guest p3 /tmp/p3.cfg && started="$started p3"
case " $HVM_GUESTS " in *" h1 "*)
    start_pmem_guest h1 hvm "$H1_MFN" "" "acpi_firmware = \"/xlnv/acpi/acpi.bin\"" ;;
esac
[ -n "$h2_ready" ] && xlnv_start_guest h2 /tmp/h2.cfg 'serial="file:/tmp/h2-serial.log"' \
    'vnc=0' 'vga="none"' && started="$started h2"

for name in $started; do
    xlnv_wait_guest_end "$name" "$GUEST_TIMEOUT"
done
xlnv_result guests.seconds $(( $(xlnv_now) - start ))
exit 0
