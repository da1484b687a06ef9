// Times every native addon call inside the DCGAN step.
import { nativeAddon, loadNativeKernels } from '../src/backend/native_kernels.ts';
loadNativeKernels({ threads: Number(process.env.T ?? 1) });
const addon = nativeAddon() as any;
const stats = new Map<string, { ms: number; calls: number; cpu: number }>();
for (const name of ['matmul', 'conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter', 'reduceRows', 'binary']) {
  const f = addon[name];
  addon[name] = (...args: any[]) => {
    const c0 = process.cpuUsage(); const t0 = performance.now();
    f(...args);
    const dt = performance.now() - t0; const c = process.cpuUsage(c0);
    const key = name + (name.startsWith('conv') ? ` ci${args[7]} co${args[10]}` : name === 'binary' ? ` op${args[1]} n${args[7]} modes${args[3]}${args[5]}` : '');
    const e = stats.get(key) ?? { ms: 0, calls: 0, cpu: 0 }; e.ms += dt; e.calls++; e.cpu += (c.user + c.system) / 1000; stats.set(key, e);
  };
}
process.on('exit', () => { for (const [k, v] of stats) console.error(k.padEnd(36), (v.ms).toFixed(1), 'ms', (v.cpu).toFixed(1), 'cpu ms', v.calls, 'calls'); });
process.argv.push('--engine', 'native', '--threads', process.env.T ?? '1', '--steps', '10');
await import('./dcgan_step.ts');
