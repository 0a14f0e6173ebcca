# Guest role for live mapping: touch nothing in the range until dom0 says
# it is mapped (xenstore data/xlnv-go), then read what the outer test put
# at xlnv.read, write marker xlnv.index at xlnv.addr; after dom0 unmapped,
# write marker xlnv.index+1 at xlnv.addr and read both addresses again.
# xlnv.addr=xs: the address is only known once mapped (the project's
# layout chose it); dom0 puts it in xenstore data/xlnv-addr, and there is
# no host pattern to read.
nonce=$(xlnv_arg nonce 0)
addr=$(xlnv_arg addr)
read_addr=$(xlnv_arg read)
index=$(xlnv_arg index 0)
xlnv_xs_write data/xlnv-state ready
if xlnv_xs_wait data/xlnv-go mapped 600; then
    [ "$addr" = xs ] && addr=$(xlnv_xs_read data/xlnv-addr)
    xlnv_result live.mapped.addr "$addr"
    [ -n "$read_addr" ] && xlnv_result live.mapped.host_pattern "$(xlnv_read64 "$read_addr")"
    xlnv_write64 "$addr" "$(xlnv_marker "$nonce" "$index")"
    xlnv_result live.mapped.readback "$(xlnv_read64 "$addr")"
    xlnv_xs_write data/xlnv-state written
else
    xlnv_result live.mapped timeout
fi
if xlnv_xs_wait data/xlnv-go unmapped 600; then
    [ -n "$read_addr" ] && xlnv_result live.unmapped.host_pattern "$(xlnv_read64 "$read_addr")"
    xlnv_write64 "$addr" "$(xlnv_marker "$nonce" $((index + 1)))" 2>/dev/null ||
        xlnv_result live.unmapped.write fault
    xlnv_result live.unmapped.readback "$(xlnv_read64 "$addr")"
    xlnv_xs_write data/xlnv-state done
else
    xlnv_result live.unmapped timeout
fi
