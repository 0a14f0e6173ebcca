#!/usr/bin/env python3
"""The Xen test bed: Xen 4.17 + PV dom0 (+ PVH/HVM guests) under QEMU TCG.

    xenbed.py --out-dir DIR --script SCENARIO.sh [--params FILE]
              [--nvdimm PATH:SIZE]... [--project-bin PATH]
              [--bin PATH[:DEST]]... [--file SRC:DEST]...
              [--tree DIR:PATH[,PATH...]]...
              [--dom0-arg KEY=VALUE]... [--timeout SECONDS] [--cache-dir DIR]
              [--hvm]

Builds (cached by content, tests/lib/mkinitramfs) a guest initramfs and a
dom0 initramfs holding Xen's userland, the HVM device model and firmware,
the guest kernel and initramfs, the project's CLI (--project-bin) and any
extra binaries/files (the device model and firmware only with --hvm),
the chosen PATHs of install trees (--tree, see tree_args),
SCENARIO.sh as /xlnv/test.sh (its folder as /xlnv/scenarios) and FILE as
/xlnv/params.sh.  Boots Xen with one emulated NVDIMM per --nvdimm (the
backing files belong to the caller and are left in place), under a time
limit, and always kills QEMU's process group.  dom0 arguments xlnv.KEY=VALUE
reach the scenario through /proc/cmdline (xlnv_arg KEY).

Writes into DIR: console.log (the whole serial console), dom0.log (without
the guests' logs), guest-NAME.log for each guest, result.json:
  {"ok": bool, "error": str, "qemu": {...}, "dom0_exit": int|null,
   "timings": {...}, "sizes": {...}, "results": {"dom0": {k: v}, NAME: {...}},
   "guests": [NAME...]}
Exit status: 0 when the boot ran to the end (whatever the checks say),
1 when it did not (timeout, crash), 2 when the bed cannot be built here
(missing QEMU, hypervisor, kernel: the caller fails loudly, never skips).
"""

import argparse
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.path.join(os.path.dirname(HERE), "lib")
sys.path.insert(0, LIB)
import beds  # noqa: E402
import qemurun  # noqa: E402

MKINITRAMFS = os.path.join(LIB, "mkinitramfs")
GUESTLIB = os.path.join(HERE, "guestlib.sh")
ROLES = os.path.join(HERE, "roles")
RESULT_LINE = re.compile(r"^RESULT ([A-Za-z0-9_.\-]+)=(.*)$")


class BedError(Exception):
    def __init__(self, message, missing=False):
        super().__init__(message)
        self.missing = missing


def required_host_files(kver):
    files = [beds.QEMU, beds.XEN_HYPERVISOR_GZ, beds.BUSYBOX,
             beds.XEN_DEVICE_MODEL]
    files += list(beds.XEN_DOM0_BINARIES) + list(beds.HVM_SUPPORT_FILES)
    if kver:
        files.append(beds.kernel_image(kver))
    return files


def xen_elf(cache_dir):
    """QEMU's multiboot loader wants the hypervisor uncompressed."""
    with open(beds.XEN_HYPERVISOR_GZ, "rb") as f:
        packed = f.read()
    digest = hashlib.sha256(packed).hexdigest()[:32]
    path = os.path.join(cache_dir, "xen-%s.elf" % digest)
    if not os.path.exists(path):
        tmp = path + ".tmp%d" % os.getpid()
        with open(tmp, "wb") as f:
            f.write(gzip.decompress(packed))
        os.replace(tmp, path)
    return path


def mkinitramfs(args):
    proc = subprocess.run([sys.executable, MKINITRAMFS] + args,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise BedError("mkinitramfs failed: " + proc.stderr.strip())
    return proc.stdout.strip()


def build_guest_initramfs(work, kver, cache_dir):
    # Small and compressed: an HVM guest's direct kernel boot pulls the
    # image through the device model's fw_cfg, slow under emulation.
    args = ["--out", os.path.join(work, "guest-initrd.gz"),
            "--init", os.path.join(HERE, "guest-init.sh"),
            "--kernel-version", kver, "--cache-dir", cache_dir,
            "--module-set", "nvdimm", "--module-set", "nvdimm-legacy",
            "--file", GUESTLIB + ":/usr/lib/xlnv/guestlib.sh",
            "--file", ROLES + ":/xlnv/roles"]
    for b in beds.GUEST_BINARIES:
        args += ["--bin", b]
    return mkinitramfs(args)


def stripped(binary, work):
    """A copy without debug info (a debug build of the CLI is ~90 MB, the
    image then takes longer to load than dom0 to boot); the binary itself
    when strip is missing or fails."""
    out = os.path.join(work, os.path.basename(binary) + ".stripped")
    proc = subprocess.run(["strip", "--strip-debug", "-o", out, binary],
                          capture_output=True, text=True)
    return out if proc.returncode == 0 else binary


def is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def tree_args(spec, work):
    """mkinitramfs arguments for --tree DIR:PATH[,PATH...]: those files or
    folders (relative to DIR, an install tree such as `scripts/build-libvirt
    DESTDIR` makes) at the same paths in dom0.  Symbolic links stay links,
    ELF files are stripped of debug info, and the host libraries the
    tree's ELF files need (ldd, the tree's own library folders first) come
    along; the tree's own files replace what other --bin options brought
    to the same path."""
    tree, sep, paths = spec.partition(":")
    tree = os.path.abspath(tree)
    if not sep or not paths or not os.path.isdir(tree):
        raise BedError("--tree wants DIR:PATH[,PATH...] with an existing DIR: " + spec)
    chosen = []
    for rel in paths.split(","):
        top = os.path.join(tree, rel.strip("/"))
        if not os.path.lexists(top):
            raise BedError("--tree: %s has no %s" % (tree, rel))
        if os.path.isdir(top) and not os.path.islink(top):
            for root, _, files in os.walk(top):
                chosen += [os.path.join(root, f) for f in sorted(files)]
        else:
            chosen.append(top)
    libdirs = sorted({os.path.dirname(f) for f in chosen if ".so" in os.path.basename(f)})
    env = dict(os.environ, LD_LIBRARY_PATH=":".join(libdirs))
    args, host_libs = [], set()
    strip_dir = os.path.join(work, "tree-stripped")
    for path in chosen:
        dest = "/" + os.path.relpath(path, tree)
        if os.path.islink(path):
            args += ["--link", "%s:%s" % (os.readlink(path), dest)]
            continue
        src = path
        if is_elf(path):
            proc = subprocess.run(["ldd", path], capture_output=True, text=True, env=env)
            for line in proc.stdout.splitlines():
                m = re.match(r"^\s*\S+\s+=>\s+(/\S+)\s+\(0x", line)
                if m and not os.path.realpath(m.group(1)).startswith(tree + "/"):
                    host_libs.add(m.group(1))
                elif "=> not found" in line:
                    raise BedError("--tree: %s: %s" % (path, line.strip()))
            src = os.path.join(strip_dir, os.path.relpath(path, tree))
            os.makedirs(os.path.dirname(src), exist_ok=True)
            if subprocess.run(["strip", "--strip-debug", "-o", src, path],
                              capture_output=True).returncode != 0:
                src = path
        args += ["--file", "%s:%s" % (src, dest)]
    for lib in sorted(host_libs):
        args += ["--bin", lib]
    return args


def build_dom0_initramfs(opts, work, kver, cache_dir, guest_initrd):
    args = ["--out", os.path.join(work, "dom0-initrd.cpio"), "--no-compress",
            "--init", os.path.join(HERE, "dom0-init.sh"),
            "--kernel-version", kver, "--cache-dir", cache_dir,
            "--module-set", "xen-dom0", "--module-set", "nvdimm",
            "--module-set", "ext4",
            "--file", GUESTLIB + ":/usr/lib/xlnv/guestlib.sh",
            "--file", beds.kernel_image(kver) + ":/guest/vmlinuz",
            "--file", guest_initrd + ":/guest/initrd",
            "--file", opts.script + ":/xlnv/test.sh",
            "--file", os.path.dirname(os.path.abspath(opts.script)) + ":/xlnv/scenarios",
            "--dir", "/var/log/xen/console", "--dir", "/var/lib/xen"]
    for b in beds.XEN_DOM0_BINARIES + beds.PMEM_TOOLS:
        args += ["--bin", b]
    if opts.hvm:
        # The device model and firmware are half the image: only for HVM.
        args += ["--bin", beds.XEN_DEVICE_MODEL]
        for f in beds.HVM_SUPPORT_FILES:
            args += ["--file", "%s:%s" % (f, f)]
    if opts.params:
        args += ["--file", opts.params + ":/xlnv/params.sh"]
    guest_args = os.path.join(work, "guest-args")
    with open(guest_args, "w") as f:
        f.write(beds.GUEST_KERNEL_ARGS + "\n")
    args += ["--file", guest_args + ":/xlnv/guest-args"]
    if opts.project_bin:
        args += ["--bin", stripped(opts.project_bin, work) + ":/usr/bin/virt-xen-nvdimm"]
    for b in opts.bin:
        args += ["--bin", b]
    for f in opts.file:
        args += ["--file", f]
    for t in opts.tree:
        args += tree_args(t, work)
    return mkinitramfs(args)


# Xen prints its own lines and the HVM guests' debug-port lines ("(XEN) ...",
# "(d3) ...") on the serial line that also carries dom0's console. A dom0
# line written in two pieces can get such a line in its middle, e.g.
# "RESULT h1.create=ok(d3) PCI-ISA link 2 routed to IRQ11" and then dom0's
# newline as an empty line. Xen writes whole lines, so the piece before
# its line is joined with the next line that is not Xen's.
XEN_LINE = re.compile(r"\((XEN|d\d+)\) ")


def untangle_xen_lines(text):
    out, pending = [], None
    for line in text.split("\n"):
        if XEN_LINE.match(line):
            out.append(line)
            continue
        m = XEN_LINE.search(line)
        if m:
            out.append(line[m.start():])
            pending = (pending or "") + line[:m.start()]
            continue
        if pending is not None:
            line, pending = pending + line, None
        out.append(line)
    if pending is not None:
        out.append(pending)
    return "\n".join(out)


def split_console(text):
    """(dom0 text, {guest: log}, dom0 exit status or None)."""
    text = untangle_xen_lines(text.replace("\r\n", "\n").replace("\r", "\n"))
    guests, dom0_lines, current = {}, [], None
    exit_status = None
    for line in text.split("\n"):
        m = re.match(r"^XLNV-LOG-BEGIN (\S+)$", line)
        if m:
            current = m.group(1)
            guests[current] = []
            continue
        if current and line == "XLNV-LOG-END " + current:
            current = None
            continue
        if current:
            guests[current].append(line)
            continue
        m = re.match(r"^XLNV-EXIT (\d+)$", line)
        if m:
            exit_status = int(m.group(1))
        dom0_lines.append(line)
    return ("\n".join(dom0_lines),
            {k: "\n".join(v) for k, v in guests.items()}, exit_status)


def parse_results(text):
    results = {}
    for line in text.split("\n"):
        m = RESULT_LINE.match(line.strip())
        if m:
            results[m.group(1)] = m.group(2).strip()
    return results


def run(opts):
    out_dir = os.path.abspath(opts.out_dir)
    os.makedirs(out_dir, exist_ok=True)
    report = {"ok": False, "error": "", "qemu": None, "dom0_exit": None,
              "timings": {}, "sizes": {}, "results": {}, "guests": []}
    t0 = time.monotonic()
    try:
        kver = opts.kernel_version or beds.kernel_version()
        missing = qemurun.require_files(required_host_files(kver))
        if not kver:
            missing.append("/boot/vmlinuz-* with /lib/modules/*")
        if missing:
            raise BedError("the Xen test bed needs these files (scripts/setup "
                           "installs them): " + ", ".join(missing), missing=True)
        backings = []
        for spec in opts.nvdimm:
            path, _, size = spec.rpartition(":")
            size = int(size, 0)
            if not os.path.isfile(path) or os.path.getsize(path) != size:
                raise BedError("NVDIMM backing %s must exist with size %d" % (path, size))
            backings.append((os.path.abspath(path), size))
        cache_dir = opts.cache_dir or beds.default_cache_dir()
        os.makedirs(cache_dir, exist_ok=True)
        with qemurun.TempDir("xlnv-xenbed-") as work:
            work = str(work)
            elf = xen_elf(cache_dir)
            guest_initrd = build_guest_initramfs(work, kver, cache_dir)
            dom0_initrd = build_dom0_initramfs(opts, work, kver, cache_dir,
                                               guest_initrd)
            report["sizes"] = {"guest_initramfs": os.path.getsize(guest_initrd),
                               "dom0_initramfs": os.path.getsize(dom0_initrd)}
            report["timings"]["build"] = round(time.monotonic() - t0, 2)
            dom0_args = beds.DOM0_KERNEL_ARGS + "".join(
                " xlnv." + a for a in opts.dom0_arg)
            argv = beds.xen_qemu_command(elf, beds.kernel_image(kver),
                                         dom0_initrd, dom0_args, backings)
            with open(os.path.join(out_dir, "qemu.argv"), "w") as f:
                f.write(" ".join(argv) + "\n")
            res = qemurun.run(argv, timeout=opts.timeout,
                              log_path=os.path.join(out_dir, "console.log"),
                              marks={"dom0_init": "XLNV-DOM0-INIT",
                                     "dom0_ready": "XLNV-DOM0-READY",
                                     "exit": "XLNV-EXIT"},
                              stop_on="XLNV-EXIT")
        report["qemu"] = res.as_dict()
        report["timings"].update({"boot_to_dom0_init": res.marks.get("dom0_init"),
                                  "boot_to_dom0_ready": res.marks.get("dom0_ready"),
                                  "qemu_total": round(res.elapsed, 2)})
        dom0_text, guest_logs, exit_status = split_console(res.output)
        with open(os.path.join(out_dir, "dom0.log"), "w") as f:
            f.write(dom0_text)
        report["results"]["dom0"] = parse_results(dom0_text)
        for name, log in guest_logs.items():
            with open(os.path.join(out_dir, "guest-%s.log" % name), "w") as f:
                f.write(log)
            report["results"][name] = parse_results(log)
        report["guests"] = sorted(guest_logs)
        report["dom0_exit"] = exit_status
        if res.timed_out:
            report["error"] = "time limit of %d s reached" % opts.timeout
        elif exit_status is None:
            report["error"] = "dom0 did not finish its script (crash?)"
        else:
            report["ok"] = True
        status = 0 if report["ok"] else 1
    except BedError as e:
        report["error"] = str(e)
        status = 2 if e.missing else 1
    except KeyboardInterrupt as e:
        report["error"] = "interrupted (%s)" % e
        status = 1
    report["timings"]["total"] = round(time.monotonic() - t0, 2)
    with open(os.path.join(out_dir, "result.json"), "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)
    if report["error"]:
        print("xenbed: error: " + report["error"], file=sys.stderr)
    return status


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out-dir", required=True)
    p.add_argument("--script", required=True)
    p.add_argument("--params")
    p.add_argument("--nvdimm", action="append", default=[], help="PATH:SIZE")
    p.add_argument("--project-bin")
    p.add_argument("--bin", action="append", default=[])
    p.add_argument("--file", action="append", default=[])
    p.add_argument("--tree", action="append", default=[],
                   help="DIR:PATH[,PATH...] of an install tree, at the same paths")
    p.add_argument("--dom0-arg", action="append", default=[])
    p.add_argument("--hvm", action="store_true",
                   help="put the HVM device model and firmware into dom0")
    p.add_argument("--kernel-version")
    p.add_argument("--timeout", type=int, default=300)
    p.add_argument("--cache-dir")
    opts = p.parse_args()
    for a in opts.dom0_arg:
        if not re.match(r"^[A-Za-z0-9_.\-]+=[^\s,]*$", a):
            p.error("--dom0-arg wants KEY=VALUE without spaces or commas: " + a)
    qemurun.terminate_on_signals()
    return run(opts)


if __name__ == "__main__":
    sys.exit(main())
