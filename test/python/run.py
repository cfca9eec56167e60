"""The python3-kubernetes suite: starts an emulator, runs every test_*.py here against it, stops it.

Run with the system Python, where Debian's python3-kubernetes lives:
    /usr/bin/python3 test/python/run.py      (or: npm run test:python)
Extra arguments are unittest test name patterns (-k), e.g. `run.py watch`.
"""
import os
import shutil
import sys
import tempfile
import unittest

# No __pycache__ beside the tests: the repository does not ignore it.
sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))


def require_kubernetes_client():
    try:
        import kubernetes  # noqa: F401
    except ImportError:
        sys.exit(
            f'python3-kubernetes is not importable by {sys.executable}.\n'
            'Install it with: apt-get install -y python3-kubernetes\n'
            '(and run this suite with /usr/bin/python3, where Debian puts it)')


def load_suite(name_patterns):
    loader = unittest.TestLoader()
    if name_patterns:
        loader.testNamePatterns = [f'*{pattern}*' for pattern in name_patterns]
    return loader.discover(HERE, pattern='test_*.py', top_level_dir=HERE)


def print_server_log(emulator, limit=4000):
    """The end of the emulator's stderr, which often names the cause of a failure."""
    if emulator.exit_code() is not None:
        print(f'the emulator exited with code {emulator.exit_code()} during the run', flush=True)
    log = emulator.log_text()
    if log.strip():
        print(f'--- emulator stderr (last {limit} characters) ---\n{log[-limit:]}', flush=True)


def main():
    require_kubernetes_client()
    sys.path.insert(0, HERE)
    import cluster
    from emulator_process import EmulatorProcess, EmulatorStartError

    work_dir = tempfile.mkdtemp(prefix='kubevirt-emulator-python-')
    emulator = EmulatorProcess(REPO_ROOT, work_dir)
    try:
        try:
            emulator.start()
        except EmulatorStartError as error:
            sys.exit(f'could not start the emulator: {error}')
        print(f'emulator at {emulator.url}, kubeconfig {emulator.kubeconfig}', flush=True)
        cluster.use_kubeconfig(emulator.kubeconfig)
        result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(load_suite(sys.argv[1:]))
        if not result.wasSuccessful():
            print_server_log(emulator)
    finally:
        emulator.stop()
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main())
