"""One place for the facts both QEMU test beds need.

QEMU flags, the Xen command line, kernel module lists and host paths are
data here; the harnesses (tests/xen, tests/guest) and tests/lib/mkinitramfs
read them from this module instead of repeating them.  Why each flag is
there: ../shared/reference/xen-testbed.md and host-pmem.md.
"""

import glob
import os

# --- Host paths (Debian 12 packages, see scripts/setup) ---------------------

QEMU = "/usr/bin/qemu-system-x86_64"
BUSYBOX = "/bin/busybox"                      # busybox-static
XEN_HYPERVISOR_GZ = "/boot/xen-4.17-amd64.gz"  # xen-hypervisor-4.17-amd64
XEN_BIN_DIR = "/usr/lib/xen-4.17/bin"          # xen-utils-4.17
HVMLOADER = "/usr/lib/xen-4.17/boot/hvmloader"
# The device model libxl starts for HVM guests (qemu-system-xen).
XEN_DEVICE_MODEL = "/usr/libexec/xen-qemu-system-i386"
# Where libgcc_s.so.1 may live: xl's threads abort (pthread_cancel) without it.
LIBGCC_S_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/libgcc_s.so.1",
    "/lib/x86_64-linux-gnu/libgcc_s.so.1",
)

# Xen userland put into dom0 (all keep their host paths: libxl has them
# compiled in).
XEN_DOM0_BINARIES = (
    XEN_BIN_DIR + "/xl",
    XEN_BIN_DIR + "/xenstored",
    XEN_BIN_DIR + "/xenconsoled",
    XEN_BIN_DIR + "/xen-init-dom0",
    XEN_BIN_DIR + "/xenctx",            # registers of a crashed guest
    "/usr/bin/xenstore-read",
    "/usr/bin/xenstore-write",
    "/usr/bin/xenstore-ls",
)
# Extra dom0 tools for the pmem checks (ndctl, filesystems, FIEMAP).
PMEM_TOOLS = (
    "/usr/bin/ndctl",
    "/usr/sbin/mkfs.ext4",
    "/usr/sbin/filefrag",
)
# Files the HVM device model and hvmloader need, copied at their host path.
# Without the keymap the device model exits ("could not read keymap file").
HVM_SUPPORT_FILES = (
    HVMLOADER,
    "/usr/share/seabios/bios-256k.bin",
    "/usr/share/qemu/linuxboot.bin",
    "/usr/share/qemu/linuxboot_dma.bin",
    "/usr/share/qemu/kvmvapic.bin",
    "/usr/share/qemu/keymaps/en-us",
)
# Binaries a guest needs besides busybox: xenstore access for signalling.
GUEST_BINARIES = (
    "/usr/bin/xenstore-read",
    "/usr/bin/xenstore-write",
)

# --- Kernel modules (names as in modules.dep; dependencies are added) -----

MODULE_SETS = {
    # dom0's Xen interfaces: event channels, privcmd, grants, /proc/xen.
    "xen-dom0": ["xen-evtchn", "xen-privcmd", "xen-gntdev", "xen-gntalloc",
                 "xenfs"],
    # NVDIMM bus, ACPI NFIT, pmem block device, device DAX.
    "nvdimm": ["libnvdimm", "nfit", "nd_btt", "nd_pmem", "device_dax",
               "dax_pmem"],
    # Legacy e820 pmem (memmap=SIZE!ADDR).
    "nvdimm-legacy": ["nd_e820"],
    # ext4 with its checksum dependency (softdep crypto-crc32c).
    "ext4": ["crc32c_generic", "crc16", "mbcache", "jbd2", "ext4"],
    # /proc/xen in a guest (xenstore tools use /dev/xen/xenbus).
    "xen-guest": ["xenfs"],
}


def modules(*sets):
    """Module names of the given MODULE_SETS, in order, without repeats."""
    names = []
    for s in sets:
        for name in MODULE_SETS[s]:
            if name not in names:
                names.append(name)
    return names


# --- Kernel ---------------------------------------------------------------

def kernel_version():
    """The newest kernel that has both an image in /boot and modules."""
    found = []
    for image in glob.glob("/boot/vmlinuz-*"):
        ver = image[len("/boot/vmlinuz-"):]
        if os.path.isdir(os.path.join("/lib/modules", ver)):
            found.append(ver)
    if not found:
        return None
    return sorted(found, key=_version_key)[-1]


def _version_key(ver):
    parts = []
    for piece in ver.replace("-", ".").split("."):
        parts.append((0, int(piece), "") if piece.isdigit() else (1, 0, piece))
    return parts


def kernel_image(ver):
    return "/boot/vmlinuz-" + ver


# --- The outer QEMU machine -----------------------------------------------

# CPU model for Xen under TCG: +svm,+npt give HVM/PVH with HAP; -monitor
# keeps Xen's idle loop off MWAIT; -smap,-smep keep the PV dom0 alive;
# -rdtscp because QEMU's SVM has no next-RIP save and Xen cannot emulate it.
# No XSAVE/AVX: with them dom0's user space saw corrupted computations
# under nested TCG (random segfaults in busybox and xl, "unable to XZ
# decompress kernel" from xl create), Xen then switches vector state with
# XSAVE/XRSTOR (issue 3); without them it uses FXSAVE/FXRSTOR.
XEN_QEMU_CPU = ("EPYC,+svm,+npt,-monitor,-smap,-smep,-rdtscp,"
                "-xsave,-xsaveopt,-xgetbv1,-avx,-avx2,-fma,-f16c")
XEN_QEMU_SMP = 2
XEN_QEMU_MEMORY = "2G,slots=4,maxmem=16G"
# asid=0: QEMU's SVM does not flush on ASID change, so without it a
# mapping added to a running guest is never seen.  cpuidle=no: no MWAIT.
XEN_CMDLINE = ("dom0_mem=1024M console=com1 com1=115200 cpuidle=no asid=0 "
               "loglvl=warning guest_loglvl=all")
# dom0 kernel: console on the Xen console (serial via Xen); iomem=relaxed
# lets busybox devmem reach the NVDIMM; panic reboots (QEMU has -no-reboot).
# mitigations=off: fewer MSR writes, each a trip through emulated SVM.
DOM0_KERNEL_ARGS = "console=hvc0 quiet iomem=relaxed panic=-1 mitigations=off"
# Test guests (PVH: hvc0; HVM: ttyS0) get these plus their role's words.
GUEST_KERNEL_ARGS = "quiet iomem=relaxed mitigations=off"

# A plain Linux guest (tests/guest) with NVDIMMs.
LINUX_QEMU_MEMORY = "512M,slots=4,maxmem=8G"
LINUX_KERNEL_ARGS = "console=ttyS0 quiet panic=-1 iomem=relaxed"

# NVDIMM region sizes must be multiples of 16 MiB; the label area comes on top.
NVDIMM_LABEL_SIZE = 128 * 1024
NVDIMM_REGION_ALIGN = 16 << 20
# NVDIMM i sits at a fixed system physical address: FIRST + i * STRIDE
# (QEMU would otherwise pack them right after each other's label area,
# which leaves the next region unaligned).  Each must be at most STRIDE.
NVDIMM_FIRST_SPA = 0x100000000
NVDIMM_SPA_STRIDE = 0x80000000


def nvdimm_spa(index):
    return NVDIMM_FIRST_SPA + index * NVDIMM_SPA_STRIDE


def nvdimm_args(backings):
    """QEMU arguments for NVDIMMs; backings: list of (path, size_bytes)
    where size_bytes includes the label area.  The backing file's byte X
    is the guest's physical address nvdimm_spa(i) + X."""
    args = []
    for i, (path, size) in enumerate(backings):
        if size > NVDIMM_SPA_STRIDE:
            raise ValueError("NVDIMM backing larger than %d bytes" % NVDIMM_SPA_STRIDE)
        args += ["-object", "memory-backend-file,id=nvmem%d,share=on,"
                            "mem-path=%s,size=%d" % (i, path, size),
                 "-device", "nvdimm,id=nvdimm%d,memdev=nvmem%d,"
                            "label-size=%d,addr=0x%x"
                            % (i, i, NVDIMM_LABEL_SIZE, nvdimm_spa(i))]
    return args


def xen_qemu_command(xen_elf, dom0_kernel, dom0_initrd, dom0_args, backings,
                     xen_cmdline=XEN_CMDLINE):
    """argv for QEMU booting Xen (multiboot) with a PV dom0."""
    if "," in dom0_args or "," in dom0_kernel or "," in dom0_initrd:
        # QEMU separates multiboot modules by commas.
        raise ValueError("commas are not allowed in multiboot module strings")
    modules_arg = "%s %s,%s" % (dom0_kernel, dom0_args, dom0_initrd)
    return ([QEMU, "-machine", "pc,nvdimm=on", "-cpu", XEN_QEMU_CPU,
             "-smp", str(XEN_QEMU_SMP), "-m", XEN_QEMU_MEMORY]
            + nvdimm_args(backings)
            + ["-kernel", xen_elf, "-append", xen_cmdline,
               "-initrd", modules_arg,
               "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
               "-monitor", "none"])


def linux_qemu_command(kernel, initrd, args, backings, extra=()):
    """argv for QEMU booting a plain Linux kernel with NVDIMMs."""
    return ([QEMU, "-machine", "pc,nvdimm=on", "-m", LINUX_QEMU_MEMORY]
            + nvdimm_args(backings)
            + ["-kernel", kernel, "-initrd", initrd, "-append", args,
               "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
               "-monitor", "none"]
            + list(extra))


def default_cache_dir():
    """Build dir's tests/cache when run from meson, else the user cache."""
    builddir = os.environ.get("abs_top_builddir")
    if builddir:
        return os.path.join(builddir, "tests", "cache")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "libxl-nvdimm")
