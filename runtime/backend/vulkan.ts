/**
 * What a Linux machine offers Dawn's Vulkan backend, read from the file system in well under a
 * millisecond and without loading any driver: the Vulkan loader (libvulkan.so.1, which Dawn
 * dlopens) and the installable client driver (ICD) manifests the loader would read.
 *
 * Used two ways: under `auto`, a machine with no loader at all skips Dawn (so a CPU machine pays
 * nothing and sees none of Dawn's warnings); and when Dawn returns no adapter, these facts say
 * what is missing. An explicit `--backend webgpu` always asks Dawn, whatever this finds.
 *
 * Search rules followed (Linux only): dlopen's (LD_LIBRARY_PATH, /etc/ld.so.cache, the trusted
 * /lib and /usr/lib directories) and the Vulkan loader's for ICDs (VK_DRIVER_FILES /
 * VK_ICD_FILENAMES replace the search; VK_ADD_DRIVER_FILES adds to it; otherwise
 * $XDG_CONFIG_DIRS, /etc, $XDG_DATA_HOME and $XDG_DATA_DIRS, each + /vulkan/icd.d).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const VULKAN_LOADER = 'libvulkan.so.1';

export interface VulkanFacts {
  /** Where libvulkan.so.1 was found ('ld.so.cache' when only the cache lists it), or null. */
  loader: string | null;
  /** ICD manifest files found (e.g. /usr/share/vulkan/icd.d/nvidia_icd.json). */
  drivers: string[];
  /** The ICD folders searched, for messages. */
  driverDirs: string[];
}

/** The file-system calls this module makes; tests pass a fake. */
export interface FileSystem {
  existsSync(path: string): boolean;
  readdirSync(path: string): string[];
  readFileSync(path: string): Buffer;
}

const realFs: FileSystem = { existsSync, readdirSync: (p) => readdirSync(p), readFileSync: (p) => readFileSync(p) };

const LIBRARY_DIRS = ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu'];

function splitPath(value: string | undefined): string[] {
  return (value ?? '').split(':').filter((p) => p !== '');
}

export function findVulkanLoader(env: NodeJS.ProcessEnv = process.env, fs: FileSystem = realFs): string | null {
  for (const dir of splitPath(env.LD_LIBRARY_PATH)) {
    if (fs.existsSync(join(dir, VULKAN_LOADER))) return join(dir, VULKAN_LOADER);
  }
  try {
    // The cache is a binary table of names and paths; the name appears verbatim when listed.
    if (fs.readFileSync('/etc/ld.so.cache').includes(VULKAN_LOADER)) return 'ld.so.cache';
  } catch {
    // no cache (some minimal images): the directories below
  }
  for (const dir of LIBRARY_DIRS) {
    if (fs.existsSync(join(dir, VULKAN_LOADER))) return join(dir, VULKAN_LOADER);
  }
  return null;
}

export function icdDirectories(env: NodeJS.ProcessEnv = process.env): string[] {
  const configDirs = splitPath(env.XDG_CONFIG_DIRS).length ? splitPath(env.XDG_CONFIG_DIRS) : ['/etc/xdg'];
  const dataHome = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local/share');
  const dataDirs = splitPath(env.XDG_DATA_DIRS).length ? splitPath(env.XDG_DATA_DIRS) : ['/usr/local/share', '/usr/share'];
  return [...configDirs, '/etc', dataHome, ...dataDirs].map((d) => join(d, 'vulkan/icd.d'));
}

export function findVulkanDrivers(env: NodeJS.ProcessEnv = process.env, fs: FileSystem = realFs): { drivers: string[]; driverDirs: string[] } {
  const explicit = splitPath(env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES);
  const added = splitPath(env.VK_ADD_DRIVER_FILES);
  const driverDirs = explicit.length ? [] : icdDirectories(env);
  const drivers: string[] = [];
  for (const file of [...explicit, ...added]) if (fs.existsSync(file)) drivers.push(file);
  for (const dir of driverDirs) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) if (name.endsWith('.json')) drivers.push(join(dir, name));
  }
  return { drivers: [...new Set(drivers)], driverDirs: explicit.length ? explicit : driverDirs };
}

export function vulkanFacts(env: NodeJS.ProcessEnv = process.env, fs: FileSystem = realFs): VulkanFacts {
  return { loader: findVulkanLoader(env, fs), ...findVulkanDrivers(env, fs) };
}

/** ICD manifests of CPU implementations (Mesa lavapipe, SwiftShader): no GPU behind them. */
export function isSoftwareDriver(manifest: string): boolean {
  return /lvp_icd|lavapipe|swiftshader|vk_swiftshader/i.test(manifest);
}

/**
 * Why Dawn found no Vulkan adapter, from these facts: the first missing piece (`short`, for
 * auto's reason) and what to install (`detail`). (The NVIDIA driver's Vulkan ICD loads through
 * the GL vendor-neutral dispatch libraries; without them vkCreateInstance reports "Found no
 * drivers!".)
 */
export function explainNoVulkanAdapter(facts: VulkanFacts): { short: string; detail: string } {
  if (!facts.loader) {
    return {
      short: `no Vulkan loader (${VULKAN_LOADER})`,
      detail: `the Vulkan loader ${VULKAN_LOADER} is not installed (Debian/Ubuntu: apt-get install libvulkan1)`,
    };
  }
  const hardware = facts.drivers.filter((d) => !isSoftwareDriver(d));
  if (facts.drivers.length === 0) {
    return {
      short: 'Vulkan: no drivers',
      detail:
        `Vulkan found no drivers: no ICD manifest in ${facts.driverDirs.join(', ')}. On an NVIDIA GPU install the driver's ` +
        'Vulkan ICD (nvidia_icd.json, shipped with the driver; in a container, mount it or set VK_DRIVER_FILES to it) ' +
        'and the GL vendor libraries it loads through (apt-get install libglvnd0 libglx0 libegl1)',
    };
  }
  if (hardware.length === 0) {
    return { short: 'Vulkan: only software drivers', detail: `Vulkan has only software drivers (${facts.drivers.join(', ')}): no GPU` };
  }
  return {
    short: 'Vulkan: drivers gave no adapter',
    detail:
      `Vulkan drivers are listed (${hardware.join(', ')}) but none gave an adapter: the GPU driver may not match ` +
      'its ICD, or the GL vendor libraries it loads through are missing (apt-get install libglvnd0 libglx0 libegl1); ' +
      'run `vulkaninfo --summary` to see what the loader sees',
  };
}
