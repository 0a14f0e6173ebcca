# dom0 scenario "hotplug" (issue 14): NVDIMMs hot-added to running HVM
# guests by the project's CLI, seen by the guests' own kernels.
#  hn  HVM with xen_nopv (the GED's IRQ through the emulated IOAPIC),
#      created by `xl` from our domxml-to-native output with one NVDIMM
#      (devdax on outer NVDIMM 0); then `attach-device --live` of a
#      second (NVDIMM 1) and a third (NVDIMM 2); the third is then
#      force-detached while the guest watches it.
#  hp  PVHVM (Linux takes the GSI as an HVM pirq, an event channel),
#      created the same way with ZERO NVDIMMs, only <maxMemory slots>;
#      then its first NVDIMM (NVDIMM 3) is hot-added.
# The guests run roles/hotplug.sh: a watcher only.  dom0 and the guests
# talk through the guests' serial console files (a xen_nopv guest has no
# xenstore).  Parameters: /xlnv/params.sh; nonce on the command line.
. /usr/lib/xlnv/guestlib.sh
. /xlnv/scenarios/common.sh
. /xlnv/params.sh
nonce=$(xlnv_arg nonce 0)

uptime_s() { cut -d' ' -f1 /proc/uptime; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# A libvirt domain XML: HVM, <maxMemory slots>, NVDIMMs on the devdax
# devices named (none: a domain that may only get them later).
hotplug_domain_xml() {          # NAME UUID CMDLINE DAX...
    name=$1 uuid=$2 cmdline=$3
    shift 3
    kib=$(( $# * HP_NVDIMM_KIB ))
    echo "<domain type='xen'>"
    echo "  <name>$name</name>"
    echo "  <uuid>$uuid</uuid>"
    echo "  <maxMemory slots='$HP_SLOTS' unit='KiB'>1048576</maxMemory>"
    echo "  <memory unit='KiB'>$(( (${XLNV_GUEST_MEMORY_MIB:-160} << 10) + kib ))</memory>"
    echo "  <vcpu placement='static'>1</vcpu>"
    echo "  <os>"
    echo "    <type arch='x86_64' machine='xenfv'>hvm</type>"
    echo "    <kernel>/guest/vmlinuz</kernel>"
    echo "    <initrd>/guest/initrd</initrd>"
    echo "    <cmdline>$cmdline</cmdline>"
    echo "  </os>"
    echo "  <features><acpi/><apic/></features>"
    echo "  <on_poweroff>destroy</on_poweroff>"
    echo "  <on_reboot>destroy</on_reboot>"
    echo "  <on_crash>preserve</on_crash>"
    echo "  <devices>"
    for dax in "$@"; do xlnv_nvdimm_xml "$dax" "$HP_NVDIMM_KIB"; done
    echo "  </devices>"
    echo "</domain>"
}


# The guest's console (serial to a file) says LINE: wait for it.
wait_console() {                # NAME PATTERN TIMEOUT_S
    end=$(( $(xlnv_now) + $3 ))
    while [ "$(xlnv_now)" -lt "$end" ]; do
        grep -qs "$2" "/tmp/$1-serial.log" && return 0
        case "$(xlnv_domain_state "$1")" in *c*|*s*|gone) return 1 ;; esac
        sleep 0.1
    done
    return 1
}

# Devdax namespaces (whole regions) as backings, made while no guest runs.
dax_of() {                      # PREFIX SPA: sets DAX_<PREFIX>
    if xlnv_make_devdax "$1" "$2"; then
        eval "DAX_$1=\$XLNV_DAX"
    fi
}
dax_of nv0 "$NVDIMM0_SPA"
dax_of nv1 "$NVDIMM1_SPA"
dax_of nv2 "$NVDIMM2_SPA"
dax_of nv3 "$NVDIMM3_SPA"

args="console=ttyS0 $XLNV_GUEST_ARGS xlnv.role=hotplug xlnv.off=$PMEM_MARK_OFF"
hn_ready= hp_ready=
if [ -n "$DAX_nv0" ]; then
    hotplug_domain_xml hn 2c1d7e0a-6b3f-4a51-8e2d-9f4c3b5a7e61 \
        "$args xen_nopv xlnv.want=2 xlnv.detach=1 xlnv.text=XLNV-hn-$nonce" "$DAX_nv0" > /tmp/hn.xml
    convert_domain hn && hn_ready=1
fi
hotplug_domain_xml hp 7a3e9c15-2f4b-4d8a-b6e1-0c5d8f2a9b34 \
    "$args xlnv.want=1 xlnv.text=XLNV-hp-$nonce" > /tmp/hp.xml
convert_domain hp && hp_ready=1

# Both guests start together (each keeps one vCPU of the outer machine
# busy while it boots); the console and display settings come on xl's
# command line, as for h2.
start=$(xlnv_now)
started=
for name in hn hp; do
    eval "ready=\$${name}_ready"
    [ -n "$ready" ] || continue
    xlnv_start_guest "$name" "/tmp/$name.cfg" "serial=\"file:/tmp/$name-serial.log\"" \
        'vnc=0' 'vga="none"' && started="$started $name"
done

# Attach DAX to running guest NAME as hot-add K and time it: from the
# command's start to the guest's console line XLNV-HOTPLUG-SEEN K.
hot_add() {                     # NAME K DAX
    xlnv_nvdimm_xml "$3" "$HP_NVDIMM_KIB" > "/tmp/$1-add$2.xml"
    t0=$(uptime_s)
    xlnv_cli attach-device "$1" "/tmp/$1-add$2.xml" --live > "/tmp/$1-add$2.out" 2>&1
    rc=$?
    t1=$(uptime_s)
    xlnv_result "$1.add$2.rc" "$rc"
    xlnv_result "$1.add$2.out" "$(xlnv_oneline "/tmp/$1-add$2.out")"
    xlnv_result "$1.add$2.attach_s" "$(elapsed "$t0" "$t1")"
    # Where our layout put it (live XML: path, then its dimm address).
    [ "$rc" -eq 0 ] || return 1
    if wait_console "$1" "XLNV-HOTPLUG-SEEN $2 pmem" "$HP_SEEN_TIMEOUT"; then
        xlnv_result "$1.add$2.seen_s" "$(elapsed "$t0" "$(uptime_s)")"
    else
        xlnv_result "$1.add$2.seen_s" timeout
    fi
    # The rest while the guest reports: where our layout put the device
    # (live XML: its path, then its dimm address), Xen's mapping there,
    # and the FIT we wrote to the guest's page (status record).
    xlnv_cli dumpxml "$1" > "/tmp/$1-live$2.xml" 2>&1
    base=$(awk -v p="/dev/$3" '
        index($0, p) { f = 1 }
        f && /<address type=.dimm./ { sub(/.*base=./, ""); sub(/[^0-9a-fx].*/, ""); print; exit }' \
        "/tmp/$1-live$2.xml")
    xlnv_result "$1.add$2.base" "$base"
    [ -n "$base" ] || xlnv_result "$1.add$2.dumpxml" "$(xlnv_oneline "/tmp/$1-live$2.xml")"
    xlnv_report_xen_mappings "$1.add$2" "$(xl domid "$1")" "$base"
    st=/tmp/xlnv-state/domains/$1/status.json
    fit=$(sed -n 's/.*"fit": "\([0-9a-f]*\)".*/\1/p' "$st")
    xlnv_result "$1.add$2.fit_bytes" $(( ${#fit} / 2 ))
    eval "fit_$1_$2=$(( ${#fit} / 2 ))"
    xlnv_result "$1.add$2.fit_generation" "$(sed -n 's/.*"fit_generation": \([0-9]*\).*/\1/p' "$st")"
    xlnv_result "$1.add$2.fit_page" "$(printf '0x%x' "$(sed -n 's/.*"fit_page": \([0-9]*\).*/\1/p' "$st")")"
    xlnv_result "$1.add$2.notified" "$(grep -c '"notified": true' "$st")"
    wait_console "$1" "XLNV-HOTPLUG-DONE $2" "$HP_SEEN_TIMEOUT"
}

# Detach on Xen is forced only (docs/live.rst): hot-add K goes again
# while the guest watches its marker there.
force_detach() {                # NAME K
    wait_console "$1" XLNV-HOTPLUG-DETACH-WATCH "$HP_SEEN_TIMEOUT" || return 1
    xlnv_cli detach-device "$1" "/tmp/$1-add$2.xml" --live --force > "/tmp/$1-del$2.out" 2>&1
    xlnv_result "$1.del$2.rc" "$?"
    xlnv_result "$1.del$2.out" "$(xlnv_oneline "/tmp/$1-del$2.out")"
    xlnv_report_xen_mappings "$1.del$2" "$(xl domid "$1")"
    wait_console "$1" XLNV-HOTPLUG-DETACHED "$HP_SEEN_TIMEOUT"
}

# The guest's watcher runs; a guest that crashed in its kernel's boot
# (nested emulation) is started once more (guestlib.sh).
guest_ready() {                 # NAME
    until wait_console "$1" XLNV-HOTPLUG-READY "$GUEST_TIMEOUT"; do
        xlnv_restart_crashed_guest "$1" || return 1
    done
}

# hn: two hot-adds to a guest that booted with one NVDIMM.
if case " $started " in *" hn "*) true ;; *) false ;; esac; then
    if guest_ready hn; then
        xlnv_result hn.ready_s $(( $(xlnv_now) - start ))
        hot_add hn 1 "$DAX_nv1" && hot_add hn 2 "$DAX_nv2" && force_detach hn 2
    else
        xlnv_result hn.ready timeout
    fi
    xlnv_wait_guest_end hn 300
fi
# hp: its first NVDIMM, hot-added.
if case " $started " in *" hp "*) true ;; *) false ;; esac; then
    if guest_ready hp; then
        xlnv_result hp.ready_s $(( $(xlnv_now) - start ))
        hot_add hp 1 "$DAX_nv3"
    else
        xlnv_result hp.ready timeout
    fi
    xlnv_wait_guest_end hp 300
fi
xlnv_result guests.seconds $(( $(xlnv_now) - start ))
# Issue 14's numbers: what hn's second hot-add appended to its FIT, and
# how many NVDIMMs of that size a page's 4088 FIT bytes hold.
if [ -n "$fit_hn_1" ] && [ -n "$fit_hn_2" ] && [ "$fit_hn_2" -gt "$fit_hn_1" ]; then
    xlnv_result hotplug.fit_bytes_per_nvdimm $(( fit_hn_2 - fit_hn_1 ))
    xlnv_result hotplug.nvdimms_per_fit_page $(( (4096 - 8) / (fit_hn_2 - fit_hn_1) ))
fi
exit 0
