/**
 * `kubevirt-emulator kubeconfig`: a kubeconfig for any user or
 * ServiceAccount of a running emulator, so a test can act as a restricted
 * user in one line.
 *
 *   --user alice --group devs   a client certificate (CN=alice, O=devs) signed
 *                               by the cluster CA in --data-dir
 *   --service-account ns/name   a token from the TokenRequest API, asked for
 *                               with the admin credentials of --kubeconfig
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';

interface KubeconfigFlags {
  user?: string;
  group: string[];
  serviceAccount?: { namespace: string; name: string };
  expiration?: number;
  audience: string[];
  kubeconfig?: string;
  dataDir?: string;
  output?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function parseServiceAccount(value: string): { namespace: string; name: string } {
  const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(value);
  if (!match) throw new InvalidArgumentError('Must be <namespace>/<name>.');
  return { namespace: match[1]!, name: match[3]! };
}

async function parseExpirationMs(value: string): Promise<number> {
  const { parseDuration } = await import('../runtime/duration.js');
  return parseDuration(value);
}

/** Makes the kubeconfig text for the flags; throws an Error whose message tells the user what to change. */
export async function mintKubeconfig(flags: KubeconfigFlags): Promise<string> {
  const { connectionOf, ClusterApi } = await import('../scenario/cluster-api.js');
  const { buildKubeconfig, defaultKubeconfigPath, DEFAULT_CONTEXT_NAME } = await import('../server/kubeconfig.js');
  if ((flags.user === undefined) === (flags.serviceAccount === undefined))
    throw new Error('give exactly one of --user or --service-account');
  const kubeconfigPath = flags.kubeconfig ?? defaultKubeconfigPath();
  const cluster = connectionOf(kubeconfigPath);
  const base = { server: cluster.server.origin, caPem: cluster.ca, insecure: cluster.insecure, contextName: DEFAULT_CONTEXT_NAME };

  if (flags.serviceAccount) {
    const { namespace, name } = flags.serviceAccount;
    const spec = {
      ...(flags.audience.length > 0 ? { audiences: flags.audience } : {}),
      ...(flags.expiration !== undefined ? { expirationSeconds: Math.floor(flags.expiration / 1000) } : {}),
    };
    const request = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec };
    const api = new ClusterApi(kubeconfigPath);
    const path = `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`;
    const answer = await api.call<{ status: { token: string } }>('POST', path, request);
    return buildKubeconfig({ ...base, userName: `system:serviceaccount:${namespace}:${name}`, token: answer.status.token });
  }

  const { issueClientCertificate, readCertificateAuthority } = await import('../pki/certificates.js');
  if (cluster.server.protocol !== 'https:')
    throw new Error('the emulator serves plain HTTP, where client certificates cannot be sent: use --service-account');
  const dataDir = flags.dataDir ?? join(homedir(), '.kubevirt-emulator');
  const ca = await readCertificateAuthority(dataDir);
  if (!ca) throw new Error(`no cluster CA in ${dataDir}: pass the --data-dir the emulator runs with`);
  const samePem = (a: string, b: string) => a.replace(/\s+/g, '') === b.replace(/\s+/g, '');
  if (!cluster.ca || !samePem(cluster.ca, ca.certPem)) {
    throw new Error(
      `the CA in ${dataDir} is not the CA of ${cluster.server.origin} (from ${kubeconfigPath}): ` +
        'pass the --data-dir that emulator runs with',
    );
  }
  const validityDays = flags.expiration === undefined ? undefined : flags.expiration / (24 * 3600 * 1000);
  const certificate = await issueClientCertificate(ca, flags.user!, flags.group, validityDays);
  return buildKubeconfig({ ...base, userName: flags.user, clientCertificate: certificate });
}

export function addKubeconfigCommand(program: Command): void {
  program
    .command('kubeconfig')
    .description('print a kubeconfig for a user (client certificate) or a ServiceAccount (token) of a running emulator')
    .addOption(new Option('--user <name>', 'the user: a client certificate with this CN, signed by the cluster CA'))
    .addOption(new Option('--group <group>', "a group of the user (the certificate's O); repeat for more").default([]).argParser(collect))
    .addOption(
      new Option('--service-account <namespace/name>', 'a ServiceAccount: a token from its TokenRequest API').argParser(
        parseServiceAccount,
      ),
    )
    .addOption(
      new Option(
        '--expiration <duration>',
        'how long the credential lasts, e.g. 24h (default: a year for certificates, an hour for tokens)',
      ),
    )
    .addOption(
      new Option('--audience <audience>', 'an audience of the ServiceAccount token; repeat for more').default([]).argParser(collect),
    )
    .addOption(new Option('--kubeconfig <path>', 'the running emulator, with admin credentials (default: $KUBECONFIG or ~/.kube/config)'))
    .addOption(new Option('--data-dir <path>', "the emulator's data directory, holding the cluster CA (default: ~/.kubevirt-emulator)"))
    .addOption(new Option('--output <file>', 'write the kubeconfig here (mode 0600) instead of stdout'))
    .action(async (raw: Omit<KubeconfigFlags, 'expiration'> & { expiration?: string }) => {
      const flags: KubeconfigFlags = {
        ...raw,
        expiration: raw.expiration === undefined ? undefined : await parseExpirationMs(raw.expiration),
      };
      const text = await mintKubeconfig(flags);
      if (!flags.output) return void process.stdout.write(text);
      const { writePrivateFile } = await import('../server/kubeconfig.js');
      await writePrivateFile(flags.output, text);
    });
}
