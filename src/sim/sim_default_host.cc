// sim:///default: the built-in simulated Xen host. Documented in
// docs/simulated-host.rst; change both together.
#include "sim/sim_host_description.h"

namespace xlnv::libxl {

const char *defaultSimHostXml()
{
    return R"XML(<simhost name='default'>
  <pmem>
    <!-- 1 TiB devdax namespace; the region keeps 2 MiB for the info block -->
    <region dev='region0' spa='0x10000000000' size='0x10000200000' align='2MiB' node='0'>
      <namespace dev='namespace0.0' mode='devdax' chardev='dax0.0'
                 offset='2MiB' size='1TiB' align='2MiB'/>
    </region>
    <!-- 64 GiB fsdax namespace with a DAX-mounted filesystem -->
    <region dev='region1' spa='0x30000000000' size='64GiB' align='2MiB' node='0'>
      <namespace dev='namespace1.0' mode='fsdax' blockdev='pmem1'
                 offset='2MiB' size='0xFFFE00000' align='2MiB' mount='pmem1'/>
    </region>
  </pmem>
  <guests>
    <guest id='1' state='running'>
      <domain type='xen'>
        <name>demo</name>
        <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
        <maxMemory slots='16' unit='KiB'>2147483648</maxMemory>
        <memory unit='KiB'>4194304</memory>
        <currentMemory unit='KiB'>4194304</currentMemory>
        <vcpu placement='static'>2</vcpu>
        <os>
          <type arch='x86_64' machine='xenfv'>hvm</type>
          <loader type='rom'>/usr/lib/xen-4.17/boot/hvmloader</loader>
          <boot dev='hd'/>
        </os>
        <features>
          <acpi/>
          <apic/>
          <pae/>
        </features>
        <cpu>
          <numa>
            <cell id='0' cpus='0-1' memory='4194304' unit='KiB'/>
          </numa>
        </cpu>
        <clock offset='utc'/>
        <on_poweroff>destroy</on_poweroff>
        <on_reboot>restart</on_reboot>
        <on_crash>destroy</on_crash>
        <devices>
          <emulator>/usr/libexec/xen-qemu-system-i386</emulator>
          <console type='pty'>
            <target type='xen' port='0'/>
          </console>
        </devices>
      </domain>
    </guest>
    <guest state='shutoff'>
      <domain type='xen'>
        <name>demo2</name>
        <uuid>8a3c6f0e-5b1d-4c2a-9e7f-0d1b2c3d4e5f</uuid>
        <maxMemory slots='16' unit='KiB'>1073741824</maxMemory>
        <memory unit='KiB'>2097152</memory>
        <currentMemory unit='KiB'>2097152</currentMemory>
        <vcpu placement='static'>1</vcpu>
        <os>
          <type arch='x86_64' machine='xenfv'>hvm</type>
          <loader type='rom'>/usr/lib/xen-4.17/boot/hvmloader</loader>
          <boot dev='hd'/>
        </os>
        <features>
          <acpi/>
          <apic/>
          <pae/>
        </features>
        <cpu>
          <numa>
            <cell id='0' cpus='0' memory='2097152' unit='KiB'/>
          </numa>
        </cpu>
        <clock offset='utc'/>
        <on_poweroff>destroy</on_poweroff>
        <on_reboot>restart</on_reboot>
        <on_crash>destroy</on_crash>
        <devices>
          <emulator>/usr/libexec/xen-qemu-system-i386</emulator>
        </devices>
      </domain>
    </guest>
  </guests>
</simhost>
)XML";
}

} // namespace xlnv::libxl
