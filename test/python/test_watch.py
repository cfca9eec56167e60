"""watch.Watch().stream over a namespace's ConfigMaps: initial state, live events, server-side timeout."""
import threading
import time
import unittest

from kubernetes import watch

import cluster

WATCH_SECONDS = 3
# Long enough for the stream to be open (it would be reported as ADDED either way).
LATER_CREATE_DELAY_SECONDS = 1


def config_map(name):
    return {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': name}, 'data': {'k': 'v'}}


class WatchTest(unittest.TestCase):
    def setUp(self):
        self.namespace = cluster.fresh_namespace('py-watch')

    def test_stream_sees_existing_and_later_objects_then_ends(self):
        api = cluster.core()
        api.create_namespaced_config_map(self.namespace, config_map('existing'))
        create_failures = []

        def create_later():
            time.sleep(LATER_CREATE_DELAY_SECONDS)
            try:
                api.create_namespaced_config_map(self.namespace, config_map('later'))
                api.patch_namespaced_config_map('later', self.namespace, {'data': {'k': 'changed'}})
            except Exception as error:  # surfaced in the main thread below
                create_failures.append(error)

        creator = threading.Thread(target=create_later)
        started = time.monotonic()
        events = []
        # No resourceVersion: the server first sends every existing object as ADDED.
        # _request_timeout only guards the test if the server never ends the stream.
        stream = watch.Watch().stream(
            api.list_namespaced_config_map, self.namespace,
            timeout_seconds=WATCH_SECONDS, _request_timeout=WATCH_SECONDS + 10)
        creator.start()
        for event in stream:
            events.append((event['type'], event['object'].metadata.name))
        elapsed = time.monotonic() - started
        creator.join()

        self.assertEqual(create_failures, [])
        self.assertEqual(events[0], ('ADDED', 'existing'))
        self.assertIn(('ADDED', 'later'), events)
        self.assertIn(('MODIFIED', 'later'), events)
        self.assertLess(events.index(('ADDED', 'later')), events.index(('MODIFIED', 'later')))
        # The server ends the stream after timeoutSeconds, not the client's guard.
        self.assertGreater(elapsed, WATCH_SECONDS - 0.5)
        self.assertLess(elapsed, WATCH_SECONDS + 5)

    def test_stream_from_a_resource_version_skips_older_objects(self):
        api = cluster.core()
        api.create_namespaced_config_map(self.namespace, config_map('before'))
        resource_version = api.list_namespaced_config_map(self.namespace).metadata.resource_version
        api.create_namespaced_config_map(self.namespace, config_map('after'))
        stream = watch.Watch().stream(
            api.list_namespaced_config_map, self.namespace, resource_version=resource_version,
            timeout_seconds=1, _request_timeout=11)
        events = [(event['type'], event['object'].metadata.name) for event in stream]
        self.assertEqual(events, [('ADDED', 'after')])
