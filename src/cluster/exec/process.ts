/**
 * What a container runtime runs for pods/exec and pods/attach, whatever
 * interprets the command: a process with input, output and an exit code.
 * `CommandRunner` is the seam a richer shell (the guest model's) can replace.
 */
export interface ProcessIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface ContainerProcess {
  /** Input from the client; undefined is its end. */
  input(data: Buffer | undefined): void;
  /** The client went away (a hang-up): the process ends. */
  hangUp(): void;
  /** Resolves with the exit code. */
  readonly exited: Promise<number>;
}

/** The container a command runs in, as the runtime sees it. */
export interface ContainerEnvironment {
  hostname: string;
  /** Environment variables, in order. */
  env: Array<[string, string]>;
  /** Absolute path to content; directories are implied by the paths. */
  files: ReadonlyMap<string, string>;
  /** The shell prompt of an interactive shell. */
  prompt: string;
  /** Extra commands of the image (e.g. virsh in virt-launcher), by name. */
  commands: ReadonlyMap<string, Command>;
}

/** A command: args without the name; returns the exit code. */
export type Command = (args: string[], env: ContainerEnvironment, io: ProcessIO) => number;

export interface CommandRunner {
  /** Starts argv in the container; throws the runtime's error when argv[0] is not an executable. */
  start(argv: string[], env: ContainerEnvironment, io: ProcessIO, options: { tty: boolean }): ContainerProcess;
}
