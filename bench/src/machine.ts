import { readFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  kernel: string;
  /** 1-minute load average when the run started: other work on a shared machine shows here. */
  loadAverage: number;
}

export function describeMachine(): MachineInfo {
  let loadAverage = 0;
  try {
    loadAverage = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    loadAverage = 0;
  }
  return {
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    loadAverage,
  };
}
