"""A CustomResourceDefinition of our own, then its objects through CustomObjectsApi."""
import unittest

from kubernetes.client.rest import ApiException

import cluster

GROUP = 'pytest.example.com'
VERSION = 'v1'
PLURAL = 'widgets'

WIDGET_CRD = {
    'apiVersion': 'apiextensions.k8s.io/v1',
    'kind': 'CustomResourceDefinition',
    'metadata': {'name': f'{PLURAL}.{GROUP}'},
    'spec': {
        'group': GROUP,
        'scope': 'Namespaced',
        'names': {'plural': PLURAL, 'singular': 'widget', 'kind': 'Widget', 'listKind': 'WidgetList', 'shortNames': ['wdg']},
        'versions': [{
            'name': VERSION,
            'served': True,
            'storage': True,
            'subresources': {'status': {}},
            'schema': {'openAPIV3Schema': {
                'type': 'object',
                'properties': {
                    'spec': {
                        'type': 'object',
                        'properties': {
                            'size': {'type': 'integer', 'minimum': 1},
                            'color': {'type': 'string'},
                            'tags': {'type': 'array', 'items': {'type': 'string'}},
                        },
                    },
                    'status': {'type': 'object', 'properties': {'ready': {'type': 'boolean'}}},
                },
            }},
        }],
    },
}


def widget(name, spec, labels=None):
    metadata = {'name': name, **({'labels': labels} if labels else {})}
    return {'apiVersion': f'{GROUP}/{VERSION}', 'kind': 'Widget', 'metadata': metadata, 'spec': spec}


def established(crd_name):
    crd = cluster.apiextensions().read_custom_resource_definition(crd_name)
    conditions = crd.status.conditions or []
    return any(condition.type == 'Established' and condition.status == 'True' for condition in conditions)


class CustomResourceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # The response is deserialized into V1CustomResourceDefinition, which insists on
        # status.acceptedNames and status.storedVersions: this checks their presence too.
        created = cluster.apiextensions().create_custom_resource_definition(WIDGET_CRD)
        assert created.metadata.name == f'{PLURAL}.{GROUP}'
        if not cluster.wait_for(lambda: established(created.metadata.name), timeout_seconds=10):
            raise AssertionError('the CRD never became Established')

    def setUp(self):
        self.namespace = cluster.fresh_namespace('py-widgets')
        self.api = cluster.custom_objects()

    def create(self, body):
        return self.api.create_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, body)

    def test_accepted_names_follow_the_spec(self):
        crd = cluster.apiextensions().read_custom_resource_definition(f'{PLURAL}.{GROUP}')
        self.assertEqual(crd.status.accepted_names.kind, 'Widget')
        self.assertEqual(crd.status.accepted_names.plural, PLURAL)
        self.assertEqual(crd.status.stored_versions, [VERSION])

    def test_create_then_read_a_custom_object(self):
        created = self.create(widget('first', {'size': 2}))
        self.assertEqual(created['kind'], 'Widget')
        self.assertEqual(created['metadata']['namespace'], self.namespace)
        self.assertTrue(created['metadata']['uid'])
        self.assertEqual(created['metadata']['generation'], 1)
        read = self.api.get_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, 'first')
        self.assertEqual(read['spec'], {'size': 2})

    def test_list_filters_by_label_selector(self):
        self.create(widget('red', {'size': 1}, labels={'color': 'red'}))
        self.create(widget('blue', {'size': 1}, labels={'color': 'blue'}))
        everything = self.api.list_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL)
        self.assertEqual(everything['kind'], 'WidgetList')
        self.assertEqual(sorted(item['metadata']['name'] for item in everything['items']), ['blue', 'red'])
        self.assertTrue(everything['metadata']['resourceVersion'])
        reds = self.api.list_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, label_selector='color!=blue')
        self.assertEqual([item['metadata']['name'] for item in reds['items']], ['red'])

    def test_merge_patch_replaces_lists_and_deletes_null_keys(self):
        self.create(widget('patched', {'size': 3, 'color': 'red', 'tags': ['a', 'b']}))
        # CustomObjectsApi patches with application/merge-patch+json.
        patched = self.api.patch_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, 'patched', {'spec': {'color': None, 'tags': ['c']}})
        self.assertEqual(patched['spec'], {'size': 3, 'tags': ['c']})
        self.assertEqual(patched['metadata']['generation'], 2)

    def test_status_subresource_keeps_spec_and_status_apart(self):
        self.create(widget('split', {'size': 1}))
        with_status = self.api.patch_namespaced_custom_object_status(
            GROUP, VERSION, self.namespace, PLURAL, 'split', {'status': {'ready': True}, 'spec': {'size': 9}})
        self.assertEqual(with_status['status'], {'ready': True})
        self.assertEqual(with_status['spec'], {'size': 1}, 'a status write ignores spec')
        self.assertEqual(with_status['metadata']['generation'], 1, 'a status write does not bump the generation')

    def test_schema_violation_is_422(self):
        with self.assertRaises(ApiException) as raised:
            self.create(widget('bad', {'size': 'large'}))
        self.assertEqual(raised.exception.status, 422)
        status = cluster.status_body(raised.exception)
        self.assertEqual(status['reason'], 'Invalid')
        self.assertTrue(status['message'].startswith(f'Widget.{GROUP} "bad" is invalid: '), status['message'])
        self.assertIn('spec.size', [cause.get('field') for cause in status['details']['causes']])

    def test_missing_custom_object_is_404(self):
        with self.assertRaises(ApiException) as raised:
            self.api.get_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, 'absent')
        self.assertEqual(raised.exception.status, 404)
        status = cluster.status_body(raised.exception)
        self.assertEqual(status['message'], f'{PLURAL}.{GROUP} "absent" not found')
        self.assertEqual(status['details'], {'name': 'absent', 'group': GROUP, 'kind': PLURAL})
