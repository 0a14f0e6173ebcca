# Guest role of the libvirt scenario: what pmem.sh does (report the
# guest's persistent memory, write the marker xlnv.text at xlnv.off of
# /dev/pmem0), then stay up: dom0 attaches, restarts libvirtd and destroys
# this domain while it runs.  A hot-added NVDIMM that shows up as
# /dev/pmem1 within xlnv.wait seconds is reported (hot.pmem=...).
. /xlnv/roles/pmem.sh
echo "XLNV-LIBVIRT-GUEST-READY"
end=$(( $(xlnv_now) + $(xlnv_arg wait 900) ))
while [ "$(xlnv_now)" -lt "$end" ]; do
    if [ -b /dev/pmem1 ]; then
        xlnv_report_pmem hot
        xlnv_report_ndctl hot
        break
    fi
    sleep 2
done
# Never power off by itself: the domain ends by `virsh destroy`.
while :; do sleep 60; done
