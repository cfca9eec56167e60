"""Runs `kubevirt-emulator serve` as a child process for the suite.

The emulator announces itself with one stdout line,
`kubevirt-emulator ready: <url> kubeconfig=<path>`; everything the suite
needs (URL, kubeconfig) comes from that line, exactly as a user's script
would get it.
"""
import os
import queue
import re
import signal
import subprocess
import threading

READY_LINE = re.compile(r'^kubevirt-emulator ready: (?P<url>\S+) kubeconfig=(?P<kubeconfig>.+)$')
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 15


class EmulatorStartError(RuntimeError):
    pass


class EmulatorProcess:
    """One emulator on a free port, with its own kubeconfig and data directory."""

    def __init__(self, repo_root, work_dir):
        self.repo_root = repo_root
        self.work_dir = work_dir
        self.url = None
        self.kubeconfig = None
        self._process = None
        self._stdout_lines = queue.Queue()
        self._log_path = os.path.join(work_dir, 'emulator.log')

    def start(self):
        main = os.path.join(self.repo_root, 'dist', 'cli', 'main.js')
        if not os.path.exists(main):
            raise EmulatorStartError(f'{main} is missing: run `npm run build` first')
        command = [
            'node', main, 'serve',
            '--port', '0',
            '--log-level', 'warn',
            '--kubeconfig', os.path.join(self.work_dir, 'kubeconfig'),
            '--data-dir', os.path.join(self.work_dir, 'data'),
            # KubeVirt deployed from the release manifests before the ready line, for test_kubevirt.py.
            '--install-kubevirt',
        ]
        # stderr goes to a file so a chatty server can never block on a full pipe.
        self._log = open(self._log_path, 'w')
        self._process = subprocess.Popen(
            command, cwd=self.repo_root, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=self._log, text=True)
        # A reader thread keeps draining stdout after the ready line, for the same reason.
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        self._wait_until_ready()
        return self

    def _pump_stdout(self):
        for line in self._process.stdout:
            self._stdout_lines.put(line.rstrip('\n'))
        self._stdout_lines.put(None)

    def _wait_until_ready(self):
        seen = []
        while True:
            try:
                line = self._stdout_lines.get(timeout=START_TIMEOUT_SECONDS)
            except queue.Empty:
                self.stop()
                raise EmulatorStartError(f'no ready line within {START_TIMEOUT_SECONDS}s; stdout so far: {seen}')
            if line is None:
                self.stop()
                raise EmulatorStartError(f'the emulator exited before it was ready; stdout: {seen}; stderr: {self.log_text()}')
            match = READY_LINE.match(line)
            if match:
                self.url = match.group('url')
                self.kubeconfig = match.group('kubeconfig')
                return
            seen.append(line)

    def exit_code(self):
        """None while the emulator runs; its exit code once it stopped (or died)."""
        return None if self._process is None else self._process.poll()

    def log_text(self):
        self._log.flush()
        with open(self._log_path) as log:
            return log.read()

    def stop(self):
        """SIGTERM (the serve command stops cleanly on it), then SIGKILL if it lingers."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()
