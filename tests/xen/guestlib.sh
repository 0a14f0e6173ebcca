# Helpers for test scripts running in dom0 and in guests (busybox sh).
# Sourced, not run: . /usr/lib/xlnv/guestlib.sh
#
# Results go to the console as lines the GoogleTest driver parses:
#   RESULT key=value
# (one per line, key made of [A-Za-z0-9_.-], value up to the end of line).

# --- reporting ----------------------------------------------------------------

xlnv_result() {                 # xlnv_result KEY VALUE...
    key=$1; shift
    echo "RESULT $key=$*"
}

xlnv_log() {                    # free text, for humans reading the console
    echo "xlnv: $*"
}

# --- kernel command line ------------------------------------------------------

xlnv_arg() {                    # xlnv_arg NAME [DEFAULT]: value of xlnv.NAME=
    for word in $(cat /proc/cmdline); do
        case "$word" in
            xlnv.$1=*) echo "${word#xlnv.$1=}"; return 0 ;;
        esac
    done
    echo "${2:-}"
}

# --- boot basics ----------------------------------------------------------------

xlnv_mount_basics() {
    mount -t proc proc /proc
    mount -t sysfs sys /sys
    mount -t devtmpfs dev /dev
    mkdir -p /dev/pts /tmp /run
    mount -t devpts devpts /dev/pts
    mount -t tmpfs tmp /tmp
}

xlnv_load_modules() {           # insmod every module of /etc/modules.order
    [ -f /etc/modules.order ] || return 0
    while read -r mod; do
        insmod "$mod" 2>/tmp/insmod.err ||
            grep -q 'File exists' /tmp/insmod.err ||
            xlnv_log "insmod $mod failed: $(cat /tmp/insmod.err)"
    done < /etc/modules.order
}

# --- guest physical memory markers -------------------------------------------
# A marker is a 64-bit value: NONCE (32 bits) << 32 | 0x4e56 << 16 | INDEX.
# The outer test finds it little-endian in the NVDIMM backing file.

xlnv_marker() {                 # xlnv_marker NONCE INDEX
    printf '0x%08X4E56%04X' "$(($1))" "$(($2))"
}

xlnv_write64() {                # xlnv_write64 ADDR VALUE (needs iomem=relaxed)
    devmem "$1" 64 "$2"
}

xlnv_read64() {                 # xlnv_read64 ADDR: prints 0x%016X or "fault"
    devmem "$1" 64 2>/dev/null || { echo fault; return 1; }
}

# --- persistent memory reports -----------------------------------------------

xlnv_report_iomem() {           # RESULT PREFIX.iomem_pmem=START-END ...
    ranges=$(grep -i 'persistent memory' /proc/iomem | sed 's/^ *//; s/ *:.*//' | tr '\n' ' ')
    xlnv_result "$1.iomem_pmem" "$ranges"
}

xlnv_report_pmem() {            # RESULT PREFIX.pmem=pmem0:SIZE,pmem1:SIZE
    list=
    for dev in /dev/pmem*; do
        [ -b "$dev" ] || continue
        list="$list${list:+,}${dev#/dev/}:$(blockdev --getsize64 "$dev")"
    done
    xlnv_result "$1.pmem" "$list"
}

xlnv_report_ndctl() {           # RESULT PREFIX.ndctl=<one-line JSON>
    if command -v ndctl >/dev/null 2>&1; then
        xlnv_result "$1.ndctl" "$(ndctl list -RN 2>&1 | tr -d ' \n')"
    else                        # guests: no ndctl, the same facts from sysfs
        list=
        for r in /sys/bus/nd/devices/region*; do
            [ -d "$r" ] || continue
            list="$list${list:+,}${r##*/}:$(cat "$r/resource"):$(cat "$r/size")"
        done
        xlnv_result "$1.regions" "$list"
    fi
}

# Write an ASCII marker into a block device at a byte offset, read it back.
xlnv_write_dev_marker() {       # DEV OFFSET TEXT
    printf '%s' "$3" > /tmp/xlnv-marker
    dd if=/tmp/xlnv-marker of="$1" bs=1 seek="$(($2))" conv=notrunc,fsync 2>/dev/null
    sync
}

xlnv_read_dev() {               # DEV OFFSET LENGTH: prints the bytes as text
    dd if="$1" bs=1 skip="$(($2))" count="$3" 2>/dev/null
}

# --- waiting with a wall-clock limit (commands are slow under emulation) ------

xlnv_now() { date +%s; }

# --- xenstore signalling --------------------------------------------------------
# Under nested emulation a xenstore handshake was lost once (the guest
# never saw a value dom0 had written); the likely mechanism is a lost
# event-channel notification, after which a request waits for its reply
# until the next event on that connection, which a later request sends. So every access gives up after
# 10 s and the waits below simply ask again, and a sender repeats itself
# until it is answered. busybox's timeout exits 143 when it had to kill.

xlnv_xs_read() {                # xlnv_xs_read PATH: the value, or nothing
    timeout 10 xenstore-read "$1" 2>/dev/null
}

xlnv_xs_write() {               # xlnv_xs_write PATH VALUE (3 tries if stalled)
    for try in 1 2 3; do
        timeout 10 xenstore-write "$1" "$2" && return 0
        [ $? -eq 143 ] || return 1
    done
    return 1
}

# Guest side (relative paths are under our domain).  On timeout it reports
# the last value read and how many reads stalled, for the record.
xlnv_xs_wait() {                # xlnv_xs_wait KEY VALUE TIMEOUT_S
    end=$(( $(xlnv_now) + $3 ))
    stalled=0
    last=
    while [ "$(xlnv_now)" -lt "$end" ]; do
        last=$(xlnv_xs_read "$1")
        rc=$?
        [ "$last" = "$2" ] && return 0
        [ "$rc" -eq 143 ] && stalled=$((stalled + 1))
        sleep 1
    done
    xlnv_result "xs_wait.$(echo "$1" | tr -c 'A-Za-z0-9_.\n-' _)" \
        "timeout waiting for $2: last value '$last', $stalled stalled reads"
    return 1
}

# --- dom0 side: running guests -----------------------------------------------

xlnv_domain_state() {           # NAME: the state column of `xl list`, or gone
    xl list 2>/dev/null | awk -v n="$1" '$1 == n { print $5; f = 1 } END { if (!f) print "gone" }'
}

xlnv_dump_guest_log() {         # NAME: hand the guest's console to the harness
    for log in "/var/log/xen/console/guest-$1.log" "/tmp/$1-serial.log"; do
        [ -f "$log" ] || continue
        echo "XLNV-LOG-BEGIN $1"
        cat "$log"
        echo
        echo "XLNV-LOG-END $1"
        mv "$log" "$log.done"
    done
    # The HVM device model's own log, when there is one.
    log=/var/log/xen/qemu-dm-$1.log
    if [ -f "$log" ]; then
        echo "XLNV-LOG-BEGIN $1-dm"
        cat "$log"
        echo
        echo "XLNV-LOG-END $1-dm"
        mv "$log" "$log.done"
    fi
}

xlnv_progress() {               # every $1 s: each guest console's last line
    while sleep "$1"; do
        for log in /var/log/xen/console/guest-*.log /tmp/*-serial.log; do
            [ -f "$log" ] || continue
            echo "XLNV-PROGRESS ${log##*/}: $(tail -n 1 "$log" | cut -c1-150)"
        done
    done
}

xlnv_guest_done() {             # NAME: the guest printed XLNV-GUEST-DONE
    grep -qs XLNV-GUEST-DONE "/var/log/xen/console/guest-$1.log" "/tmp/$1-serial.log"
}

# The guest's last console line says it is done (its shutdown state may
# come later, or, with `xl create -e`, the domain is never destroyed).
# A guest that crashed in its kernel's boot is started once more
# (xlnv_restart_crashed_guest) and waited for again.
xlnv_wait_guest_end() {         # NAME TIMEOUT_S: until done/shut down/crashed/gone
    end=$(( $(xlnv_now) + $2 ))
    rc=1
    while [ "$(xlnv_now)" -lt "$end" ]; do
        state=$(xlnv_domain_state "$1")
        if xlnv_guest_done "$1"; then rc=0; break; fi
        case "$state" in
            gone) rc=0; break ;;
            *c*|*s*)
                if xlnv_restart_crashed_guest "$1"; then
                    end=$(( $(xlnv_now) + $2 ))
                    continue
                fi
                case "$state" in *c*) xlnv_result "$1.crashed" 1 ;; esac
                rc=0; break ;;
        esac
        sleep 1
    done
    [ "$rc" -eq 0 ] || xlnv_result "$1.timeout" 1
    xlnv_result "$1.end_state" "$state"
    xl destroy "$1" 2>/dev/null
    sleep 1                     # let xenconsoled write the last lines
    xlnv_dump_guest_log "$1"
    return $rc
}

# xl create without a monitoring child.  The config and xl's extra
# arguments are kept for a restart.
xlnv_start_guest() {            # NAME CFG [XL_ARGS...]
    _sg=$1
    shift
    printf '%s\n' "$@" > "/tmp/$_sg.create-args"
    if ! xl create -e "$@" > "/tmp/$_sg-create.log" 2>&1; then
        xlnv_result "$_sg.create" "failed: $(tr '\n' ' ' < "/tmp/$_sg-create.log")"
        xlnv_dump_guest_log "$_sg"
        return 1
    fi
    xlnv_result "$_sg.create" ok
}

# Nested emulation now and then kills a guest while its kernel boots
# (seen: triple faults of PVH guests, which Xen turns into a shutdown
# with reason reboot, state "s", not "c"; and a PVH guest that shut down
# before printing anything).  Before our /init ran nothing of the test
# has happened, so the guest is started again from the same config, at
# most XLNV_GUEST_RESTARTS times (default 2).  Its registers (xenctx),
# Xen's lines about it and its console are kept as NAME.crashN; the
# restart is reported as RESULT NAME.restart.N.
xlnv_restart_crashed_guest() {  # NAME: true when it was started again
    _rn=$1
    _rs=$(xlnv_domain_state "$_rn")
    case "$_rs" in *c*|*s*) ;; *) return 1 ;; esac
    grep -qs XLNV-GUEST-INIT "/var/log/xen/console/guest-$_rn.log" "/tmp/$_rn-serial.log" &&
        return 1
    _rk=$(( $(cat "/tmp/$_rn.restarts" 2>/dev/null || echo 0) + 1 ))
    [ "$_rk" -le "${XLNV_GUEST_RESTARTS:-2}" ] || return 1
    echo "$_rk" > "/tmp/$_rn.restarts"
    _rid=$(xl domid "$_rn")
    xlnv_result "$_rn.restart.$_rk" "domain $_rid ended (state $_rs) before /init; started again"
    xenctx "$_rid" 0 2>&1 | sed "s/^/XLNV-CRASH $_rn: /"
    xl dmesg | grep -E "[( ]d${_rid}v?[0-9]*[): ]" | grep -vE " (save|restore): " |
        tail -n 20 | sed "s/^/XLNV-CRASH $_rn: /"
    xl destroy "$_rn" 2>/dev/null
    sleep 1
    mv "/var/log/xen/console/guest-$_rn.log" "/var/log/xen/console/guest-$_rn.crash$_rk.log" 2>/dev/null
    mv "/tmp/$_rn-serial.log" "/tmp/$_rn.crash$_rk-serial.log" 2>/dev/null
    mv "/var/log/xen/qemu-dm-$_rn.log" "/var/log/xen/qemu-dm-$_rn.crash$_rk.log" 2>/dev/null
    xlnv_dump_guest_log "$_rn.crash$_rk"
    set --
    while IFS= read -r _ra; do set -- "$@" "$_ra"; done < "/tmp/$_rn.create-args"
    xlnv_start_guest "$_rn" "$@"
}

xlnv_run_guest() {              # NAME CFG TIMEOUT_S: create, wait for the end
    start=$(xlnv_now)
    xlnv_start_guest "$1" "$2" || return 1
    xlnv_wait_guest_end "$1" "$3"
    rc=$?
    xlnv_result "$1.seconds" $(( $(xlnv_now) - start ))
    return $rc
}

# A guest can crash under nested emulation (seen: a PVH guest's triple
# fault early in its boot); a dom0 wait must not outlast it.
xlnv_domid_ended() {            # DOMID: true when crashed, shut down or gone
    state=$(xl list 2>/dev/null | awk -v id="$1" 'NR > 1 && $2 == id { print $5; f = 1 }
        END { if (!f) print "gone" }')
    case "$state" in *c*|*s*|gone) return 0 ;; esac
    return 1
}

xlnv_dom0_xs_wait() {           # DOMID KEY VALUE TIMEOUT_S (dom0 side)
    end=$(( $(xlnv_now) + $4 ))
    polls=0
    while [ "$(xlnv_now)" -lt "$end" ]; do
        [ "$(xlnv_xs_read "/local/domain/$1/$2")" = "$3" ] && return 0
        polls=$((polls + 1))
        [ $((polls % 5)) -eq 0 ] && xlnv_domid_ended "$1" && return 1
        sleep 1
    done
    return 1
}

# dom0: wait until guest NAME says data/xlnv-state=ready; a guest that
# crashed while booting is started again (xlnv_restart_crashed_guest).
# Sets XLNV_DOMID.
xlnv_wait_guest_ready() {       # NAME TIMEOUT_S
    while :; do
        XLNV_DOMID=$(xl domid "$1" 2>/dev/null) || return 1
        xlnv_dom0_xs_wait "$XLNV_DOMID" data/xlnv-state ready "$2" && return 0
        xlnv_restart_crashed_guest "$1" || return 1
    done
}

# dom0 tells a guest KEY=VALUE and waits until it answers ACK_KEY=ACK_VALUE,
# writing KEY again every 15 s (a lost notification must not lose the
# handshake).  Counts the writes as RESULT PREFIX.xs_sends.  Fails on
# timeout or when the domain ended.
xlnv_dom0_xs_tell() {           # PREFIX DOMID KEY VALUE ACK_KEY ACK_VALUE TIMEOUT_S
    dom=/local/domain/$2
    end=$(( $(xlnv_now) + $7 ))
    next=0
    sends=0
    polls=0
    rc=1
    while [ "$(xlnv_now)" -lt "$end" ]; do
        if [ "$(xlnv_now)" -ge "$next" ]; then
            xlnv_xs_write "$dom/$3" "$4" && sends=$((sends + 1))
            next=$(( $(xlnv_now) + 15 ))
        fi
        if [ "$(xlnv_xs_read "$dom/$5")" = "$6" ]; then rc=0; break; fi
        polls=$((polls + 1))
        [ $((polls % 5)) -eq 0 ] && xlnv_domid_ended "$2" && break
        sleep 1
    done
    xlnv_result "$1.xs_sends" "$sends"
    return $rc
}
