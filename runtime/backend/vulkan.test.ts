import { describe, expect, it } from 'vitest';
import { explainNoVulkanAdapter, findVulkanDrivers, findVulkanLoader, icdDirectories, isSoftwareDriver, vulkanFacts, type FileSystem } from './vulkan.js';

/** A file system holding exactly `files` (directories are implied by their paths). */
function fakeFs(files: Record<string, string>): FileSystem {
  return {
    existsSync: (p) => p in files,
    readdirSync: (dir) => {
      const names = Object.keys(files).filter((f) => f.startsWith(dir + '/')).map((f) => f.slice(dir.length + 1).split('/')[0]!);
      if (names.length === 0) throw Object.assign(new Error(`ENOENT: ${dir}`), { code: 'ENOENT' });
      return [...new Set(names)];
    },
    readFileSync: (p) => {
      if (!(p in files)) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      return Buffer.from(files[p]!, 'latin1');
    },
  };
}

const env = { HOME: '/home/u' };

describe('the Vulkan loader search', () => {
  it('follows LD_LIBRARY_PATH first, then the ld.so cache, then the trusted directories', () => {
    expect(findVulkanLoader({ ...env, LD_LIBRARY_PATH: '/opt/a:/opt/vk' }, fakeFs({ '/opt/vk/libvulkan.so.1': '' }))).toBe('/opt/vk/libvulkan.so.1');
    expect(findVulkanLoader(env, fakeFs({ '/etc/ld.so.cache': 'ld.so-1.7.0\0libc.so.6\0libvulkan.so.1\0/usr/lib/x86_64-linux-gnu/libvulkan.so.1' }))).toBe('ld.so.cache');
    expect(findVulkanLoader(env, fakeFs({ '/etc/ld.so.cache': 'libc.so.6', '/usr/lib64/libvulkan.so.1': '' }))).toBe('/usr/lib64/libvulkan.so.1');
    expect(findVulkanLoader(env, fakeFs({ '/etc/ld.so.cache': 'libc.so.6\0libvulkan.so\0' }))).toBe(null); // the dev symlink is not the loader
    expect(findVulkanLoader(env, fakeFs({}))).toBe(null);
  });
});

describe('the Vulkan driver (ICD) search', () => {
  it('reads the XDG config and data folders by default', () => {
    expect(icdDirectories(env)).toEqual([
      '/etc/xdg/vulkan/icd.d', '/etc/vulkan/icd.d', '/home/u/.local/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d',
    ]);
    const fs = fakeFs({ '/usr/share/vulkan/icd.d/nvidia_icd.json': '{}', '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json': '{}', '/etc/vulkan/icd.d/README': '' });
    expect(findVulkanDrivers(env, fs).drivers).toEqual(['/usr/share/vulkan/icd.d/lvp_icd.x86_64.json', '/usr/share/vulkan/icd.d/nvidia_icd.json']);
  });

  it('lets VK_DRIVER_FILES (or the older VK_ICD_FILENAMES) replace the search, and VK_ADD_DRIVER_FILES add to it', () => {
    const fs = fakeFs({ '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json': '{}', '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json': '{}' });
    expect(findVulkanDrivers({ ...env, VK_DRIVER_FILES: '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json' }, fs)).toEqual({
      drivers: ['/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json'],
      driverDirs: ['/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json'],
    });
    expect(findVulkanDrivers({ ...env, VK_ICD_FILENAMES: '/missing.json' }, fs).drivers).toEqual([]);
    expect(findVulkanDrivers({ ...env, VK_ADD_DRIVER_FILES: '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json' }, fs).drivers).toEqual([
      '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json', '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json',
    ]);
  });

  it('knows the CPU implementations', () => {
    expect(isSoftwareDriver('/usr/share/vulkan/icd.d/lvp_icd.x86_64.json')).toBe(true);
    expect(isSoftwareDriver('/opt/vk_swiftshader_icd.json')).toBe(true);
    expect(isSoftwareDriver('/usr/share/vulkan/icd.d/nvidia_icd.json')).toBe(false);
  });
});

describe('why Dawn found no Vulkan adapter', () => {
  it('names the first missing piece and what to install', () => {
    expect(explainNoVulkanAdapter(vulkanFacts(env, fakeFs({})))).toEqual({
      short: 'no Vulkan loader (libvulkan.so.1)',
      detail: 'the Vulkan loader libvulkan.so.1 is not installed (Debian/Ubuntu: apt-get install libvulkan1)',
    });
    const noDriver = explainNoVulkanAdapter(vulkanFacts(env, fakeFs({ '/usr/lib/libvulkan.so.1': '' })));
    expect(noDriver.short).toBe('Vulkan: no drivers');
    expect(noDriver.detail).toMatch(/^Vulkan found no drivers: no ICD manifest in \/etc\/xdg\/vulkan\/icd\.d, /);
    expect(noDriver.detail).toMatch(/nvidia_icd\.json.*VK_DRIVER_FILES.*libglvnd0 libglx0 libegl1/);
    const software = explainNoVulkanAdapter(vulkanFacts(env, fakeFs({ '/usr/lib/libvulkan.so.1': '', '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json': '{}' })));
    expect(software).toEqual({ short: 'Vulkan: only software drivers', detail: 'Vulkan has only software drivers (/usr/share/vulkan/icd.d/lvp_icd.x86_64.json): no GPU' });
    const broken = explainNoVulkanAdapter(vulkanFacts(env, fakeFs({ '/usr/lib/libvulkan.so.1': '', '/usr/share/vulkan/icd.d/nvidia_icd.json': '{}' })));
    expect(broken.short).toBe('Vulkan: drivers gave no adapter');
    expect(broken.detail).toMatch(/^Vulkan drivers are listed \(\/usr\/share\/vulkan\/icd\.d\/nvidia_icd\.json\) but none gave an adapter: .*libglvnd0 libglx0 libegl1.*vulkaninfo/);
  });
});
