# dom0 scenario "libvirt" (issue 13): libvirt's libxl driver with our
# patch series, on real Xen, driven by Debian's unmodified virsh.
#  - the patched libvirtd (scripts/build-libvirt's install tree, at its
#    normal paths) started by hand: no systemd, dbus, polkit or udev;
#  - Debian's /usr/bin/virsh with Debian's own libvirt0 (kept in
#    /usr/lib/debian-libvirt0, as the daemon's libvirt.so.0 has the
#    standard path): a stock client talking to the patched daemon;
#  - lv1: an HVM domain with one NVDIMM on the devdax namespace of
#    NVDIMM 0: define, domxml-to-native, start, the guest's /dev/pmem0 and
#    marker, dumpxml, live attach of a second NVDIMM (devdax on NVDIMM 1)
#    with `virsh event --loop --all` watching, the refusals (save,
#    setmaxmem, live detach), detach --config, a libvirtd restart, destroy
#    (Xen's unmappings, owners restored), undefine;
#  - the domain shapes virt-install (--memdev nvdimm) and Nova
#    (LibvirtConfigGuestVPMEM) write: define, dumpxml, undefine;
#  - a memory model libxl cannot do: refused at define.
# Parameters: /xlnv/params.sh (the GoogleTest driver), nonce on the
# command line.  RESULT keys: see tests/xen/xen_libvirt_test.cc.
. /usr/lib/xlnv/guestlib.sh
. /xlnv/scenarios/common.sh
. /xlnv/params.sh
nonce=$(xlnv_arg nonce 0)
t_scenario=$(xlnv_now)

# Debian's client, its own libraries first (see above).
dvirsh() {
    LD_LIBRARY_PATH=/usr/lib/debian-libvirt0 virsh -c xen:///system "$@"
}

# A file's non-empty lines joined by " | " (virsh ends most answers
# with an empty line).
oneline() {
    grep -v '^$' "$1" | sed ':a;N;$!ba;s/\n/ | /g'
}

# Run `dvirsh ARGS...`, report PREFIX.rc and PREFIX.out (one line).
vrun() {                        # PREFIX ARGS...
    _p=$1
    shift
    dvirsh "$@" > "/tmp/v-$_p.out" 2>&1
    _rc=$?
    xlnv_result "$_p.rc" "$_rc"
    xlnv_result "$_p.out" "$(oneline "/tmp/v-$_p.out")"
    return $_rc
}

owner() { stat -c '%u:%g' "$1" 2>/dev/null || echo missing; }

# <memory model='nvdimm'> elements of a domain XML on stdin as
# "alias@slot@base" words (dumpxml prints alias and address on their own
# lines).
nvdimm_ids() {
    awk '/<memory model=.nvdimm/ { inmem = 1; a = ""; s = ""; b = "" }
         inmem && /<alias name=/ { sub(/.*<alias name=./, ""); sub(/[\047"].*/, ""); a = $0 }
         inmem && /<address type=.dimm/ {
             s = $0; sub(/.*slot=./, "", s); sub(/[\047"].*/, "", s)
             b = $0; sub(/.*base=./, "", b); sub(/[\047"].*/, "", b) }
         inmem && /<\/memory>/ { printf "%s@%s@%s ", a, s, b; inmem = 0 }' | sed 's/ $//'
}

# --- libvirtd, by hand -------------------------------------------------------
# What a packaged install has and an initramfs lacks: root in the user
# and group databases (else "Failed to find user record for uid '0'"),
# /var/run/libvirt reaching /run/libvirt, the log folder.
echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd
echo 'root:x:0:' > /etc/group
mkdir -p /run/libvirt /var/log/libvirt /var/lib/libvirt
ln -sfn /run/libvirt /var/run/libvirt
# Minimal config: logs to a file (warnings, and the libxl driver's debug).
cat > /etc/libvirt/libvirtd.conf <<'EOF'
log_filters="1:libxl 3:*"
log_outputs="1:file:/var/log/libvirt/libvirtd.log"
EOF

# Our library lives under /usr/local (ldconfig would find it there on a
# normal host; this initramfs has no ld.so.cache).
start_libvirtd() {              # PREFIX
    t0=$(xlnv_now)
    LD_LIBRARY_PATH=$LIBXL_NVDIMM_LIBDIR libvirtd --daemon --pid-file=/run/libvirtd.pid
    xlnv_result "$1.daemon_rc" "$?"
    ready=0
    while [ $(( $(xlnv_now) - t0 )) -lt 120 ]; do
        if dvirsh uri > "/tmp/$1-uri.out" 2>&1; then ready=1; break; fi
        sleep 1
    done
    xlnv_result "$1.ready" "$ready"
    xlnv_result "$1.ready_seconds" $(( $(xlnv_now) - t0 ))
    xlnv_result "$1.uri" "$(oneline "/tmp/$1-uri.out")"
}

stop_libvirtd() {               # PREFIX
    pid=$(cat /run/libvirtd.pid 2>/dev/null)
    [ -n "$pid" ] && kill "$pid"
    n=0
    while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $n -lt 60 ]; do
        sleep 1; n=$((n + 1))
    done
    xlnv_result "$1.stopped" "$(kill -0 "$pid" 2>/dev/null && echo no || echo yes)"
}

# What of libvirtd's log a reader needs (warnings and errors, without the
# end-of-file line each short-lived virsh connection leaves), at the end.
dump_libvirt_logs() {
    grep -E ' (warning|error) ' /var/log/libvirt/libvirtd.log 2>/dev/null |
        grep -v 'virNetSocketReadWire.*End of file' | cut -c1-400 |
        sed 's/^/libvirtd.log: /' | tail -n 60
    for f in /var/log/libvirt/libxl/*.log; do
        [ -f "$f" ] || continue
        grep -iE 'error|fail' "$f" | tail -n 20 | sed "s|^|${f##*/}: |"
    done
}

# The client is Debian's: the test compares these with the host's files.
xlnv_result virsh.sha256 "$(sha256sum /usr/bin/virsh | cut -d' ' -f1)"
xlnv_result virsh.libvirt0_sha256 "$(sha256sum "$(readlink -f /usr/lib/debian-libvirt0/libvirt.so.0)" | cut -d' ' -f1)"
# Which libvirt.so.0 each one loads (the dynamic loader's answer).
loaded_libvirt() {              # LD_LIBRARY_PATH PROGRAM
    readlink -f "$(LD_TRACE_LOADED_OBJECTS=1 LD_LIBRARY_PATH=$1 "$2" 2>&1 |
        awk '$1 == "libvirt.so.0" { print $3 }')"
}
xlnv_result virsh.libvirt0_loaded "$(loaded_libvirt /usr/lib/debian-libvirt0 /usr/bin/virsh)"
xlnv_result libvirtd.libvirt_loaded "$(loaded_libvirt "$LIBXL_NVDIMM_LIBDIR" /usr/sbin/libvirtd)"

# --- NVDIMM namespaces, before any guest runs ---------------------------------
xlnv_make_devdax boot "$NVDIMM0_SPA" || { xlnv_result scenario.abort "no devdax on NVDIMM 0"; exit 1; }
DAX_BOOT=$XLNV_DAX
xlnv_make_devdax hot "$NVDIMM1_SPA" || { xlnv_result scenario.abort "no devdax on NVDIMM 1"; exit 1; }
DAX_HOT=$XLNV_DAX
# Owners the backings must get back after the domain (not root, so the
# device model's root:root in between is visible).
chown 4242:4343 "/dev/$DAX_BOOT" "/dev/$DAX_HOT"
xlnv_result boot.owner_before "$(owner "/dev/$DAX_BOOT")"
xlnv_result hot.owner_before "$(owner "/dev/$DAX_HOT")"

start_libvirtd libvirtd
xlnv_result libvirtd.cpu_model_warning \
    "$(grep -c 'Cannot find suitable CPU model' /var/log/libvirt/libvirtd.log 2>/dev/null)"
vrun version version

xlnv_nvdimm_xml "$DAX_BOOT" "$BOOT_KIB" > /tmp/nv-boot.xml
xlnv_nvdimm_xml "$DAX_HOT" "$HOT_KIB" > /tmp/nv-hot.xml

cat > /tmp/lv1.xml <<XML
<domain type='xen'>
  <name>lv1</name>
  <uuid>3c5e7a2d-94b1-4f0e-8d6a-1b2c3d4e5f60</uuid>
  <maxMemory slots='4' unit='KiB'>1048576</maxMemory>
  <memory unit='KiB'>$(( (GUEST_MEMORY_MIB << 10) + BOOT_KIB ))</memory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='xenfv'>hvm</type>
    <kernel>/guest/vmlinuz</kernel>
    <initrd>/guest/initrd</initrd>
    <cmdline>console=ttyS0 $XLNV_GUEST_ARGS xlnv.role=libvirt xlnv.off=$MARK_OFF xlnv.text=XLNV-lv1-$nonce xlnv.wait=$GUEST_TIMEOUT</cmdline>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <serial type='file'>
      <source path='/tmp/lv1-serial.log'/>
      <target port='0'/>
    </serial>
    $(cat /tmp/nv-boot.xml)
  </devices>
</domain>
XML

# --- define, domxml-to-native, start -------------------------------------------
vrun define define /tmp/lv1.xml
vrun native domxml-to-native xen-xl /tmp/lv1.xml
xlnv_result native.iomem "$(sed -n 's/^iomem = \[ \(.*\) \]$/\1/p' /tmp/v-native.out | tr -d '"')"
xlnv_result native.ram "$(sed -n 's/^maxmem = \([0-9]*\)$/\1/p' /tmp/v-native.out):$(sed -n 's/^memory = \([0-9]*\)$/\1/p' /tmp/v-native.out)"
xlnv_result native.acpi_firmware "$(sed -n 's/^acpi_firmware = "\(.*\)"$/\1/p' /tmp/v-native.out)"
xlnv_result native.state_dir_after "$(ls /var/lib/libxl-nvdimm/domains 2>/dev/null | tr '\n' ' ')"

dvirsh event --loop --all --timestamp > /tmp/events.log 2>&1 &
events_pid=$!
sleep 2

t0=$(xlnv_now)
vrun start start lv1
xlnv_result start.seconds $(( $(xlnv_now) - t0 ))
domid=$(xl domid lv1 2>/dev/null)
xlnv_result start.domid "$domid"
xlnv_result start.owner_boot "$(owner "/dev/$DAX_BOOT")"
dvirsh dumpxml lv1 > /tmp/lv1-live.xml 2>&1
xlnv_result dumpxml.nvdimms "$(nvdimm_ids < /tmp/lv1-live.xml)"
xlnv_result dumpxml.memory "$(sed -n 's/.*<memory unit=.KiB.>\([0-9]*\)<.*/\1/p' /tmp/lv1-live.xml)"
grep -A12 "<memory model='nvdimm'" /tmp/lv1-live.xml | sed 's/^/dumpxml: /'
base=$(nvdimm_ids < /tmp/lv1-live.xml | cut -d@ -f3 | cut -d' ' -f1)
[ -n "$domid" ] && xlnv_report_xen_mappings boot "$domid" "$base"

# The guest: /dev/pmem0 and its marker (its serial console is a file).
ready=0
t0=$(xlnv_now)
while [ $(( $(xlnv_now) - t0 )) -lt "$GUEST_TIMEOUT" ]; do
    grep -qs XLNV-LIBVIRT-GUEST-READY /tmp/lv1-serial.log && { ready=1; break; }
    [ "$(dvirsh domstate lv1 2>/dev/null | head -n 1)" = running ] || break
    sleep 2
done
xlnv_result guest.ready "$ready"
xlnv_result guest.ready_seconds $(( $(xlnv_now) - t0 ))

# --- while it runs ---------------------------------------------------------------
t0=$(xlnv_now)
vrun attach attach-device lv1 /tmp/nv-hot.xml --live
xlnv_result attach.seconds $(( $(xlnv_now) - t0 ))
xlnv_result attach.owner_hot "$(owner "/dev/$DAX_HOT")"
dvirsh dumpxml lv1 > /tmp/lv1-attached.xml 2>&1
xlnv_result attached.nvdimms "$(nvdimm_ids < /tmp/lv1-attached.xml)"
hotbase=$(nvdimm_ids < /tmp/lv1-attached.xml | tr ' ' '\n' | sed -n 2p | cut -d@ -f3)
[ -n "$domid" ] && xlnv_report_xen_mappings hot "$domid" "$hotbase"

# What libxl cannot do with iomem domains: refused, nothing half done.
vrun save save lv1 /tmp/lv1.save
xlnv_result save.file "$([ -e /tmp/lv1.save ] && echo exists || echo none)"
vrun setmaxmem setmaxmem lv1 2097152 --config
# virsh and Nova cannot choose between asking the guest and pulling the
# module: --live unmaps at once (docs/libvirt-libxl-driver.rst, 0007).
vrun detach_live detach-device lv1 /tmp/nv-hot.xml --live
dvirsh dumpxml lv1 > /tmp/lv1-detach-live.xml 2>&1
xlnv_result detach_live.nvdimms "$(nvdimm_ids < /tmp/lv1-detach-live.xml)"
xlnv_result detach_live.owner_hot "$(owner "/dev/$DAX_HOT")"
[ -n "$hotbase" ] && xlnv_result detach_live.xen_unmap \
    "$(xl dmesg | grep -E "memory_map:remove: d$domid gfn=$(printf '%x' $((hotbase >> 12))) " | sed 's/.*memory_map:/memory_map:/' | head -n 1)"

# --config: the persistent definition loses the boot NVDIMM, the live
# one keeps it.
vrun detach_config detach-device lv1 /tmp/nv-boot.xml --config
dvirsh dumpxml --inactive lv1 > /tmp/lv1-inactive.xml 2>&1
xlnv_result detach_config.inactive_nvdimms "$(grep -c "<memory model='nvdimm'" /tmp/lv1-inactive.xml)"
dvirsh dumpxml lv1 > /tmp/lv1-live2.xml 2>&1
xlnv_result detach_config.live_nvdimms "$(nvdimm_ids < /tmp/lv1-live2.xml)"

# --- libvirtd restart: the running domain and its NVDIMMs come back ----------------
stop_libvirtd restart
kill "$events_pid" 2>/dev/null
start_libvirtd restart
vrun restart_list list --all
dvirsh dumpxml lv1 > /tmp/lv1-restarted.xml 2>&1
xlnv_result restart.nvdimms "$(nvdimm_ids < /tmp/lv1-restarted.xml)"
xlnv_result restart.domstate "$(dvirsh domstate lv1 2>&1 | head -n 1)"

# --- destroy: unmapped, owners back, nothing recorded ---------------------------------
t0=$(xlnv_now)
vrun destroy destroy lv1
xlnv_result destroy.seconds $(( $(xlnv_now) - t0 ))
sleep 1
xlnv_result destroy.xl "$(xlnv_domain_state lv1)"
[ -n "$domid" ] && xlnv_report_xen_mappings destroyed "$domid"
xl dmesg | grep -E "memory_map:(add|remove): d$domid " | sed 's/.*memory_map:/xen: memory_map:/'
xlnv_result destroy.owner_boot "$(owner "/dev/$DAX_BOOT")"
xlnv_result destroy.owner_hot "$(owner "/dev/$DAX_HOT")"
xlnv_result destroy.state_dir "$(ls /var/lib/libxl-nvdimm/domains 2>/dev/null | tr '\n' ' ')"
vrun undefine undefine lv1
vrun after_list list --all --name
xlnv_dump_guest_log lv1

# --- the shapes other tools write ---------------------------------------------------------
# The end of such a domain: the NVDIMM's target (sizes in KiB without
# unit attributes, as both tools write them) and the closing tags.
shape_target() {                # SIZE_KIB NODE LABEL_KIB
    printf '      <target>\n        <size>%s</size>\n        <node>%s</node>\n' "$1" "$2"
    printf '        <label>\n          <size>%s</size>\n        </label>\n      </target>\n' "$3"
    printf '    </memory>\n  </devices>\n</domain>\n'
}

# define, then the NVDIMM as dumpxml --inactive shows it (one line).
define_shape() {                # PREFIX NAME FILE
    vrun "$1" define "$3"
    dvirsh dumpxml --inactive "$2" > "/tmp/$2-out.xml" 2>&1
    xlnv_result "$1.nvdimm" "$(sed -n "/<memory model='nvdimm'/,/<\/memory>/p" "/tmp/$2-out.xml" | tr -d ' \n')"
}

# virt-install --memory 1024,hotplugmemorymax=4096,hotplugmemoryslots=4
#   --cpu host-passthrough,cell0.cpus=0,cell0.memory=...,cell1.cpus=1,...
#   --memdev nvdimm,source.path=/dev/daxN.0,target.size=..,target.node=1,
#            target.label_size=2048
# writes <maxMemory slots>, NUMA cells and an NVDIMM with a node and a
# label area (sizes in KiB, no unit attributes on the target; the size
# includes the label, what is left for data is 2 MiB aligned).
cat > /tmp/vi1.xml <<XML
<domain type='xen'>
  <name>vi1</name>
  <uuid>7d1e2f3a-4b5c-4d6e-9f70-8a9b0c1d2e3f</uuid>
  <maxMemory slots='4' unit='KiB'>4194304</maxMemory>
  <memory unit='KiB'>$(( 1048576 + BOOT_KIB + 2048 ))</memory>
  <currentMemory unit='KiB'>1048576</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='x86_64' machine='xenfv'>hvm</type>
    <loader type='rom'>/usr/lib/xen-4.17/boot/hvmloader</loader>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
    <pae/>
  </features>
  <cpu mode='host-passthrough' check='none' migratable='on'>
    <numa>
      <cell id='0' cpus='0' memory='524288' unit='KiB'/>
      <cell id='1' cpus='1' memory='524288' unit='KiB'/>
    </numa>
  </cpu>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <memory model='nvdimm'>
      <source>
        <path>/dev/$DAX_BOOT</path>
      </source>
$(shape_target $(( BOOT_KIB + 2048 )) 1 2048)
XML
define_shape vi_define vi1 /tmp/vi1.xml
vrun vi_native domxml-to-native xen-xl /tmp/vi1.xml
xlnv_result vi_native.iomem "$(sed -n 's/^iomem = \[ \(.*\) \]$/\1/p' /tmp/v-vi_native.out | tr -d '"')"
vrun vi_undefine undefine vi1

# Nova's LibvirtConfigGuestVPMEM: access='shared', <alignsize> and <pmem/>
# in the source, a label in the target, sizes in KiB without units; Nova
# also writes <maxMemory slots> and a NUMA topology.
cat > /tmp/nova1.xml <<XML
<domain type='xen'>
  <name>instance-00000001</name>
  <uuid>0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d</uuid>
  <metadata>
    <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
      <nova:name>vpmem-test</nova:name>
    </nova:instance>
  </metadata>
  <maxMemory slots='16' unit='KiB'>4194304</maxMemory>
  <memory unit='KiB'>$(( 524288 + HOT_KIB + 2048 ))</memory>
  <vcpu>1</vcpu>
  <os>
    <type>hvm</type>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  <cpu mode='host-passthrough'>
    <numa>
      <cell id='0' cpus='0' memory='524288' unit='KiB'/>
    </numa>
  </cpu>
  <clock offset='utc'/>
  <devices>
    <memory model='nvdimm' access='shared'>
      <source>
        <path>/dev/$DAX_HOT</path>
        <alignsize>2048</alignsize>
        <pmem/>
      </source>
$(shape_target $(( HOT_KIB + 2048 )) 0 2048)
XML
define_shape nova_define instance-00000001 /tmp/nova1.xml
vrun nova_undefine undefine instance-00000001

# A model Xen cannot do: refused at define, nothing defined.
sed -e "s/<name>lv1</<name>dimm1</" -e "s/3c5e7a2d-/4c5e7a2d-/" \
    -e "s/model='nvdimm' access='shared'/model='dimm'/" \
    -e "s|<path>/dev/$DAX_BOOT</path>||" /tmp/lv1.xml > /tmp/dimm1.xml
vrun dimm_define define /tmp/dimm1.xml
vrun dimm_list list --all --name

stop_libvirtd final
sed 's/^/event: /' /tmp/events.log
xlnv_result events.device_added "$(grep -c "device-added" /tmp/events.log)"
xlnv_result events.device_removed "$(grep -c "device-removed" /tmp/events.log)"
xlnv_result events.lines "$(grep -c . /tmp/events.log)"
dump_libvirt_logs
xlnv_result scenario.seconds $(( $(xlnv_now) - t_scenario ))
exit 0
