#!/bin/sh
# Checks of the libvirt patch series, as TAP (see meson.build here).
set -u

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else notok "$desc"; fi; }

: "${WORKDIR:?}" "${BUILD_LIBVIRT:?}" "${LIBVIRT_PATCHES:?}"
with=$WORKDIR/dest-nvdimm
without=$WORKDIR/dest-plain
rm -rf "$with" "$without"

# scripts/build-libvirt of one flavour (enabled/disabled) into DESTDIR,
# with libvirt's libxlxml2domconfigtest; its output goes to LOG.
build_flavour() {               # FLAVOUR DESTDIR LOG
    if LIBVIRT_NVDIMM=$1 LIBVIRT_RUN_TESTS=1 "$BUILD_LIBVIRT" "$2" >"$3" 2>&1; then
        ok "build-libvirt with libxl_nvdimm=$1 (applies, builds, installs, libxlxml2domconfigtest passes)"
    else
        sed 's/^/# /' "$3"
        notok "build-libvirt with libxl_nvdimm=$1"
    fi
    grep '^build-libvirt: \(configure\|build\|cached\|done\)' "$3" | sed 's/^/# /'
}

# 1. With -Dlibxl_nvdimm=enabled.
log=$WORKDIR/build-nvdimm.log
build_flavour enabled "$with" "$log"
builddir=$(sed -n 's/^build-dir: //p' "$log" | tail -n 1)

# Every new case ran and passed (libvirt's test prints one line each).
for case in nvdimm-hvm nvdimm-hvm-current nvdimm-hvm-vnuma nvdimm-virt-install nvdimm-nova-vpmem; do
    check "libxlxml2domconfigtest: $case" grep -q "XML-2-JSON $case  *\.\.\. OK" "$log"
done
for case in nvdimm-hvm-dimm nvdimm-pv nvdimm-hvm-slots; do
    # (the refusal's message goes to stderr, between "..." and "OK")
    check "libxlxml2domconfigtest: $case refused" \
        sh -c "grep -A1 'parse fail $case  *\.\.\.' '$log' | grep -q 'OK\$'"
done
check "libxlxml2domconfigtest: the stock cases still pass" grep -q "XML-2-JSON basic-hvm  *\.\.\. OK" "$log"

# The install tree is a normal one, linked to our library.
libdir=$with/usr/lib/x86_64-linux-gnu
for f in usr/sbin/libvirtd usr/sbin/virtxend usr/bin/virsh \
         usr/lib/x86_64-linux-gnu/libvirt.so.0 \
         usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_libxl.so \
         etc/libvirt/libvirtd.conf etc/libvirt/libxl.conf \
         usr/share/libvirt/cpu_map/index.xml; do
    check "installed: $f" test -e "$with/$f"
done
drv=$libdir/libvirt/connection-driver/libvirt_driver_libxl.so
check "the libxl driver links libxl-nvdimm" sh -c "readelf -d '$drv' | grep -q 'NEEDED.*libxl-nvdimm.so'"
check "our library is in DESTDIR" sh -c "ls '$with'/usr/local/lib/*/libxl-nvdimm.so.0 >/dev/null 2>&1 || ls '$with'/usr/lib/*/libxl-nvdimm.so.0 >/dev/null 2>&1"

# 2. The series applies to Debian's source with quilt push -a, no fuzz
# (a fresh copy of the cached, pristine Debian tree).
src=$(dirname "$builddir")/src
if [ -n "$builddir" ] && [ -d "$src" ]; then
    pristine=$(dirname "$(dirname "$builddir")")/debian-src/tree
    tmp=$WORKDIR/quilt-check
    rm -rf "$tmp"
    cp -a "$pristine" "$tmp"
    if (cd "$tmp" && QUILT_PATCHES=$LIBVIRT_PATCHES QUILT_PC=.pc-nvdimm quilt push -a --fuzz=0 >"$WORKDIR/quilt.log" 2>&1); then
        ok "quilt push -a applies the series cleanly to Debian's libvirt $(cat "$(dirname "$pristine")/version")"
    else
        sed 's/^/# /' "$WORKDIR/quilt.log"
        notok "quilt push -a applies the series cleanly"
    fi
    check "every patch of the series was applied" \
        sh -c "[ \"\$(cd '$tmp' && QUILT_PATCHES='$LIBVIRT_PATCHES' QUILT_PC=.pc-nvdimm quilt applied | wc -l)\" -eq \"\$(grep -vc '^#' '$LIBVIRT_PATCHES/series')\" ]"
    check "every patch is signed off" \
        sh -c "for p in \$(grep -v '^#' '$LIBVIRT_PATCHES/series'); do grep -q '^Signed-off-by: ' '$LIBVIRT_PATCHES/'\$p || exit 1; done"
    rm -rf "$tmp"
else
    notok "quilt check: no cached libvirt tree"
fi

# 3. Without it: the stock driver, not linked to us, still passing.
log=$WORKDIR/build-plain.log
build_flavour disabled "$without" "$log"
drv=$without/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_libxl.so
check "without it the libxl driver does not link libxl-nvdimm" \
    sh -c "test -e '$drv' && ! readelf -d '$drv' | grep -q 'libxl-nvdimm'"
check "without it the NVDIMM cases are not compiled in" sh -c "! grep -q 'nvdimm-hvm' '$log'"

echo "1..$n"
[ "$failed" -eq 0 ]
