# Guest role: a guest WITHOUT the iomem range reads xlnv.addr, writes a
# marker (index xlnv.index) there and reads again.
nonce=$(xlnv_arg nonce 0)
addr=$(xlnv_arg addr)
xlnv_result probe.before "$(xlnv_read64 "$addr")"
xlnv_write64 "$addr" "$(xlnv_marker "$nonce" "$(xlnv_arg index 0)")" 2>/dev/null ||
    xlnv_result probe.write fault
xlnv_result probe.after "$(xlnv_read64 "$addr")"
