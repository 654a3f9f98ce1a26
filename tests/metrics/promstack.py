"""Real node_exporter and Prometheus for the metrics tests, started on
free loopback ports with temporary directories, stopped at the end.

Under CI=true a missing binary fails the test (skip_or_fail)."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import urllib.parse
import urllib.request

from helperfixture import TestFailure, log, skip_or_fail, wait_for

NODE_EXPORTER = 'prometheus-node-exporter'
PROMETHEUS = 'prometheus'
PROMTOOL = 'promtool'


def require_binaries():
    for name in (NODE_EXPORTER, PROMETHEUS, PROMTOOL):
        if shutil.which(name) is None:
            skip_or_fail(f'{name} is not installed (tools/install-deps.sh installs it)')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def http_get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


def parse_exposition(text):
    """{(name, frozenset(labels)): value} with Prometheus's label unescaping."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith('#'):
            continue
        name_end = min(i for i in (line.find('{'), line.find(' ')) if i >= 0)
        name = line[:name_end]
        labels = {}
        rest = line[name_end:]
        if rest.startswith('{'):
            i = 1
            while rest[i] != '}':
                eq = rest.index('=', i)
                key = rest[i:eq].lstrip(',')
                if rest[eq + 1] != '"':
                    raise TestFailure(f'bad label in {line!r}')
                j, value = eq + 2, []
                while rest[j] != '"':
                    if rest[j] == '\\':
                        j += 1
                        value.append({'n': '\n', '\\': '\\', '"': '"'}[rest[j]])
                    else:
                        value.append(rest[j])
                    j += 1
                labels[key] = ''.join(value)
                i = j + 1
                if rest[i] == ',':
                    i += 1
            rest = rest[i + 1:]
        samples[(name, frozenset(labels.items()))] = float(rest.split()[0])
    return samples


def app_samples(samples, metric, **match):
    """{labels dict as tuple: value} of @metric whose labels include @match."""
    out = {}
    for (name, labels), value in samples.items():
        d = dict(labels)
        if name == metric and all(d.get(k) == v for k, v in match.items()):
            out[tuple(sorted(d.items()))] = value
    return out


def promtool_check(text):
    result = subprocess.run([PROMTOOL, 'check', 'metrics'], input=text, capture_output=True,
                            text=True, timeout=60)
    if result.returncode != 0 or result.stdout.strip() or result.stderr.strip():
        raise TestFailure(f'promtool check metrics: {result.returncode}\n{result.stdout}{result.stderr}')


class NodeExporter:
    """node_exporter with only the textfile collector, on a free port."""

    def __init__(self, textfile_dir, log_path):
        self.port = free_port()
        self.log = open(log_path, 'w')
        self.proc = subprocess.Popen(
            [NODE_EXPORTER, f'--web.listen-address=127.0.0.1:{self.port}',
             '--collector.disable-defaults', '--collector.textfile',
             f'--collector.textfile.directory={textfile_dir}'],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f'http://127.0.0.1:{self.port}/metrics'
        wait_for(self._up, 'node_exporter listening', timeout=30)

    def _up(self):
        if self.proc.poll() is not None:
            raise TestFailure(f'node_exporter exited: {self.proc.returncode}')
        try:
            http_get(self.url, timeout=2)
            return True
        except OSError:
            return False

    def scrape(self):
        return parse_exposition(http_get(self.url))

    def stop(self):
        stop(self.proc)
        self.log.close()


class Prometheus:
    """Prometheus scraping @target every second, storage in a temporary
    directory, on a free loopback port."""

    def __init__(self, target, workdir):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix='prometheus-', dir=workdir)
        config = os.path.join(self.dir, 'prometheus.yml')
        with open(config, 'w') as f:
            f.write('global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n'
                    'scrape_configs:\n  - job_name: node\n'
                    f'    static_configs:\n      - targets: ["{target}"]\n')
        self.log = open(os.path.join(self.dir, 'prometheus.log'), 'w')
        self.proc = subprocess.Popen(
            [PROMETHEUS, f'--config.file={config}', f'--storage.tsdb.path={self.dir}/data',
             f'--web.listen-address=127.0.0.1:{self.port}'],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.api = f'http://127.0.0.1:{self.port}/api/v1'
        wait_for(self._ready, 'prometheus ready', timeout=60)

    def _ready(self):
        if self.proc.poll() is not None:
            raise TestFailure(f'prometheus exited: {self.proc.returncode}')
        try:
            http_get(f'http://127.0.0.1:{self.port}/-/ready', timeout=2)
            return True
        except OSError:
            return False

    def query(self, promql, at=None):
        """[(labels dict, value)] of an instant query, now or at time @at
        (seconds since the epoch)."""
        params = {'query': promql}
        if at is not None:
            params['time'] = f'{at:.3f}'
        data = json.loads(http_get(f'{self.api}/query?' + urllib.parse.urlencode(params)))
        if data.get('status') != 'success':
            raise TestFailure(f'PromQL {promql}: {data}')
        return [(r['metric'], float(r['value'][1])) for r in data['data']['result']]

    def stop(self):
        stop(self.proc)
        self.log.close()


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_value(what, read, expected, timeout=60):
    """Waits until read() == expected (the page of the next write or
    scrape); fails with the last value seen."""
    seen = []

    def ok():
        seen[:] = [read()]
        return seen[0] == expected
    try:
        wait_for(ok, what, timeout=timeout, interval=0.25)
    except TestFailure:
        raise TestFailure(f'{what}: {seen[0] if seen else None} != {expected}')
    log(f'{what}: {expected}')
