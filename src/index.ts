/** The programmatic API: start an emulator from your own tests and talk to it. */
export { startEmulator, type EmulatorOptions, type RunningEmulator } from './emulator.js';
export type { Client, KindRef, ListOptions, WatchOptions, PatchType, DeleteOptions } from './client/client.js';
export type { KubeObject, KubeList, WatchEvent } from './api/types.js';
export { StatusError } from './api/errors.js';
export { VirtualClock, RealClock, type Clock } from './runtime/clock.js';
