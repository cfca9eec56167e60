/**
 * virtualmachineinstances/{name}/portforward/{port}[/{protocol}] and the
 * same on virtualmachines (pkg/virt-api/rest/portforward.go): a TCP
 * connection to a port of the guest, tunnelled over a WebSocket
 * (`plain.kubevirt.io`: each binary message carries bytes of the stream, in
 * order). virt-api dials the VMI's first interface address before it
 * upgrades, so a port with no listener answers 500 "dialing VM: ... connection
 * refused" and no WebSocket is opened; a paused VMI answers 409.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Duplex } from 'node:stream';
import { type StatusError, badRequest, internalError } from '../../../api/errors.js';
import type { VirtualMachineInstance } from '../../controller/types.js';
import type { GuestMachine } from '../../handler/guest/machine.js';
import { offeredProtocol } from './console.js';
import { hasCondition } from './vmi-lifecycle.js';
import { vmiConflict } from './responses.js';
import { WebSocketConnection } from './websocket.js';

/** `22` or `22/tcp` as the path gives them. */
export function parsePortPath(rest: string): { port: string; protocol: string } {
  const [port = '', protocol = 'tcp'] = rest.split('/');
  return { port, protocol: protocol || 'tcp' };
}

/** What virt-api checks before dialing: not paused, an interface address, a port. */
export function portForwardProblem(vmi: VirtualMachineInstance, port: string): StatusError | undefined {
  if (hasCondition(vmi, 'Paused')) return vmiConflict(vmi.metadata.name!, 'VMI is paused');
  if (!vmi.status?.interfaces?.length) return badRequest('no network interfaces are present');
  if (port.length < 1) return badRequest('port must not be empty');
  return undefined;
}

/**
 * Dials the port on the guest (Go's net.Dial wording for its failures) and answers the server side of the
 * connection, or throws the 500 virt-api answers.
 */
export function dialGuest(
  vmi: VirtualMachineInstance,
  machine: GuestMachine | undefined,
  port: string,
  protocol: string,
): (stream: Duplex) => void {
  const address = `${(vmi.status?.interfaces?.[0] as { ipAddress?: string } | undefined)?.ipAddress ?? ''}:${port}`;
  const dialing = (reason: string) => internalError(`dialing VM: ${reason}`);
  if (protocol !== 'tcp' && protocol !== 'udp') throw dialing(`dial ${protocol}: unknown network ${protocol}`);
  const number = Number(port);
  if (!/^\d+$/.test(port) || number > 65535) throw dialing(`dial ${protocol} ${address}: address ${port}: invalid port`);
  // UDP has no connection to refuse: datagrams go out and nothing answers.
  if (protocol === 'udp') return (stream) => stream.resume();
  const server = machine?.connect(number);
  if (!server) throw dialing(`dial tcp ${address}: connect: connection refused`);
  return server;
}

/** Upgrades and carries the stream between the WebSocket and the guest's server. */
export function servePortForward(socket: Duplex, headers: IncomingHttpHeaders, server: (stream: Duplex) => void): void {
  const tunnel = new Duplex({
    read: () => undefined,
    write: (chunk: Buffer, _encoding, done) => {
      connection.send(chunk);
      done();
    },
    final: (done) => {
      connection.close();
      done();
    },
  });
  tunnel.on('error', () => tunnel.destroy());
  const connection = WebSocketConnection.accept(socket, headers, offeredProtocol(headers), {
    onMessage: (data) => tunnel.push(data),
    onClose: () => {
      tunnel.push(null);
      tunnel.destroy();
    },
  });
  server(tunnel);
}
