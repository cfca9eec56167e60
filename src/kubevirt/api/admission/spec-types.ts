/**
 * The fields of kubevirt.io/v1 VirtualMachineInstanceSpec that virt-api's
 * defaulting and validation read (staging/src/kubevirt.io/api/core/v1/
 * schema.go). Every other field is carried through untouched.
 */
type Open = { [field: string]: unknown };

export interface FeatureState extends Open {
  enabled?: boolean;
}

export interface DiskTarget extends Open {
  bus?: string;
  readonly?: boolean;
  tray?: string;
}

export interface Disk extends Open {
  name: string;
  disk?: DiskTarget;
  cdrom?: DiskTarget;
  lun?: DiskTarget;
  bootOrder?: number;
}

export interface Interface extends Open {
  name: string;
  bootOrder?: number;
  bridge?: Open;
  masquerade?: Open;
  sriov?: Open;
  slirp?: Open;
  passt?: Open;
  macvtap?: Open;
  binding?: { name?: string };
}

export interface Network extends Open {
  name: string;
  pod?: Open;
  multus?: Open;
}

export interface CloudInitSource extends Open {
  userData?: string;
  userDataBase64?: string;
  networkData?: string;
  networkDataBase64?: string;
}

export interface Volume extends Open {
  name: string;
  containerDisk?: { image?: string; imagePullPolicy?: string } & Open;
  dataVolume?: { name?: string } & Open;
  cloudInitNoCloud?: CloudInitSource;
  cloudInitConfigDrive?: CloudInitSource;
  hostDisk?: Open;
  downwardMetrics?: Open;
}

export interface Probe extends Open {
  httpGet?: Open;
  tcpSocket?: Open;
  exec?: Open;
  guestAgentPing?: Open;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface ResourceList {
  [resource: string]: string;
}

export interface Cpu extends Open {
  sockets?: number;
  cores?: number;
  threads?: number;
  maxSockets?: number;
  model?: string;
  dedicatedCpuPlacement?: boolean;
  isolateEmulatorThread?: boolean;
  realtime?: Open;
}

export interface Memory extends Open {
  guest?: string;
  maxGuest?: string;
  hugepages?: { pageSize?: string };
}

export interface Devices extends Open {
  disks?: Disk[];
  filesystems?: Array<{ name: string } & Open>;
  interfaces?: Interface[];
  inputs?: Array<{ name?: string; bus?: string; type?: string } & Open>;
  watchdog?: { name?: string; i6300esb?: { action?: string } } & Open;
  hostDevices?: unknown[];
  autoattachPodInterface?: boolean;
  autoattachVSOCK?: boolean;
}

export interface Domain extends Open {
  cpu?: Cpu;
  memory?: Memory;
  machine?: { type?: string };
  resources?: { requests?: ResourceList; limits?: ResourceList } & Open;
  devices?: Devices;
  firmware?: { uuid?: string; serial?: string; bootloader?: { bios?: Open; efi?: { secureBoot?: boolean } & Open } } & Open;
  features?: { acpi?: FeatureState; smm?: FeatureState } & Open;
  launchSecurity?: Open;
}

export interface VmiSpec extends Open {
  domain?: Domain;
  volumes?: Volume[];
  networks?: Network[];
  architecture?: string;
  evictionStrategy?: string;
  startStrategy?: string;
  hostname?: string;
  subdomain?: string;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  dnsPolicy?: string;
  dnsConfig?: Open;
}
