#!/usr/bin/env python3
"""The host-pmem test bed: a real Linux kernel with emulated NVDIMMs under
QEMU (TCG), running one scenario script.

    pmembed.py --out-dir DIR --script SCENARIO.sh --project-bin CLI
               --poke PMEM-POKE [--nvdimm PATH:SIZE]... [--timeout SECONDS]
               [--cache-dir DIR]

Builds (cached by content, tests/lib/mkinitramfs) an initramfs with
busybox, the CLI, pmem-poke, ndctl, mke2fs, mkfs.xfs, xfs_io, the NVDIMM,
ext4 and XFS modules, scenarios/lib.sh as /xlnv/lib.sh and SCENARIO.sh as
/xlnv/test.sh; boots Debian's kernel with one NVDIMM per --nvdimm (SIZE
bytes including the 128 KiB label area; the caller owns the files; byte X
of file i is guest physical address beds.nvdimm_spa(i) + X).

Writes DIR/console.log and DIR/result.json:
  {"ok": bool, "error": str, "elapsed": s, "boot": s, "exit": int|null,
   "nvdimm_spa": [guest physical base of NVDIMM i], "results": {key: value}}   (from the guest's "RESULT key=value" lines)
Exit status: 0 the scenario ran to the end; 1 it did not (timeout, crash);
2 the bed cannot be built here (no QEMU or kernel): callers fail loudly.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.path.join(os.path.dirname(HERE), "lib")
sys.path.insert(0, LIB)
import beds  # noqa: E402
import qemurun  # noqa: E402

MKINITRAMFS = os.path.join(LIB, "mkinitramfs")
RESULT_LINE = re.compile(r"^RESULT ([A-Za-z0-9_.\-]+)=(.*?)\r?$")

# Everything this bed puts into the guest besides the project's binaries.
GUEST_TOOLS = ("/usr/bin/ndctl", "/usr/sbin/mke2fs:/usr/sbin/mkfs.ext4", "/usr/sbin/mkfs.xfs",
               "/usr/sbin/xfs_io")
MODULE_SETS = ("nvdimm", "ext4")
EXTRA_MODULES = ("xfs",)
# 5 NVDIMMs at beds.nvdimm_spa(i) need slots and a device-memory window
# reaching past 12.5 GiB.
QEMU_MEMORY = "512M,slots=8,maxmem=32G"
KERNEL_ARGS = "console=ttyS0 quiet panic=-1 loglevel=3"


def fail(out_dir, message, code):
    with open(os.path.join(out_dir, "result.json"), "w") as f:
        json.dump({"ok": False, "error": message, "results": {}}, f)
    print("pmembed: " + message, file=sys.stderr)
    return code


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out-dir", required=True)
    p.add_argument("--script", required=True)
    p.add_argument("--project-bin", required=True)
    p.add_argument("--poke", required=True)
    p.add_argument("--nvdimm", action="append", default=[])
    p.add_argument("--timeout", type=int, default=240)
    p.add_argument("--cache-dir", default=None)
    a = p.parse_args(argv)
    os.makedirs(a.out_dir, exist_ok=True)

    kver = beds.kernel_version()
    missing = [f for f in (beds.QEMU, beds.BUSYBOX) + tuple(t.split(":")[0] for t in GUEST_TOOLS)
               if not os.path.exists(f)]
    if kver is None:
        missing.append("/boot/vmlinuz-* with /lib/modules/VERSION")
    if missing:
        return fail(a.out_dir, "missing on this machine (run scripts/setup): "
                    + ", ".join(missing), 2)

    # Debug info is most of the CLI's size; the guest does not need it.
    cli = os.path.join(a.out_dir, "virt-xen-nvdimm")
    if subprocess.run(["strip", "-o", cli, a.project_bin]).returncode != 0:
        shutil.copy(a.project_bin, cli)
    initrd = os.path.join(a.out_dir, "initramfs.cpio.gz")
    cmd = [sys.executable, MKINITRAMFS, "--out", initrd,
           "--init", os.path.join(HERE, "guest-init.sh"),
           "--kernel-version", kver,
           "--bin", cli + ":/usr/bin/virt-xen-nvdimm",
           "--bin", a.poke + ":/usr/bin/pmem-poke",
           "--file", os.path.join(HERE, "scenarios", "lib.sh") + ":/xlnv/lib.sh",
           "--file", a.script + ":/xlnv/test.sh",
           "--cache-dir", a.cache_dir or beds.default_cache_dir()]
    for tool in GUEST_TOOLS:
        cmd += ["--bin", tool]
    for s in MODULE_SETS:
        cmd += ["--module-set", s]
    for m in EXTRA_MODULES:
        cmd += ["--module", m]
    built = subprocess.run(cmd, capture_output=True, text=True)
    if built.returncode != 0:
        return fail(a.out_dir, "initramfs build failed: " + built.stderr.strip(), 1)

    backings = []
    for spec in a.nvdimm:
        path, size = spec.rsplit(":", 1)
        backings.append((path, int(size)))
    argv_q = ([beds.QEMU, "-machine", "pc,nvdimm=on", "-m", QEMU_MEMORY]
              + beds.nvdimm_args(backings)
              + ["-kernel", beds.kernel_image(kver), "-initrd", initrd,
                 "-append", KERNEL_ARGS, "-nographic", "-no-reboot",
                 "-nodefaults", "-serial", "stdio", "-monitor", "none"])
    qemurun.terminate_on_signals()
    res = qemurun.run(argv_q, timeout=a.timeout,
                      log_path=os.path.join(a.out_dir, "console.log"),
                      marks={"init": "XLNV-INIT", "done": "XLNV-DONE"},
                      stop_on="XLNV-DONE")
    results = {}
    exit_code = None
    for line in res.output.splitlines():
        m = RESULT_LINE.match(line)
        if m:
            results[m.group(1)] = m.group(2)
        elif line.startswith("XLNV-EXIT "):
            exit_code = int(line.split()[1])
    ok = "done" in res.marks and not res.timed_out
    error = "" if ok else ("timed out after %d s" % a.timeout if res.timed_out
                           else "the guest did not finish the scenario")
    with open(os.path.join(a.out_dir, "result.json"), "w") as f:
        json.dump({"ok": ok, "error": error, "elapsed": round(res.elapsed, 2),
                   "boot": round(res.marks.get("init", 0), 2), "exit": exit_code,
                   "nvdimm_spa": [beds.nvdimm_spa(i) for i in range(len(backings))],
                   "results": results}, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
