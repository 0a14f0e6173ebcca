#!/usr/bin/env python3
"""How xenbed.py reads the shared serial console (no QEMU needed)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xenbed  # noqa: E402


class UntangleXenLines(unittest.TestCase):
    def test_xen_line_inside_a_result_is_taken_out(self):
        text = "RESULT h1.create=ok(d3) PCI-ISA link 2 routed to IRQ11\n\nRESULT next=1"
        dom0, _, _ = xenbed.split_console(text)
        results = xenbed.parse_results(dom0)
        self.assertEqual(results["h1.create"], "ok")
        self.assertEqual(results["next"], "1")
        self.assertIn("(d3) PCI-ISA link 2 routed to IRQ11", dom0.split("\n"))

    def test_a_line_split_around_several_xen_lines_is_joined(self):
        text = "RESULT live.b(XEN) one\n(d12) two\nase=0x940000000\n"
        results = xenbed.parse_results(xenbed.split_console(text)[0])
        self.assertEqual(results["live.base"], "0x940000000")

    def test_xen_lines_at_line_start_are_kept_as_they_are(self):
        text = "(XEN) memory_map:add: d4 gfn=200000 mfn=104000 nr=4000\nRESULT a=b"
        self.assertEqual(xenbed.untangle_xen_lines(text), text)

    def test_guest_log_blocks_are_untangled_too(self):
        text = ("XLNV-LOG-BEGIN h1\nRESULT guest.pmem=pmem0:67108864(XEN) x\n\n"
                "XLNV-LOG-END h1\nXLNV-EXIT 0")
        dom0, guests, status = xenbed.split_console(text)
        self.assertEqual(xenbed.parse_results(guests["h1"])["guest.pmem"], "pmem0:67108864")
        self.assertEqual(status, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
