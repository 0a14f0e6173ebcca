# dom0 scenario "hvm-loop" (diagnostics, issue 3): the HVM guest of the
# "hvm" scenario alone, LOOP_COUNT times one after the other.  A guest
# whose consoles (Xen's ring with hvmloader's lines, its serial log) stop
# changing for STALL_AFTER seconds is a stall: dom0 prints what the vCPU,
# the device model and the event channels look like, then destroys it.
# Parameters (/xlnv/params.sh): GUEST_GFN PMEM_NR PMEM_MARK_OFF H1_MFN
# LOOP_COUNT STALL_AFTER GUEST_TIMEOUT [HVM_EXTRA_CFG: ';'-separated lines].
. /usr/lib/xlnv/guestlib.sh
. /xlnv/scenarios/common.sh
. /xlnv/params.sh
nonce=$(xlnv_arg nonce 0)

progress_state() {              # NAME DOMID: changes while the guest makes progress
    # (prints anything, or its vCPU registers move: loading the kernel
    # through fw_cfg prints nothing for minutes)
    echo "$(xl dmesg 2>/dev/null | tail -n 1)|$(wc -c < "/tmp/$1-serial.log" 2>/dev/null)|$(xenctx -a "$2" 0 2>/dev/null | head -n 6 | tr '\n' ' ')"
}

dom0_faults() {                 # user processes dom0's kernel killed so far
    dmesg | grep -E 'segfault|traps:|general protection' | sed 's/^/diag dom0-fault: /'
}

diagnose() {                    # NAME DOMID
    xlnv_log "stall diagnostics for $1 (domain $2)"
    xl list 2>&1 | sed 's/^/diag xl-list: /'
    xenctx -a "$2" 0 2>&1 | head -n 30 | sed 's/^/diag xenctx: /'
    sleep 5
    xl list 2>&1 | sed 's/^/diag xl-list+5s: /'
    xenctx -a "$2" 0 2>&1 | head -n 30 | sed 's/^/diag xenctx+5s: /'
    echo "diag dm-pids: $(pidof xen-qemu-system-i386) $(pidof qemu-system-i386)"
    for pid in $(pidof xen-qemu-system-i386 qemu-system-i386); do
        for t in /proc/$pid/task/*; do
            echo "diag dm-thread ${t##*/}: $(cut -d' ' -f2,3,14,15 "$t/stat") wchan=$(cat "$t/wchan" 2>/dev/null)"
        done
    done
    grep -i xen /proc/interrupts | sed 's/^/diag dom0-irq: /'
    lsevtchn "$2" 2>&1 | sed 's/^/diag evtchn: /'
    cat "/var/log/xen/qemu-dm-$1.log" 2>/dev/null | tail -n 20 | sed 's/^/diag dm-log: /'
    xl debug-keys q                  # domain and vCPU state to Xen's console
    xl debug-keys e                  # event channels
    xl dmesg 2>&1 | tail -n 150 | sed 's/^/diag xen: /'
}

i=1
while [ "$i" -le "${LOOP_COUNT:-3}" ]; do
    name=hl$i
    extra_cfg=$(echo "${HVM_EXTRA_CFG:-}" | tr ';' '\n')
    # shellcheck disable=SC2086
    cfg=$(xlnv_guest_cfg "$name" hvm \
        "xlnv.role=pmem xlnv.off=$PMEM_MARK_OFF xlnv.text=XLNV-$name-$nonce" \
        "$(xlnv_hex "$H1_MFN"),$(xlnv_hex "$PMEM_NR")@$(xlnv_hex "$GUEST_GFN")" \
        "acpi_firmware = \"/xlnv/acpi/acpi.bin\"")
    [ -n "$extra_cfg" ] && echo "$extra_cfg" >> "$cfg"
    start=$(xlnv_now)
    if xlnv_start_guest "$name" "$cfg"; then
        domid=$(xl domid "$name")
        last=$(progress_state "$name" "$domid") last_change=$start outcome=timeout
        while [ $(( $(xlnv_now) - start )) -lt "$GUEST_TIMEOUT" ]; do
            if xlnv_guest_done "$name"; then outcome=done; break; fi
            state=$(progress_state "$name" "$domid")
            if [ "$state" != "$last" ]; then
                last=$state last_change=$(xlnv_now)
            elif [ $(( $(xlnv_now) - last_change )) -ge "$STALL_AFTER" ]; then
                outcome=stall
                diagnose "$name" "$domid"
                break
            fi
            sleep 2
        done
        xlnv_result "$name.outcome" "$outcome"
        xlnv_result "$name.seconds" $(( $(xlnv_now) - start ))
        xl destroy "$name" 2>/dev/null
        sleep 1
        xlnv_dump_guest_log "$name"
        dom0_faults
    fi
    i=$((i + 1))
done
exit 0
