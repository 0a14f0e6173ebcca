# Guest role "hotplug" (issue 14): nothing but a watcher.  After the
# boot report (what the nfit driver found, the GED's interrupt line) and
# a marker on /dev/pmem0 when there is one, the guest prints
# XLNV-HOTPLUG-READY and then only polls /dev for a new pmem block device,
# xlnv.want times.  dom0 reads the guest's serial console for these lines
# (a guest with xen_nopv has no xenstore) and attaches from outside; no
# command run here asks the kernel to look for devices.  For each device
# K that appears: XLNV-HOTPLUG-SEEN K, its size and region, a marker
# "xlnv.text-K" at xlnv.off, then
# XLNV-HOTPLUG-DONE K.  At the end /dev/pmem0's marker is read again.
# (The FIT page is not read here: busybox devmem maps it uncached, which
# PAT refuses next to ACPI's cached mapping of the same page; dom0
# reports the FIT it wrote.)
xlnv_load_modules
text=$(xlnv_arg text XLNV)
off=$(xlnv_arg off 0)
want=$(xlnv_arg want 1)
wait_s=$(xlnv_arg wait 1500)

uptime_s() { cut -d' ' -f1 /proc/uptime; }

pmem_list() {                   # block devices pmemN, sorted by name
    for d in /dev/pmem*; do [ -b "$d" ] && echo "${d#/dev/}"; done
}

ged_line() {                    # the GED's /proc/interrupts line, squeezed
    grep -i 'ged' /proc/interrupts | tr -s ' ' | sed 's/^ //'
}

# The region under pmemN (sysfs: namespaceN.0 belongs to regionN here, a
# label-less NFIT region has one namespace).
region_of() {                   # pmemN: regionN:RESOURCE:SIZE
    r=/sys/bus/nd/devices/region${1#pmem}
    [ -d "$r" ] && echo "${r##*/}:$(cat "$r/resource"):$(cat "$r/size")"
}

mark() {                        # DEV TEXT: write at $off, read back uncached
    xlnv_write_dev_marker "$1" "$off" "$2"
    echo 3 > /proc/sys/vm/drop_caches
    xlnv_read_dev "$1" "$off" ${#2}
}

xlnv_result boot.pmem "$(pmem_list | tr '\n' ' ')"
xlnv_report_ndctl boot
xlnv_result boot.ged "$(ged_line)"
if [ -b /dev/pmem0 ]; then
    xlnv_result boot.pmem0.size "$(blockdev --getsize64 /dev/pmem0)"
    xlnv_result boot.pmem0.marker "$(mark /dev/pmem0 "$text-0")"
fi
known=" $(pmem_list | tr '\n' ' ')"
kmsg='nfit|nvdimm|pmem|ged'
dmesg | grep -ciE "$kmsg" > /tmp/dmesg-lines
echo "XLNV-HOTPLUG-READY uptime=$(uptime_s)"

k=1
while [ "$k" -le "$want" ]; do
    start=$(uptime_s)
    end=$(( $(xlnv_now) + wait_s ))
    dev=
    while [ -z "$dev" ] && [ "$(xlnv_now)" -lt "$end" ]; do
        for d in /dev/pmem*; do
            [ -b "$d" ] || continue
            case "$known" in *" ${d#/dev/} "*) ;; *) dev=${d#/dev/} ;; esac
        done
        [ -n "$dev" ] || sleep 0.1
    done
    if [ -z "$dev" ]; then
        xlnv_result "hp$k.seen" timeout
        echo "XLNV-HOTPLUG-SEEN $k none"
        break
    fi
    seen=$(uptime_s)
    echo "XLNV-HOTPLUG-SEEN $k $dev uptime=$seen"
    known="$known$dev "
    xlnv_result "hp$k.dev" "$dev"
    xlnv_result "hp$k.waited_s" "$(awk -v a="$start" -v b="$seen" 'BEGIN { printf "%.2f", b - a }')"
    # The block device can show up before its size is set.
    tries=0
    while [ "$(blockdev --getsize64 "/dev/$dev" 2>/dev/null || echo 0)" = 0 ] && [ "$tries" -lt 50 ]; do
        sleep 0.1; tries=$((tries + 1))
    done
    xlnv_result "hp$k.size" "$(blockdev --getsize64 "/dev/$dev")"
    xlnv_result "hp$k.region" "$(region_of "$dev")"
    xlnv_result "hp$k.pmem" "$(pmem_list | tr '\n' ' ')"
    xlnv_result "hp$k.ged" "$(ged_line)"
    xlnv_result "hp$k.marker" "$(mark "/dev/$dev" "$text-$k")"
    # What the kernel said since the last report, for docs/live.rst.
    dmesg | grep -iE "$kmsg" | tail -n +$(( $(cat /tmp/dmesg-lines) + 1 )) |
        sed "s/^/RESULT-LOG hp$k: /"
    dmesg | grep -ciE "$kmsg" > /tmp/dmesg-lines
    echo "XLNV-HOTPLUG-DONE $k"
    k=$((k + 1))
done
# xlnv.detach=1: dom0 force-detaches the last device next.  The guest
# only watches its marker there: once it reads something else, the
# frames are gone; then a write there must not reach anything.
if [ "$(xlnv_arg detach 0)" = 1 ] && [ -n "$dev" ] && [ "$k" -gt "$want" ]; then
    echo "XLNV-HOTPLUG-DETACH-WATCH $dev"
    blockdev --setra 0 "/dev/$dev"
    last="$text-$want"
    start=$(uptime_s)
    end=$(( $(xlnv_now) + 180 ))
    got=$last
    while [ "$got" = "$last" ] && [ "$(xlnv_now)" -lt "$end" ]; do
        sleep 0.5
        echo 3 > /proc/sys/vm/drop_caches
        got=$(xlnv_read_dev "/dev/$dev" "$off" ${#last})
    done
    xlnv_result detach.changed_after_s "$(awk -v a="$start" -v b="$(uptime_s)" 'BEGIN { printf "%.2f", b - a }')"
    echo 3 > /proc/sys/vm/drop_caches
    xlnv_result detach.read "$(xlnv_read_dev "/dev/$dev" "$off" ${#last} | od -An -tx1 | tr -d ' \n')"
    xlnv_result detach.pmem "$(pmem_list | tr '\n' ' ')"
    xlnv_result detach.size "$(blockdev --getsize64 "/dev/$dev")"
    xlnv_write_dev_marker "/dev/$dev" "$off" "$text-late"
    echo 3 > /proc/sys/vm/drop_caches
    xlnv_result detach.readback "$(xlnv_read_dev "/dev/$dev" "$off" $((${#last} + 3)) | od -An -tx1 | tr -d ' \n')"
    echo "XLNV-HOTPLUG-DETACHED"
fi
if [ -b /dev/pmem0 ]; then
    echo 3 > /proc/sys/vm/drop_caches
    xlnv_result end.pmem0.size "$(blockdev --getsize64 /dev/pmem0)"
    xlnv_result end.pmem0.marker "$(xlnv_read_dev /dev/pmem0 "$off" $((${#text} + 2)))"
    xlnv_result end.region0 "$(region_of pmem0)"
fi
xlnv_result end.pmem "$(pmem_list | tr '\n' ' ')"
