# Guest role: report persistent memory as the guest kernel sees it and
# write the ASCII marker xlnv.text at byte xlnv.off of /dev/pmem0.
xlnv_load_modules
xlnv_report_iomem guest
xlnv_report_pmem guest
xlnv_report_ndctl guest
dmesg | grep -iE 'nfit|nvdimm|pmem|acpi.*(upgrade|override|NFIT|SSDT)' | sed 's/^/dmesg: /' | head -20
if [ -b /dev/pmem0 ]; then
    text=$(xlnv_arg text XLNV)
    off=$(xlnv_arg off 0)
    xlnv_write_dev_marker /dev/pmem0 "$off" "$text"
    xlnv_result pmem0.marker.off "$off"
    xlnv_result pmem0.marker.readback "$(xlnv_read_dev /dev/pmem0 "$off" ${#text})"
fi
