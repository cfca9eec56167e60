/**
 * What an image's containers look like from inside, as data: the files a
 * command sees (/etc/os-release and the ones the kubelet writes: hostname,
 * hosts, resolv.conf), the shell prompt, and the image's own commands
 * (virt-launcher's `virsh`, which KubeVirt's tests run in the compute
 * container). The first profile whose pattern matches the image applies.
 */
import type { Container, Pod } from '../../kube/pods.js';
import type { Command, ContainerEnvironment } from './process.js';

interface ImageProfile {
  image: RegExp;
  osRelease: string;
  commands?: (pod: Pod) => Array<[string, Command]>;
}

const osRelease = (fields: Record<string, string>): string =>
  Object.entries(fields)
    .map(([key, value]) => `${key}="${value}"\n`)
    .join('');

/** virsh in virt-launcher's compute container: the one domain, `<namespace>_<vmi>`, running. */
function virsh(pod: Pod): Command {
  const vmi = pod.metadata.annotations?.['kubevirt.io/domain'] ?? pod.metadata.labels?.['vm.kubevirt.io/name'] ?? pod.metadata.name ?? '';
  const domain = `${pod.metadata.namespace}_${vmi}`;
  return (args, _env, io) => {
    const [subcommand, name] = args.filter((a) => !a.startsWith('-'));
    if (subcommand === 'list') {
      io.stdout(
        ` Id   Name${' '.repeat(Math.max(1, domain.length - 1))}State\n${'-'.repeat(domain.length + 17)}\n 1    ${domain}   running\n\n`,
      );
      return 0;
    }
    if (subcommand === 'domstate' || subcommand === 'domname') {
      if (name !== domain && name !== '1') {
        io.stderr(`error: failed to get domain '${name}'\n`);
        return 1;
      }
      io.stdout(subcommand === 'domstate' ? 'running\n\n' : `${domain}\n\n`);
      return 0;
    }
    io.stderr(`error: unknown command: '${subcommand ?? ''}'\n`);
    return 1;
  };
}

const PROFILES: ImageProfile[] = [
  {
    image: /virt-launcher/,
    osRelease: osRelease({ NAME: 'CentOS Stream', VERSION: '9', ID: 'centos', ID_LIKE: 'rhel fedora', VERSION_ID: '9' }),
    commands: (pod) => [['virsh', virsh(pod)]],
  },
  {
    image: /alpine/,
    osRelease: osRelease({ NAME: 'Alpine Linux', ID: 'alpine', VERSION_ID: '3.20.3', PRETTY_NAME: 'Alpine Linux v3.20' }),
  },
  {
    image: /./,
    osRelease: osRelease({ PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)', NAME: 'Debian GNU/Linux', VERSION_ID: '12', ID: 'debian' }),
  },
];

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const CLUSTER_DNS = '10.96.0.10';

/** The container's view of itself for the command runner. */
export function containerEnvironment(pod: Pod, container: Container): ContainerEnvironment {
  const profile = PROFILES.find((p) => p.image.test(container.image ?? ''))!;
  const hostname = (pod.spec.hostname as string | undefined) ?? pod.metadata.name ?? '';
  const namespace = pod.metadata.namespace ?? 'default';
  const podIp = pod.status?.podIP ?? '';
  const literalEnv = ((container.env as Array<{ name: string; value?: string }> | undefined) ?? []).filter((e) => e.value !== undefined);
  return {
    hostname,
    env: [['PATH', PATH], ['HOSTNAME', hostname], ...literalEnv.map((e): [string, string] => [e.name, e.value!]), ['HOME', '/root']],
    files: new Map([
      ['/etc/os-release', profile.osRelease],
      ['/etc/hostname', `${hostname}\n`],
      [
        '/etc/hosts',
        `# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${podIp}\t${hostname}\n`,
      ],
      [
        '/etc/resolv.conf',
        `search ${namespace}.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${CLUSTER_DNS}\noptions ndots:5\n`,
      ],
      ['/var/run/secrets/kubernetes.io/serviceaccount/namespace', namespace],
    ]),
    prompt: '# ',
    commands: new Map(profile.commands?.(pod) ?? []),
  };
}
