/**
 * The guest's SSH server on port 22 (ssh2's server side over whatever byte
 * stream reaches the port, such as virt-api's port-forward tunnel): password
 * and public-key authentication against the guest's accounts, a shell on a
 * pty (the same shell, prompts and transcript as the serial console, and a
 * login the guest agent reports), `exec` of one command line (`scp -t`/`-f`
 * speak scp's protocol, as `virtctl scp` runs them) and the SFTP subsystem,
 * both over the guest's files. The host key
 * is generated per guest and kept in memory.
 */
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { GuestMachine } from './machine.js';
import { ScpEndpoint, parseScpCommand } from './scp-endpoint.js';
import { serveSftp } from './sftp-server.js';
import { ShellTerminal } from './shell-terminal.js';

const { Server, utils } = ssh2;

/** The OpenSSH banner, as the images' servers announce themselves. */
const IDENTS: Record<string, string> = { busybox: 'dropbear_2019.78', bash: 'OpenSSH_9.6' };

/** One SSH server per guest: its host key lives as long as the machine. */
export class GuestSshServer {
  private readonly server: InstanceType<typeof Server>;

  constructor(private readonly machine: GuestMachine) {
    const hostKey = utils.generateKeyPairSync('ed25519').private;
    this.server = new Server({ hostKeys: [hostKey], ident: IDENTS[machine.guest.image.shell] ?? 'OpenSSH_9.6' }, (client) =>
      this.serveClient(client),
    );
  }

  /** Serves one TCP connection to port 22, carried by `stream`. */
  accept(stream: Duplex): void {
    this.server.injectSocket(stream as never);
  }

  private serveClient(client: ssh2.Connection): void {
    const machine = this.machine;
    let userName = '';
    client.on('authentication', (ctx) => {
      userName = ctx.username;
      if (ctx.method === 'password' && machine.authenticate(ctx.username, ctx.password) && ctx.password !== '') return ctx.accept();
      if (ctx.method === 'publickey' && machine.authorizes(ctx.username, ctx.key.algo, ctx.key.data)) {
        // Without a signature the client only asks whether the key would do; with one, it must verify.
        if (!ctx.signature) return ctx.accept();
        const key = utils.parseKey(Buffer.concat([Buffer.from(`${ctx.key.algo} `), Buffer.from(ctx.key.data.toString('base64'))]));
        if (!(key instanceof Error) && key.verify(ctx.blob!, ctx.signature, ctx.hashAlgo)) return ctx.accept();
      }
      ctx.reject(['publickey', 'password']);
    });
    client.on('error', () => client.end());
    client.on('ready', () => {
      const user = machine.userNamed(userName);
      if (!user) return client.end();
      const stopWatching = machine.whenDown(() => client.end());
      client.on('close', () => stopWatching());
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        let pty = false;
        session.on('pty', (accept) => {
          pty = true;
          accept?.();
        });
        session.on('env', (accept) => accept?.());
        session.on('window-change', (accept) => accept?.());
        session.on('shell', (accept) => {
          const channel = accept();
          const toTerminal = (text: string): string => (pty ? text.replace(/\r?\n/g, '\r\n') : text);
          const terminal = new ShellTerminal(
            machine,
            user,
            machine.allocatePts(),
            (text) => channel.write(toTerminal(text)),
            (status) => {
              if (pty) channel.write('logout\r\n');
              channel.exit(status);
              channel.end();
            },
            pty,
          );
          channel.on('data', (data: Buffer) => terminal.input(data.toString('utf8')));
          channel.on('close', () => terminal.end());
        });
        session.on('sftp', (accept) => serveSftp(accept(), machine.filesFor(user)));
        session.on('exec', (accept, _reject, info) => {
          const channel = accept();
          const scp = parseScpCommand(info.command);
          if (scp) {
            const runAs = (scp.sudo && user.sudo && machine.userNamed('root')) || user;
            const endpoint = ScpEndpoint.start(scp, machine.filesFor(runAs), {
              write: (bytes) => channel.write(bytes),
              exit: (status) => {
                channel.exit(status);
                channel.end();
              },
            });
            channel.on('data', (data: Buffer) => endpoint.receive(data));
            channel.on('end', () => endpoint.endOfInput());
            return;
          }
          const shell = machine.openShell(user);
          const { output, action } = shell.run(info.command);
          channel.write(output);
          channel.exit(shell.lastStatus);
          channel.end();
          machine.act(action === 'exit' ? undefined : action);
        });
      });
    });
  }
}
