/** The paths virt-api serves its webhooks on (pkg/virt-api/api.go); virt-operator's are in operator-webhooks.ts. */
import { vmiCreateValidator, vmiUpdateValidator, vmValidator } from './core-validators.js';
import { cloneMutator, migrationMutator, vmiMutator, vmMutator } from './mutators.js';
import {
  allowAll,
  cloneValidator,
  exportValidator,
  migrationCreateValidator,
  migrationUpdateValidator,
  poolValidator,
  replicaSetValidator,
  restoreValidator,
  snapshotValidator,
} from './other-validators.js';

export const webhookPaths = {
  virtApi: {
    '/virtualmachines-mutate': vmMutator,
    '/virtualmachineinstances-mutate': vmiMutator,
    '/migration-mutate-create': migrationMutator,
    '/vm-clone-mutate-create': cloneMutator,
    '/virtualmachineinstances-validate-create': vmiCreateValidator,
    '/virtualmachineinstances-validate-update': vmiUpdateValidator,
    '/virtualmachines-validate': vmValidator,
    '/virtualmachinereplicaset-validate': replicaSetValidator,
    '/virtualmachinepool-validate': poolValidator,
    '/vmipreset-validate': allowAll,
    '/migration-validate-create': migrationCreateValidator,
    '/migration-validate-update': migrationUpdateValidator,
    '/virtualmachinesnapshots-validate': snapshotValidator,
    '/virtualmachinerestores-validate': restoreValidator,
    '/virtualmachineexports-validate': exportValidator,
    '/vm-clone-validate-create': cloneValidator,
    '/status-validate': allowAll,
    '/migration-policy-validate-create': allowAll,
    '/virtualmachineinstancetypes-validate': allowAll,
    '/virtualmachineclusterinstancetypes-validate': allowAll,
    '/virtualmachinepreferences-validate': allowAll,
    '/virtualmachineclusterpreferences-validate': allowAll,
    '/virtualmachinebackups-validate': allowAll,
    '/virtualmachinebackuptrackers-validate': allowAll,
    '/plugin-validate': allowAll,
  },
};
