"""Built-in resources through python3-kubernetes: namespaces, ConfigMaps, Deployments, errors, deletion."""
import json
import unittest

from kubernetes.client.rest import ApiException

import cluster


def config_map(name, data):
    return {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': name}, 'data': data}


def deployment(name, containers):
    labels = {'app': name}
    return {
        'apiVersion': 'apps/v1',
        'kind': 'Deployment',
        'metadata': {'name': name, 'labels': {'tier': 'web'}},
        'spec': {
            # No replicas: the patch tests need no pods.
            'replicas': 0,
            'selector': {'matchLabels': labels},
            'template': {'metadata': {'labels': labels}, 'spec': {'containers': containers}},
        },
    }


class NamespacesTest(unittest.TestCase):
    def test_lists_the_namespaces_every_cluster_starts_with(self):
        namespaces = cluster.core().list_namespace()
        names = {item.metadata.name for item in namespaces.items}
        self.assertLessEqual({'default', 'kube-system', 'kube-public', 'kube-node-lease'}, names)
        self.assertTrue(namespaces.metadata.resource_version, 'a list carries its resourceVersion')
        default = next(item for item in namespaces.items if item.metadata.name == 'default')
        self.assertEqual(default.status.phase, 'Active')


class ConfigMapTest(unittest.TestCase):
    def setUp(self):
        self.namespace = cluster.fresh_namespace('py-configmap')

    def test_create_returns_the_stored_object(self):
        created = cluster.core().create_namespaced_config_map(self.namespace, config_map('settings', {'color': 'blue'}))
        self.assertEqual(created.metadata.name, 'settings')
        self.assertEqual(created.metadata.namespace, self.namespace)
        self.assertEqual(created.data, {'color': 'blue'})
        self.assertTrue(created.metadata.uid)
        self.assertTrue(created.metadata.resource_version)
        self.assertIsNotNone(created.metadata.creation_timestamp)
        read = cluster.core().read_namespaced_config_map('settings', self.namespace)
        self.assertEqual(read.metadata.uid, created.metadata.uid)

    def test_strategic_merge_patch_merges_data_and_deletes_null_keys(self):
        api = cluster.core()
        created = api.create_namespaced_config_map(self.namespace, config_map('merge', {'keep': '1', 'drop': '2'}))
        # A dict body makes python3-kubernetes send application/strategic-merge-patch+json.
        patched = api.patch_namespaced_config_map(
            'merge', self.namespace, {'metadata': {'labels': {'patched': 'yes'}}, 'data': {'added': '3', 'drop': None}})
        self.assertEqual(patched.data, {'keep': '1', 'added': '3'})
        self.assertEqual(patched.metadata.labels, {'patched': 'yes'})
        self.assertNotEqual(patched.metadata.resource_version, created.metadata.resource_version)


class DeploymentPatchTest(unittest.TestCase):
    def setUp(self):
        self.namespace = cluster.fresh_namespace('py-deployment')

    def test_strategic_merge_patch_merges_containers_by_name(self):
        api = cluster.apps()
        api.create_namespaced_deployment(self.namespace, deployment('web', [
            {'name': 'app', 'image': 'registry.example/app:1'},
            {'name': 'sidecar', 'image': 'registry.example/sidecar:1'},
        ]))
        patch = {
            'metadata': {'labels': {'release': 'canary'}},
            'spec': {'template': {'spec': {'containers': [{'name': 'sidecar', 'image': 'registry.example/sidecar:2'}]}}},
        }
        patched = api.patch_namespaced_deployment('web', self.namespace, patch)
        # A merge patch would have replaced the list; strategic merge keys containers by name.
        images = {container.name: container.image for container in patched.spec.template.spec.containers}
        self.assertEqual(images, {'app': 'registry.example/app:1', 'sidecar': 'registry.example/sidecar:2'})
        self.assertEqual(patched.metadata.labels, {'tier': 'web', 'release': 'canary'})
        self.assertEqual(patched.metadata.generation, 2, 'a spec change bumps the generation')


class ErrorsTest(unittest.TestCase):
    def setUp(self):
        self.namespace = cluster.fresh_namespace('py-errors')

    def test_missing_object_is_404_with_a_not_found_status(self):
        with self.assertRaises(ApiException) as raised:
            cluster.core().read_namespaced_config_map('missing', self.namespace)
        self.assertEqual(raised.exception.status, 404)
        self.assertEqual(raised.exception.reason, 'Not Found')
        status = cluster.status_body(raised.exception)
        self.assertEqual(status['kind'], 'Status')
        self.assertEqual(status['apiVersion'], 'v1')
        self.assertEqual(status['status'], 'Failure')
        self.assertEqual(status['reason'], 'NotFound')
        self.assertEqual(status['code'], 404)
        self.assertEqual(status['message'], 'configmaps "missing" not found')
        self.assertEqual(status['details'], {'name': 'missing', 'kind': 'configmaps'})

    def test_invalid_name_is_422_with_a_field_cause(self):
        with self.assertRaises(ApiException) as raised:
            cluster.core().create_namespaced_config_map(self.namespace, config_map('Invalid_Name', {}))
        self.assertEqual(raised.exception.status, 422)
        status = cluster.status_body(raised.exception)
        self.assertEqual(status['kind'], 'Status')
        self.assertEqual(status['reason'], 'Invalid')
        self.assertEqual(status['code'], 422)
        self.assertTrue(
            status['message'].startswith('ConfigMap "Invalid_Name" is invalid: metadata.name: Invalid value: "Invalid_Name": '),
            status['message'])
        self.assertEqual(status['details']['name'], 'Invalid_Name')
        self.assertEqual(status['details']['kind'], 'ConfigMap')
        causes = status['details']['causes']
        self.assertEqual([(cause['reason'], cause['field']) for cause in causes], [('FieldValueInvalid', 'metadata.name')])

    def test_creating_a_duplicate_is_409_already_exists(self):
        api = cluster.core()
        api.create_namespaced_config_map(self.namespace, config_map('twice', {}))
        with self.assertRaises(ApiException) as raised:
            api.create_namespaced_config_map(self.namespace, config_map('twice', {}))
        self.assertEqual(raised.exception.status, 409)
        status = cluster.status_body(raised.exception)
        self.assertEqual(status['reason'], 'AlreadyExists')
        self.assertEqual(status['message'], 'configmaps "twice" already exists')


class ForegroundDeleteTest(unittest.TestCase):
    def setUp(self):
        self.namespace = cluster.fresh_namespace('py-delete')

    def test_foreground_delete_removes_the_object(self):
        api = cluster.core()
        api.create_namespaced_config_map(self.namespace, config_map('doomed', {'a': 'b'}))
        # Sent as DELETE ?propagationPolicy=Foreground with an empty JSON body.
        api.delete_namespaced_config_map('doomed', self.namespace, propagation_policy='Foreground')
        # The garbage collector drops the foregroundDeletion finalizer once no dependent blocks it.
        self.assertTrue(
            cluster.wait_for(lambda: not _exists(api, 'doomed', self.namespace), timeout_seconds=10),
            'the object is still there 10 s after a Foreground delete')

    def test_foreground_delete_answers_with_the_marked_object(self):
        api = cluster.core()
        api.create_namespaced_config_map(self.namespace, {
            **config_map('held', {}), 'metadata': {'name': 'held', 'finalizers': ['example.com/hold']}})
        # The raw answer: the generated client would squeeze the object into a V1Status.
        response = api.delete_namespaced_config_map(
            'held', self.namespace, propagation_policy='Foreground', _preload_content=False)
        # 200, not 202: the apiserver answers 202 only when the old orphanDependents=false asked for cascading.
        self.assertEqual(response.status, 200)
        answered = json.loads(response.data)
        self.assertEqual(answered['kind'], 'ConfigMap')
        self.assertIsNotNone(answered['metadata'].get('deletionTimestamp'))
        self.assertEqual(sorted(answered['metadata']['finalizers']), ['example.com/hold', 'foregroundDeletion'])
        # The garbage collector may already have dropped foregroundDeletion; the custom finalizer still holds it.
        held = api.read_namespaced_config_map('held', self.namespace)
        self.assertIsNotNone(held.metadata.deletion_timestamp)
        self.assertIn('example.com/hold', held.metadata.finalizers)
        # Releasing the custom finalizer lets the deletion finish.
        api.patch_namespaced_config_map('held', self.namespace, [{'op': 'remove', 'path': '/metadata/finalizers'}])
        self.assertTrue(cluster.wait_for(lambda: not _exists(api, 'held', self.namespace), timeout_seconds=10))

def _exists(api, name, namespace):
    try:
        api.read_namespaced_config_map(name, namespace)
        return True
    except ApiException as error:
        if error.status == 404:
            return False
        raise
