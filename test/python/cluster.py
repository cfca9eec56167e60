"""What every test module shares: clients for the running emulator and fresh namespaces.

run.py starts the emulator and calls `use_kubeconfig` before any test runs.
"""
import itertools
import json
import time

from kubernetes import client, config

_api_client = None
_namespace_numbers = itertools.count(1)


def use_kubeconfig(path):
    global _api_client
    configuration = client.Configuration()
    config.load_kube_config(config_file=path, client_configuration=configuration)
    _api_client = client.ApiClient(configuration)


def api_client():
    if _api_client is None:
        raise RuntimeError('no emulator: run the suite through test/python/run.py')
    return _api_client


def core():
    return client.CoreV1Api(api_client())


def apps():
    return client.AppsV1Api(api_client())


def custom_objects():
    return client.CustomObjectsApi(api_client())


def apiextensions():
    return client.ApiextensionsV1Api(api_client())


def fresh_namespace(prefix):
    """Creates a namespace no other test uses, so tests never see each other's objects."""
    name = f'{prefix}-{next(_namespace_numbers)}'
    core().create_namespace({'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': name}})
    return name


def status_body(api_exception):
    """The Status object an ApiException carries as its JSON body."""
    return json.loads(api_exception.body)


def wait_for(predicate, timeout_seconds=10, interval_seconds=0.05):
    """Polls until predicate() returns something truthy; returns it, or None after the timeout."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval_seconds)
    return None
