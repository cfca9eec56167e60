"""KubeVirt through python3-kubernetes, as an automation script drives it.

The suite's emulator runs with --install-kubevirt: the KubeVirt CR is
Deployed, VMs are admitted by virt-api's webhooks, start and stop through
the subresources.kubevirt.io API, and their VMIs move through the phases
a watch reports.
"""
import os
import unittest

import yaml
from kubernetes import watch
from kubernetes.client.rest import ApiException

import cluster

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GROUP, VERSION = 'kubevirt.io', 'v1'
WATCH_SECONDS = 20


def example(name):
    with open(os.path.join(REPO_ROOT, 'schemas', 'kubevirt', 'examples', name)) as file:
        return yaml.safe_load(file)


def call_subresource(namespace, name, action):
    """PUT .../virtualmachines/<name>/<action>, as virtctl does; returns the HTTP status."""
    _, status, _ = cluster.api_client().call_api(
        f'/apis/subresources.kubevirt.io/v1/namespaces/{namespace}/virtualmachines/{name}/{action}', 'PUT',
        body={}, header_params={'Content-Type': 'application/json'}, auth_settings=['BearerToken'],
        _return_http_data_only=False, _preload_content=False)
    return status


class KubeVirtTest(unittest.TestCase):
    def setUp(self):
        self.namespace = cluster.fresh_namespace('py-kubevirt')
        self.custom = cluster.custom_objects()

    def vmi_phases_until(self, name, final_phase):
        """Phases of VMI `name` as a watch reports them, until `final_phase` is seen."""
        phases = []
        stream = watch.Watch().stream(
            self.custom.list_namespaced_custom_object, GROUP, VERSION, self.namespace, 'virtualmachineinstances',
            field_selector=f'metadata.name={name}', timeout_seconds=WATCH_SECONDS)
        for event in stream:
            phase = event['object'].get('status', {}).get('phase')
            if phase and (not phases or phases[-1] != phase):
                phases.append(phase)
            if phase == final_phase:
                break
        return phases

    def test_kubevirt_is_deployed(self):
        kv = self.custom.get_namespaced_custom_object(GROUP, VERSION, 'kubevirt', 'kubevirts', 'kubevirt')
        self.assertEqual(kv['status']['phase'], 'Deployed')
        available = [c for c in kv['status']['conditions'] if c['type'] == 'Available']
        self.assertEqual(available[0]['status'], 'True')

    def test_vm_starts_runs_and_stops_through_the_subresource_api(self):
        vm = example('vm-cirros.yaml')
        created = self.custom.create_namespaced_custom_object(GROUP, VERSION, self.namespace, 'virtualmachines', vm)
        self.assertEqual(created['spec']['runStrategy'], 'Halted')
        # virt-api's mutator filled in the template's defaults.
        self.assertEqual(created['spec']['template']['spec']['domain']['machine']['type'], 'q35')

        self.assertEqual(call_subresource(self.namespace, 'vm-cirros', 'start'), 202)
        phases = self.vmi_phases_until('vm-cirros', 'Running')
        self.assertEqual(phases[-1], 'Running')
        self.assertTrue(set(phases) <= {'Pending', 'Scheduling', 'Scheduled', 'Running'}, phases)
        vmi = self.custom.get_namespaced_custom_object(GROUP, VERSION, self.namespace, 'virtualmachineinstances', 'vm-cirros')
        self.assertTrue(vmi['status']['nodeName'])
        self.assertRegex(vmi['status']['interfaces'][0]['ipAddress'], r'^10\.244\.\d+\.\d+$')
        running = cluster.wait_for(lambda: self.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, 'virtualmachines', 'vm-cirros').get('status', {}).get('printableStatus') == 'Running')
        self.assertTrue(running, 'the VM reports Running')

        self.assertEqual(call_subresource(self.namespace, 'vm-cirros', 'stop'), 202)
        stopped = cluster.wait_for(lambda: self.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, 'virtualmachines', 'vm-cirros').get('status', {}).get('printableStatus') == 'Stopped')
        self.assertTrue(stopped, 'the VM reports Stopped')
        with self.assertRaises(ApiException) as stopping_again:
            call_subresource(self.namespace, 'vm-cirros', 'stop')
        self.assertEqual(stopping_again.exception.status, 409)
        self.assertEqual(cluster.status_body(stopping_again.exception)['message'], 'Operation cannot be fulfilled on virtualmachine.kubevirt.io "vm-cirros": VM is not running')

    def test_invalid_vm_is_rejected_by_virt_api(self):
        vm = example('vm-cirros.yaml')
        del vm['spec']['runStrategy']
        with self.assertRaises(ApiException) as rejected:
            self.custom.create_namespaced_custom_object(GROUP, VERSION, self.namespace, 'virtualmachines', vm)
        status = cluster.status_body(rejected.exception)
        self.assertEqual(rejected.exception.status, 422)
        self.assertEqual(status['details']['causes'][0]['field'], 'spec.running')
        self.assertEqual(status['details']['causes'][0]['message'], 'RunStrategy must be specified')


if __name__ == '__main__':
    unittest.main()
