# Guest role: write a marker at each guest physical address of xlnv.addrs
# (comma-separated) and read it back; read the 64-bit value the outer test
# put at xlnv.read.  Needs iomem=relaxed.
nonce=$(xlnv_arg nonce 0)
i=0
for addr in $(xlnv_arg addrs | tr ',' ' '); do
    xlnv_write64 "$addr" "$(xlnv_marker "$nonce" "$i")"
    xlnv_result "marker.$i.addr" "$addr"
    xlnv_result "marker.$i.readback" "$(xlnv_read64 "$addr")"
    i=$((i + 1))
done
read_addr=$(xlnv_arg read)
[ -n "$read_addr" ] && xlnv_result host_pattern "$(xlnv_read64 "$read_addr")"
